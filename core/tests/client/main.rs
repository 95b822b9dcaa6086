//! Tests of the pull-mode `Client` over one scripted host, one behaviour per module.
//! One binary per area, not per file: linking a binary per file made the suite slow to build.

mod call;
mod reconnect;
mod reentrancy;
mod support;
mod typed;
