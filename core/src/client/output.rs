//! What one input (or a drain after commands) hands back to the host.

use crate::event::Event;
use crate::time::Timestamp;
use crate::transmit::Transmit;

/// Everything the client produced since the host last took its output: perform the
/// transmits in order, hand the events to the app, then (re-)arm one timer for `timeout`.
///
/// `timeout` is the client's whole current deadline, not a change: the host always replaces its
/// timer with it (`None`: cancel it). It is never stale when outputs are applied in `sequence`
/// order; a host that takes outputs on several threads keeps the timer of the highest
/// `sequence` it has seen and drops an older one.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Output {
    /// What the host must do, in this order.
    pub transmits: Vec<Transmit>,
    /// What happened, in order, for the app.
    pub events: Vec<Event>,
    /// When to call `handle_timeout` next; `None` when nothing waits on time.
    pub timeout: Option<Timestamp>,
    /// Increases by one with every output the client hands out.
    pub sequence: u64,
}

impl Output {
    /// Whether there is nothing to perform and nothing to report (the timeout may still be set).
    pub fn is_empty(&self) -> bool {
        self.transmits.is_empty() && self.events.is_empty()
    }
}
