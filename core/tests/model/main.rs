//! Tests of what every protocol shares (errors, events), one behaviour per module.
//! One binary per area, not per file: linking a binary per file made the suite slow to build.

mod error_kind;
mod error_serialization;
mod snapshot_round_trip;
