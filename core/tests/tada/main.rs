//! tada.team session tests, one behaviour per module, on a virtual clock.
//! One binary per area, not per file: linking a binary per file made the suite slow to build.

mod acks;
mod bad_input;
mod catchup;
mod connect;
mod counters;
mod determinism;
mod disconnect;
mod gentime_order;
mod hostile_values;
mod inspect;
#[path = "../common/json_values.rs"]
mod json_values;
mod keepalive;
mod mark_read;
mod message_dedupe;
mod mutated_frames;
mod offline_bound;
mod one_pass;
mod resend_and_confirm;
mod snapshot;
mod spec_client_schemas;
mod spec_server_examples;
mod support;
mod typed_events;
mod warning;
