//! Properties over generated inputs (proptest): the id allocator, the outbox, and tada's
//! gentime-ordered merge. Each failing case is shrunk to the smallest one before it is shown.

mod gentime_merge;
mod ids;
mod outbox;
