//! TrueConf Chatbot API session tests, one behaviour per module, on a virtual clock.
//! One binary per area, not per file: linking a binary per file made the suite slow to build.

mod ack_once;
mod auth_barrier;
mod client_typed;
mod disconnect;
mod error_codes;
mod files;
mod id_wrap;
mod messages;
mod mutated_frames;
mod partial_list;
mod real_server;
mod response_matching;
mod spec_examples;
mod support;
mod timeout;
mod token;
mod unknown_input;
mod unread;
