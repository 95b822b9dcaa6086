//! An [`Output`] as one JSON text in which every record and enum value names its own type, for
//! a host that builds its objects from that text in one parse (the Python package does,
//! `chatwire/_tagged.py`) instead of lifting them field by field from UniFFI's buffer.
//!
//! The shape: a record is an object with `"$": "Message"` beside its fields; an enum variant
//! is an object with `"$": "Event.MessageReceived"` (enum and variant as Rust names them)
//! beside the variant's fields, a variant without fields included; `None` is `null`; a list
//! is an array. With every object tagged, a decoder needs no schema: JSON parsers build nested
//! objects innermost first, so a per-object hook (Python's `object_hook`) can replace each
//! dict by its typed value as it goes.
//!
//! It is a serializer adapter over serde_json's, driven by plain `#[derive(Serialize)]` on the
//! binding's types: serde already hands every serializer the type and variant names, so no
//! per-variant attribute is needed.

use crate::types::Output;
use serde::ser::{
    Impossible, Serialize, SerializeSeq, SerializeStruct, SerializeStructVariant, Serializer,
};

/// The key that names an object's type.
const TAG: &str = "$";

/// `output` as tagged JSON text.
pub(crate) fn output_json(output: &Output) -> String {
    let mut text = Vec::with_capacity(512);
    let mut json = serde_json::Serializer::new(&mut text);
    // The binding's types hold strings, integers, booleans, options, lists and their own
    // records and enums, all of which the adapter writes, so this does not fail; if a type
    // added later made it, the host still gets a decodable output saying so.
    match output.serialize(Tagged(&mut json)) {
        // serde_json writes UTF-8 only.
        Ok(()) => String::from_utf8(text).unwrap_or_default(),
        Err(e) => format!(
            r#"{{"$":"Output","transmits":[],"events":[{{"$":"Event.Unsupported","json":{}}}],"timeout_ms":null,"sequence":{}}}"#,
            serde_json::Value::from(format!("output not serializable: {e}")),
            output.sequence
        ),
    }
}

/// serde_json's serializer writing the tags.
struct Tagged<S>(S);

/// A value serialized through [`Tagged`].
struct Wrap<'a, T: ?Sized>(&'a T);

impl<T: ?Sized + Serialize> Serialize for Wrap<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(Tagged(s))
    }
}

/// The tag of a variant: `Enum.Variant`.
fn variant_tag(name: &str, variant: &str) -> String {
    let mut tag = String::with_capacity(name.len() + 1 + variant.len());
    tag.push_str(name);
    tag.push('.');
    tag.push_str(variant);
    tag
}

macro_rules! forward {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(fn $method(self, v: $ty) -> Result<S::Ok, S::Error> { self.0.$method(v) })*
    };
}

/// What the binding's types never contain (tuples, maps, newtype variants): refused, so a type
/// added later with one fails its test instead of writing an untagged shape.
fn unsupported<E: serde::ser::Error>(what: &str) -> E {
    E::custom(format!("tagged JSON has no {what}"))
}

impl<S: Serializer> Serializer for Tagged<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Tagged<S::SerializeSeq>;
    type SerializeTuple = Impossible<S::Ok, S::Error>;
    type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
    type SerializeMap = Impossible<S::Ok, S::Error>;
    type SerializeStruct = Tagged<S::SerializeStruct>;
    type SerializeStructVariant = Tagged<S::SerializeStruct>;

    forward!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
    );

    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_none()
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<S::Ok, S::Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit()
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<S::Ok, S::Error> {
        let mut s = self.0.serialize_struct(name, 1)?;
        s.serialize_field(TAG, name)?;
        s.end()
    }

    fn serialize_unit_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        let mut s = self.0.serialize_struct(name, 1)?;
        s.serialize_field(TAG, &variant_tag(name, variant))?;
        s.end()
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(unsupported("newtype variant"))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        self.0.serialize_seq(len).map(Tagged)
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, S::Error> {
        Err(unsupported("tuple"))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        Err(unsupported("tuple struct"))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        Err(unsupported("tuple variant"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        Err(unsupported("map"))
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        let mut s = self.0.serialize_struct(name, len + 1)?;
        s.serialize_field(TAG, name)?;
        Ok(Tagged(s))
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        let mut s = self.0.serialize_struct(name, len + 1)?;
        s.serialize_field(TAG, &variant_tag(name, variant))?;
        Ok(Tagged(s))
    }
}

impl<S: SerializeSeq> SerializeSeq for Tagged<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), S::Error> {
        self.0.serialize_element(&Wrap(v))
    }
    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

