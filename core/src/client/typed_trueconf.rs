//! The TrueConf methods beyond chat as typed commands on the client: files, surveys, command
//! answers, typing, display names. Each queues its request when called and returns a
//! `'static` future of the value the caller wants; a reply of another shape is an
//! [`Error::UnexpectedResponse`].

use super::typed::{nothing, sent_id, typed, unexpected, TypedCall};
use super::Client;
use crate::error::Error;
use crate::event::Reply;
use crate::time::Timestamp;
use crate::trueconf::{
    CommandAnswer, FileInfo, FileUploadLimits, SentFile, Survey, TrueConfSession,
};

fn sent_file(reply: Reply) -> Result<SentFile, Error> {
    match reply {
        Reply::FileSent {
            message_id,
            file_id,
            caption_message_id,
            ..
        } => Ok(SentFile {
            message_id,
            file_id,
            caption_message_id,
        }),
        other => Err(unexpected("a sent file", other)),
    }
}

fn temporal_file_id(reply: Reply) -> Result<String, Error> {
    match reply {
        Reply::Uploaded { temporal_file_id } => Ok(temporal_file_id),
        other => Err(unexpected("an uploaded file", other)),
    }
}

fn upload_task_id(reply: Reply) -> Result<String, Error> {
    match reply {
        Reply::UploadTask { upload_task_id } => Ok(upload_task_id),
        other => Err(unexpected("an upload task", other)),
    }
}

fn file_info(reply: Reply) -> Result<FileInfo, Error> {
    match reply {
        Reply::FileInfo { info } => Ok(info),
        other => Err(unexpected("file info", other)),
    }
}

fn downloaded(reply: Reply) -> Result<Option<u64>, Error> {
    match reply {
        Reply::Downloaded { size, .. } => Ok(size),
        other => Err(unexpected("a downloaded file", other)),
    }
}

fn limits(reply: Reply) -> Result<FileUploadLimits, Error> {
    match reply {
        Reply::FileUploadLimits { limits } => Ok(limits),
        other => Err(unexpected("upload limits", other)),
    }
}

fn flag(reply: Reply) -> Result<bool, Error> {
    match reply {
        Reply::Bool { value } => Ok(value),
        other => Err(unexpected("a yes/no answer", other)),
    }
}

fn retry_after(reply: Reply) -> Result<Option<u64>, Error> {
    match reply {
        Reply::ChatActivitySent { retry_after_ms, .. } => Ok(retry_after_ms),
        other => Err(unexpected("a chat activity", other)),
    }
}

fn display_name(reply: Reply) -> Result<Option<String>, Error> {
    match reply {
        Reply::DisplayName { display_name } => Ok(display_name),
        other => Err(unexpected("a display name", other)),
    }
}

fn own(s: Option<&str>) -> Option<String> {
    s.map(str::to_string)
}

impl Client<TrueConfSession> {
    /// Uploads `size` bytes the host reads from `source` (see [`crate::Transmit::Upload`]) and
    /// posts them to `chat_id` as `file_name`, with an optional caption.
    #[allow(clippy::too_many_arguments)]
    pub fn send_file(
        &self,
        now: Timestamp,
        chat_id: &str,
        source: &str,
        file_name: &str,
        size: u64,
        content_type: Option<&str>,
        caption: Option<&str>,
        reply_to: Option<&str>,
    ) -> TypedCall<SentFile> {
        let (chat, src, name) = (
            chat_id.to_string(),
            source.to_string(),
            file_name.to_string(),
        );
        let (mime, caption, reply) = (own(content_type), own(caption), own(reply_to));
        let call = self.call(now, move |s, now| {
            s.send_file(
                now,
                &chat,
                &src,
                &name,
                size,
                mime.as_deref(),
                caption.as_deref(),
                reply.as_deref(),
            )
        });
        typed(call, sent_file)
    }

    /// Uploads a file (`uploadFile`, then the bytes over HTTP); resolves to its
    /// `temporalFileId` for [`Client::send_uploaded_file`] or `editChatAvatar`.
    pub fn upload_file(
        &self,
        now: Timestamp,
        source: &str,
        file_name: &str,
        size: u64,
        content_type: Option<&str>,
    ) -> TypedCall<String> {
        let (src, name, mime) = (source.to_string(), file_name.to_string(), own(content_type));
        let call = self.call(now, move |s, now| {
            s.upload_file(now, &src, &name, size, mime.as_deref())
        });
        typed(call, temporal_file_id)
    }

