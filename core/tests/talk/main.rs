//! Nextcloud Talk session tests, one behaviour per module, against a scripted server on a
//! virtual clock.
//! One binary per area, not per file: linking a binary per file made the suite slow to build.

mod answer_resets_backoff;
mod bad_input;
mod command_bound;
mod common_read;
mod decoder_robustness;
mod empty_page;
mod failure_reports;
mod forgotten_redelivery;
mod history_marker_moves;
mod history_then_poll;
mod hostile_cursor;
#[path = "../common/json_values.rs"]
mod json_values;
mod leave_room;
mod load_older;
mod many_rooms;
mod mentions;
mod message_commands;
mod message_too_long;
mod message_types;
mod not_modified;
mod one_pass;
mod overlap_dedupe;
mod oversized_page;
mod own_echo;
mod parent_events;
mod poll_deadline;
mod rate_limit_backoff;
mod read_state;
mod request_headers;
mod room_list;
mod room_stop;
mod send_order;
mod send_retry;
mod snapshot;
mod status_codes;
mod support;
mod unread_bounded;
