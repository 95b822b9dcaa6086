//! File transfers: the steps of an upload or a download after its first answer (the HTTP
//! step the host performs, waiting for a file still being uploaded), each resolving the one id
//! the app was given.

use super::*;

impl TrueConfSession {
    /// Issues `request` as the next step of `caller`'s command.
    pub(super) fn step(
        &mut self,
        now: Timestamp,
        caller: RequestId,
        request: Request,
    ) -> Option<RequestId> {
        match self.request(now, request) {
            Ok(id) => {
                self.relay.insert(id, caller);
                Some(id)
            }
            Err(e) => {
                self.outbox.resolve(caller, Err(e));
                None
            }
        }
    }

    /// The server opened the upload task: the host sends the bytes.
    pub(super) fn start_upload(&mut self, caller: RequestId, plan: PlannedUpload, task: String) {
        let upload = crate::transmit::HttpUpload {
            id: caller,
            method: "POST".into(),
            path: crate::trueconf::FILES_PATH.into(),
            headers: vec![crate::transmit::Header::new("Upload-Task-Id", task)],
            form_field: "file".into(),
            file_name: plan.file_name,
            content_type: plan.content_type,
            source: plan.source,
            size: plan.size,
        };
        match self.outbox.transmit(Transmit::Upload(upload)) {
            Ok(()) => {
                let then_send = plan.then_send;
                self.transfers
                    .insert(caller, Transfer::Upload { then_send });
            }
            Err(e) => self.outbox.resolve(caller, Err(e)),
        }
    }

    /// `getFileInfo` answered for a download: fetch it, wait for it, or give up.
    pub(super) fn start_download(
        &mut self,
        now: Timestamp,
        caller: RequestId,
        plan: PlannedDownload,
        info: crate::trueconf::FileInfo,
    ) {
        use crate::trueconf::ready_state::{NOT_AVAILABLE, READY};
        let ready = info.ready_state.unwrap_or(READY);
        match (ready, info.download_url) {
            (READY, Some(url)) => {
                let download = crate::transmit::HttpDownload {
                    id: caller,
                    url,
                    destination: plan.destination,
                };
                match self.outbox.transmit(Transmit::Download(download)) {
                    Ok(()) => {
                        let transfer = Transfer::Download {
                            file_id: info.file_id,
                            size: info.size,
                        };
                        self.transfers.insert(caller, transfer);
                    }
                    Err(e) => self.outbox.resolve(caller, Err(e)),
                }
            }
            (NOT_AVAILABLE, _) => self.outbox.resolve(
                caller,
                Err(Error::UnexpectedResponse {
                    reason: format!("file {} is not available (readyState 0)", info.file_id),
                }),
            ),
            _ => {
                // Still uploading: the first time, subscribe to its progress; after that (the
                // progress said complete but the file is not ready yet), poll.
                let first = plan.deadline.is_none();
                let deadline = plan
                    .deadline
                    .unwrap_or_else(|| now.add(self.config.limits.request_timeout));
                if first {
                    let subscribe = Request::SubscribeFileProgress {
                        file_id: info.file_id.clone(),
                    };
                    if let Ok(id) = self.request(now, subscribe) {
                        self.internal.insert(id);
                    }
                }
                self.awaiting_ready.push(AwaitReady {
                    file_id: info.file_id,
                    caller,
                    destination: plan.destination,
                    size: info.size,
                    deadline,
                    poll_at: (!first).then(|| now.add(READY_POLL)),
                });
            }
        }
    }

    /// Asks `getFileInfo` again for a download that waited.
    pub(super) fn recheck(&mut self, now: Timestamp, wait: AwaitReady) {
        let request = Request::GetFileInfo {
            file_id: wait.file_id,
        };
        if let Some(id) = self.step(now, wait.caller, request) {
            let plan = PlannedDownload {
                destination: wait.destination,
                deadline: Some(wait.deadline),
            };
            self.downloads.insert(id, plan);
        }
    }

    pub(super) fn on_file_progress(&mut self, now: Timestamp, file_id: &str, progress: u64) {
        let (done, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.awaiting_ready)
            .into_iter()
            .partition(|w| {
                w.poll_at.is_none() && w.file_id == file_id && w.size.is_none_or(|s| progress >= s)
            });
        self.awaiting_ready = waiting;
        for wait in done {
            let unsubscribe = Request::UnsubscribeFileProgress {
                file_id: wait.file_id.clone(),
            };
            if let Ok(id) = self.request(now, unsubscribe) {
                self.internal.insert(id);
            }
            self.recheck(now, wait);
        }
    }
}
