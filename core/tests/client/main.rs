//! Tests of the pull-mode `Client` over one scripted host, one behaviour per module.
//! One binary per area, not per file: linking a binary per file made the suite slow to build.

mod call;
mod close;
mod connect_failed;
mod host_panic;
mod inline_waker;
mod order;
mod reconnect;
mod reentrancy;
mod refused_for_good;
mod round_trip;
mod shutdown;
mod stray_closed;
mod support;
mod threads;
mod timer_rearm;
mod typed;
