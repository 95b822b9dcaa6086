#![no_main]
//! libFuzzer entry for [`chatwire_fuzz::one_pass`] (the stable harness runs the same body).

libfuzzer_sys::fuzz_target!(|data: &[u8]| chatwire_fuzz::one_pass(data));
