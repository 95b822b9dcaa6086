//! `uniffi-bindgen` for chatwire-ffi: generates Python, Kotlin and Swift from the built library
//! (`generate target/debug/libchatwire_ffi.so --language python --out-dir DIR`).

fn main() {
    uniffi::uniffi_bindgen_main()
}
