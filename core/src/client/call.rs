//! The future a command returns: `'static`, borrows nothing, settles exactly once.

use crate::error::Error;
use crate::event::Reply;
use futures::channel::oneshot;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

/// The pending answer to one command issued through a [`super::Client`].
///
/// The request was queued when the command was called, not when this is first polled: dropping
/// it does not withdraw the request, it only stops listening. It holds no reference to the
/// client, so it settles (with [`Error::Closed`]) even when the client is dropped or shut down
/// before the answer came.
#[must_use = "the request is already queued; await the call to learn its outcome"]
pub struct Call {
    state: CallState,
}

enum CallState {
    Waiting(oneshot::Receiver<Result<Reply, Error>>),
    Ready(Option<Box<Result<Reply, Error>>>),
}

impl Call {
    pub(crate) fn waiting(rx: oneshot::Receiver<Result<Reply, Error>>) -> Self {
        Call {
            state: CallState::Waiting(rx),
        }
    }

    pub(crate) fn ready(result: Result<Reply, Error>) -> Self {
        Call {
            state: CallState::Ready(Some(Box::new(result))),
        }
    }
}

impl Future for Call {
    type Output = Result<Reply, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.state {
            CallState::Ready(result) => {
                Poll::Ready(result.take().map_or(Err(Error::Closed), |r| *r))
            }
            CallState::Waiting(rx) => match Pin::new(rx).poll(cx) {
                Poll::Ready(Ok(result)) => Poll::Ready(result),
                // The sender went away with the client's state: dropped before answering.
                Poll::Ready(Err(_)) => Poll::Ready(Err(Error::Closed)),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

/// Tells a host that commands queued output for it (`Client::output_ready`): the one way a
/// host that performs output on its own task learns of a command issued from another.
#[derive(Default)]
pub(crate) struct ReadySignal {
    pending: AtomicBool,
    waker: futures::task::AtomicWaker,
}

impl ReadySignal {
    /// Marks output as waiting and wakes the host. Called with no lock held: a waker may run
    /// the host inline.
    pub(crate) fn raise(&self) {
        self.pending.store(true, Ordering::Release);
        self.waker.wake();
    }
}

/// Resolves once output is waiting for the host (see [`super::Client::output_ready`]).
pub struct OutputReady {
    pub(crate) signal: Arc<ReadySignal>,
}

impl Future for OutputReady {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.signal.waker.register(cx.waker());
        if self.signal.pending.swap(false, Ordering::AcqRel) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}
