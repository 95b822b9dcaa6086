#![no_main]
//! libFuzzer entry for [`chatwire_fuzz::trueconf_frames`] (the stable harness runs the same body).

libfuzzer_sys::fuzz_target!(|data: &[u8]| chatwire_fuzz::trueconf_frames(data));
