//! Integration tests of the `chatwire` command: `decode` on captures, `connect` against
//! `chatwire sim` on loopback.
//! One binary, one behaviour per module: linking a binary per file made the suite slow to build.

mod connect_failures;
mod connect_reconnect;
mod connect_stdin;
mod connect_tada;
mod connect_talk;
mod connect_talk_bulk;
mod connect_talk_edits;
mod connect_talk_state;
mod connect_token_refresh;
mod connect_trueconf;
mod connect_trueconf_files;
mod decode;
mod support;
