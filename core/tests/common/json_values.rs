//! JSON text helpers for the tests that put every kind of value in every field of a frame
//! (each test binary includes this file).

/// JSON values of every kind and edge: the crate's own list.
pub use chatwire::internals::KINDS_OF_VALUE as KINDS;

/// A JSON object from `(key, value text)` pairs, in their order.
pub fn object(fields: &[(&str, String)]) -> String {
    let members: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
    format!("{{{}}}", members.join(","))
}