    /// `uploadFile` alone; resolves to the `Upload-Task-Id` for an upload the app performs.
    pub fn open_upload_task(
        &self,
        now: Timestamp,
        file_name: &str,
        size: u64,
    ) -> TypedCall<String> {
        let name = file_name.to_string();
        let call = self.call(now, move |s, now| s.open_upload_task(now, &name, size));
        typed(call, upload_task_id)
    }

    /// `sendFile` with an uploaded file's `temporalFileId`.
    pub fn send_uploaded_file(
        &self,
        now: Timestamp,
        chat_id: &str,
        temporal_file_id: &str,
        caption: Option<&str>,
        reply_to: Option<&str>,
    ) -> TypedCall<SentFile> {
        let (chat, temporal) = (chat_id.to_string(), temporal_file_id.to_string());
        let (caption, reply) = (own(caption), own(reply_to));
        let call = self.call(now, move |s, now| {
            s.send_uploaded_file(now, &chat, &temporal, caption.as_deref(), reply.as_deref())
        });
        typed(call, sent_file)
    }

    /// `getFileInfo`.
    pub fn get_file_info(&self, now: Timestamp, file_id: &str) -> TypedCall<FileInfo> {
        let file = file_id.to_string();
        let call = self.call(now, move |s, now| s.get_file_info(now, &file));
        typed(call, file_info)
    }

    /// Downloads a file into `destination` (see [`crate::Transmit::Download`]), waiting for
    /// one still being uploaded; resolves to its size as the server described it.
    pub fn download_file(
        &self,
        now: Timestamp,
        file_id: &str,
        destination: &str,
    ) -> TypedCall<Option<u64>> {
        let (file, dest) = (file_id.to_string(), destination.to_string());
        let call = self.call(now, move |s, now| s.download_file(now, &file, &dest));
        typed(call, downloaded)
    }

    /// `getFileUploadLimits`.
    pub fn get_file_upload_limits(&self, now: Timestamp) -> TypedCall<FileUploadLimits> {
        let call = self.call(now, |s, now| s.get_file_upload_limits(now));
        typed(call, limits)
    }

    /// `subscribeFileProgress`: [`crate::Event::FileProgress`] follows.
    pub fn subscribe_file_progress(&self, now: Timestamp, file_id: &str) -> TypedCall<bool> {
        let file = file_id.to_string();
        let call = self.call(now, move |s, now| s.subscribe_file_progress(now, &file));
        typed(call, flag)
    }

    /// `unsubscribeFileProgress`.
    pub fn unsubscribe_file_progress(&self, now: Timestamp, file_id: &str) -> TypedCall<bool> {
        let file = file_id.to_string();
        let call = self.call(now, move |s, now| s.unsubscribe_file_progress(now, &file));
        typed(call, flag)
    }

    /// `sendSurvey`; resolves to the survey message's id.
    pub fn send_survey(
        &self,
        now: Timestamp,
        chat_id: &str,
        survey: Survey,
        reply_to: Option<&str>,
    ) -> TypedCall<String> {
        let (chat, reply) = (chat_id.to_string(), own(reply_to));
        let call = self.call(now, move |s, now| {
            s.send_survey(now, &chat, survey.clone(), reply.as_deref())
        });
        typed(call, sent_id)
    }

    /// `editSurvey`.
    pub fn edit_survey(&self, now: Timestamp, message_id: &str, survey: Survey) -> TypedCall<()> {
        let message = message_id.to_string();
        let call = self.call(now, move |s, now| {
            s.edit_survey(now, &message, survey.clone())
        });
        typed(call, nothing)
    }

    /// `answerCommand`: answers a [`crate::Event::CommandReceived`].
    pub fn answer_command(&self, now: Timestamp, answer: CommandAnswer) -> TypedCall<()> {
        let call = self.call(now, move |s, now| s.answer_command(now, answer.clone()));
        typed(call, nothing)
    }

    /// `sendChatActivity` (`typing`, …); resolves to the milliseconds after which sending it
    /// again keeps it shown.
    pub fn send_chat_activity(
        &self,
        now: Timestamp,
        chat_id: &str,
        activity_type: &str,
    ) -> TypedCall<Option<u64>> {
        let (chat, activity) = (chat_id.to_string(), activity_type.to_string());
        let call = self.call(now, move |s, now| {
            s.send_chat_activity(now, &chat, &activity)
        });
        typed(call, retry_after)
    }

    /// `getUserDisplayName`.
    pub fn get_user_display_name(
        &self,
        now: Timestamp,
        user_id: &str,
    ) -> TypedCall<Option<String>> {
        let user = user_id.to_string();
        let call = self.call(now, move |s, now| s.get_user_display_name(now, &user));
        typed(call, display_name)
    }
}