impl<S: SerializeStruct> SerializeStruct for Tagged<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), S::Error> {
        self.0.serialize_field(key, &Wrap(v))
    }
    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

impl<S: SerializeStruct> SerializeStructVariant for Tagged<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), S::Error> {
        self.0.serialize_field(key, &Wrap(v))
    }
    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

#[cfg(test)]
mod tests {
    use super::output_json;
    use crate::types::{
        Author, ChatwireError, Content, Delivery, Event, Message, Output, Role, Transmit,
    };
    use serde_json::{json, Value};

    fn parsed(output: &Output) -> Value {
        serde_json::from_str(&output_json(output)).expect("tagged output is JSON")
    }

    #[test]
    fn every_record_and_variant_names_its_type() {
        let output = Output {
            transmits: vec![Transmit::Frame {
                text: r#"{"type":2,"id":5}"#.into(),
            }],
            events: vec![
                Event::MessageReceived {
                    message: Message {
                        id: "m-1".into(),
                        chat_id: None,
                        author: Author {
                            id: "alice".into(),
                            kind: Some("1".into()),
                            display_name: None,
                        },
                        timestamp_ms: Some(-1),
                        content: Content::Text {
                            text: "hi \"you\"".into(),
                            format: None,
                        },
                        edited: false,
                        reply_to: None,
                        version: None,
                        own: true,
                        raw: r#"{"k":1}"#.into(),
                    },
                },
                Event::TokenExpired,
                Event::RequestFailed {
                    request: 3,
                    error: ChatwireError::Disconnected {
                        delivery: Delivery::MaybeDelivered,
                    },
                },
                Event::ParticipantRoleChanged {
                    chat_id: "c".into(),
                    user_id: "u".into(),
                    role: Some(Role::Admin),
                    timestamp_ms: None,
                },
            ],
            timeout_ms: Some(u64::MAX),
            sequence: 9,
        };
        assert_eq!(
            parsed(&output),
            json!({
                "$": "Output",
                "transmits": [{"$": "Transmit.Frame", "text": r#"{"type":2,"id":5}"#}],
                "events": [
                    {"$": "Event.MessageReceived", "message": {
                        "$": "Message", "id": "m-1", "chat_id": null,
                        "author": {"$": "Author", "id": "alice", "kind": "1", "display_name": null},
                        "timestamp_ms": -1,
                        "content": {"$": "Content.Text", "text": "hi \"you\"", "format": null},
                        "edited": false, "reply_to": null, "version": null, "own": true,
                        "raw": r#"{"k":1}"#,
                    }},
                    {"$": "Event.TokenExpired"},
                    {"$": "Event.RequestFailed", "request": 3, "error": {
                        "$": "ChatwireError.Disconnected",
                        "delivery": {"$": "Delivery.MaybeDelivered"},
                    }},
                    {"$": "Event.ParticipantRoleChanged", "chat_id": "c", "user_id": "u",
                     "role": {"$": "Role.Admin"}, "timestamp_ms": null},
                ],
                "timeout_ms": u64::MAX,
                "sequence": 9,
            })
        );
    }

    #[test]
    fn an_empty_output_is_a_tagged_object_too() {
        assert_eq!(
            parsed(&Output::default()),
            json!({"$": "Output", "transmits": [], "events": [], "timeout_ms": null, "sequence": 0})
        );
    }
}
