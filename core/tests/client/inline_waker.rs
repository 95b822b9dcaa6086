//! Issue 8 §1.4: an executor that resumes the awaiting code inline when woken (Kotlin
//! `Dispatchers.Unconfined`, UniFFI's foreign continuations) may call straight back into the
//! client. The old façade woke futures under its state lock, so that deadlocked.
use crate::support::{TcClient, TcHost};
use chatwire::{Call, ClientConfig, Output, Timestamp};
use futures::task::ArcWake;
use serde_json::json;
use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::task::Context;
use std::time::Duration;

/// Runs `body` on its own thread and fails (instead of hanging) if it deadlocks.
fn within_seconds(body: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    let t = std::thread::spawn(move || {
        body();
        let _ = tx.send(());
    });
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(()) => t.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("deadlocked: the waker ran under a lock"),
        Err(mpsc::RecvTimeoutError::Disconnected) => t.join().unwrap(),
    }
}

/// A continuation resumed inside `wake`: it issues a follow-up command and takes the output.
struct Resume {
    client: TcClient,
    now: Timestamp,
    follow_up: Mutex<Option<Call>>,
    outputs: Mutex<Vec<Output>>,
}

impl ArcWake for Resume {
    fn wake_by_ref(this: &Arc<Self>) {
        let call = this.client.send_text(this.now, "c", "follow-up", None);
        let out = this.client.poll_output();
        *this.follow_up.lock().unwrap() = Some(call);
        this.outputs.lock().unwrap().push(out);
    }
}

#[test]
fn a_call_answered_with_an_inline_waker_may_call_back_in() {
    within_seconds(|| {
        let mut host = TcHost::trueconf(ClientConfig::default());
        let resume = Arc::new(Resume {
            client: host.client.clone(),
            now: host.at(),
            follow_up: Mutex::new(None),
            outputs: Mutex::new(Vec::new()),
        });
        let waker = futures::task::waker(resume.clone());
        let mut call = host
            .client
            .call(host.at(), |s, now| s.create_group_chat(now, "Ops"));
        assert!(Pin::new(&mut call)
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        host.poll();
        let frame = host.sent().remove(0);
        host.answer(&frame, json!({"chatId":"g1"}));

        let outputs = resume.outputs.lock().unwrap().clone();
        assert_eq!(outputs.len(), 1, "woken once, inline");
        host.perform(&outputs[0]);
        let frames = host.sent();
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0]["payload"]["content"]["text"], "follow-up");
        assert!(futures::executor::block_on(call).is_ok());
        // The follow-up issued from inside the waker is a live request like any other.
        let follow_up = resume.follow_up.lock().unwrap().take().unwrap();
        host.answer(&frames[0], json!({"chatId":"c","messageId":"m1"}));
        assert!(futures::executor::block_on(follow_up).is_ok());
    });
}

/// A host task resumed inside `wake` of `output_ready`: it takes the output at once.
struct TakeOutput {
    client: TcClient,
    outputs: Mutex<Vec<Output>>,
}

impl ArcWake for TakeOutput {
    fn wake_by_ref(this: &Arc<Self>) {
        let out = this.client.poll_output();
        this.outputs.lock().unwrap().push(out);
    }
}

#[test]
fn an_output_ready_waker_may_take_the_output_inline() {
    within_seconds(|| {
        let host = TcHost::trueconf(ClientConfig::default());
        let task = Arc::new(TakeOutput {
            client: host.client.clone(),
            outputs: Mutex::new(Vec::new()),
        });
        let waker = futures::task::waker(task.clone());
        let mut ready = host.client.output_ready();
        assert!(Pin::new(&mut ready)
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        let _call = host.client.send_text(host.at(), "c", "hi", None);
        let outputs = task.outputs.lock().unwrap().clone();
        assert_eq!(outputs.len(), 1, "the host task ran inline");
        assert_eq!(outputs[0].transmits.len(), 1, "{outputs:?}");
    });
}

#[test]
fn a_call_failed_by_close_with_an_inline_waker_may_call_back_in() {
    within_seconds(|| {
        let mut host = TcHost::trueconf(ClientConfig::default());
        let resume = Arc::new(Resume {
            client: host.client.clone(),
            now: host.at(),
            follow_up: Mutex::new(None),
            outputs: Mutex::new(Vec::new()),
        });
        let waker = futures::task::waker(resume.clone());
        let mut call = host.client.get_chats(host.at(), 10, 1);
        assert!(Pin::new(&mut call)
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        host.poll();
        host.close();
        assert_eq!(resume.outputs.lock().unwrap().len(), 1, "woken inline");
    });
}
