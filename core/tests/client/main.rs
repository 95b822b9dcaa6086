//! Tests of the async `Client` façade over a scripted transport, one behaviour per module.
//! One binary per area, not per file: linking a binary per file made the suite slow to build.

mod call;
mod reconnect;
mod reentrancy;
mod support;
mod typed;
