//! An [`Output`] as one compact JSON text in which every record and enum value names its own
//! type, for a host that builds its objects from that text in one parse (the Python package
//! does, `chatwire/_tagged.py`) instead of lifting them field by field from UniFFI's buffer.
//!
//! The shape: a record or an enum variant is an array whose first element is its tag, the
//! record's name (`"Message"`) or the enum's and the variant's as Rust names them
//! (`"Event.MessageReceived"`), followed by its fields in declaration order, a variant without
//! fields being the tag alone (`["Delivery.NotSent"]`); `None` is `null`; a list is an array.
//! No field names: the host knows each type's fields, in order, from the generated bindings,
//! and a parser makes arrays faster than objects (no key per field to read and hash).
//!
//! A field named `raw` (a payload kept as the server sent it) that is the text of one of the
//! input frames, as it is whenever the server wrote it compactly, is written as
//! `[frame, start, end]` instead: where it is in which frame of the call, in characters, so the
//! host takes it as a slice of the text it passed in — the same string, without escaping a
//! third of the output and unescaping it again.
//!
//! It is a serializer adapter over serde_json's, driven by plain `#[derive(Serialize)]` on the
//! binding's types: serde already hands every serializer the type and variant names, so no
//! per-variant attribute is needed.

use crate::types::Output;
use serde::ser::{
    Impossible, Serialize, SerializeSeq, SerializeStruct, SerializeStructVariant, Serializer,
};
use std::cell::Cell;

/// A `raw` shorter than this is written as text: slicing it costs the host more than parsing.
const SLICE_MIN: usize = 32;

/// How many frames past the last one a `raw` was found in are searched for the next: events
/// come in frame order, so a `raw` is in the frame of the previous one or a later one; the
/// bound keeps a batch whose payloads are not slices (a server writing spaced-out JSON) linear.
const SLICE_WINDOW: usize = 4;

/// The input frames of one call, where a `raw` may be found.
pub(crate) struct Frames<'a> {
    frames: &'a [&'a str],
    /// The frame the last `raw` was found in.
    cursor: Cell<usize>,
}

impl<'a> Frames<'a> {
    pub(crate) fn new(frames: &'a [&'a str]) -> Self {
        Frames {
            frames,
            cursor: Cell::new(0),
        }
    }

    /// `[frame, start, end]` (characters) of `text` in the frames, if it is in one near the
    /// cursor.
    fn find(&self, text: &str) -> Option<[usize; 3]> {
        if text.len() < SLICE_MIN {
            return None;
        }
        let from = self.cursor.get();
        let to = self.frames.len().min(from + SLICE_WINDOW);
        (from..to).find_map(|i| {
            let frame = self.frames[i];
            let at = position(frame, text)?;
            self.cursor.set(i);
            let start = frame.get(..at)?.chars().count();
            Some([i, start, start + text.chars().count()])
        })
    }
}

/// Frames up to this size are searched by comparing at each byte equal to the text's first:
/// for a JSON payload that is a handful of `{`, where setting up `str::find`'s two-way
/// searcher costs more than the search. Larger ones get `str::find`, linear in any case.
const NAIVE_MAX: usize = 4096;

/// Where `text` starts in `frame`, in bytes.
fn position(frame: &str, text: &str) -> Option<usize> {
    if frame.len() > NAIVE_MAX {
        return frame.find(text);
    }
    let (frame, text) = (frame.as_bytes(), text.as_bytes());
    let first = *text.first()?;
    let last = frame.len().checked_sub(text.len())?;
    // A match starts at a character boundary: its first byte starts a character, and no
    // continuation byte equals one that does.
    (0..=last).find(|&i| frame[i] == first && frame[i..].starts_with(text))
}

/// `output` as tagged JSON text, its `raw` fields found in `frames` where they can be.
pub(crate) fn output_json(output: &Output, frames: &Frames<'_>) -> String {
    let mut text = Vec::with_capacity(256);
    let mut json = serde_json::Serializer::new(&mut text);
    // The binding's types hold strings, integers, booleans, options, lists and their own
    // records and enums, all of which the adapter writes, so this does not fail; if a type
    // added later made it, the host still gets a decodable output saying so.
    match output.serialize(Tagged::new(&mut json, frames)) {
        // serde_json writes UTF-8 only.
        Ok(()) => String::from_utf8(text).unwrap_or_default(),
        Err(e) => format!(
            r#"["Output",[],[["Event.Unsupported",{}]],null,{}]"#,
            serde_json::Value::from(format!("output not serializable: {e}")),
            output.sequence
        ),
    }
}

/// serde_json's serializer writing the tags; `raw` when the value is a `raw` field's.
struct Tagged<'f, S> {
    ser: S,
    frames: &'f Frames<'f>,
    raw: bool,
}

impl<'f, S> Tagged<'f, S> {
    fn new(ser: S, frames: &'f Frames<'f>) -> Self {
        Tagged {
            ser,
            frames,
            raw: false,
        }
    }
}

/// A value serialized through [`Tagged`].
struct Wrap<'a, 'f, T: ?Sized> {
    value: &'a T,
    frames: &'f Frames<'f>,
    raw: bool,
}

impl<T: ?Sized + Serialize> Serialize for Wrap<'_, '_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(Tagged {
            ser: s,
            frames: self.frames,
            raw: self.raw,
        })
    }
}

/// The tag of a variant, `Enum.Variant`, written without building the string.
struct VariantTag(&'static str, &'static str);

impl Serialize for VariantTag {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}.{}", self.0, self.1))
    }
}

/// A record's or variant's fields after its tag, in one array.
struct Compound<'f, C> {
    seq: C,
    frames: &'f Frames<'f>,
}

macro_rules! forward {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(fn $method(self, v: $ty) -> Result<S::Ok, S::Error> { self.ser.$method(v) })*
    };
}

/// What the binding's types never contain (tuples, maps, newtype variants): refused, so a type
/// added later with one fails its test instead of writing an untagged shape.
fn unsupported<E: serde::ser::Error>(what: &str) -> E {
    E::custom(format!("tagged JSON has no {what}"))
}

impl<'f, S: Serializer> Serializer for Tagged<'f, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Compound<'f, S::SerializeSeq>;
    type SerializeTuple = Impossible<S::Ok, S::Error>;
    type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
    type SerializeMap = Impossible<S::Ok, S::Error>;
    type SerializeStruct = Compound<'f, S::SerializeSeq>;
    type SerializeStructVariant = Compound<'f, S::SerializeSeq>;

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
        serialize_bytes(&[u8]),
    );

    fn serialize_str(self, v: &str) -> Result<S::Ok, S::Error> {
        let slice = if self.raw { self.frames.find(v) } else { None };
        match slice {
            Some(slice) => slice.serialize(self.ser),
            None => self.ser.serialize_str(v),
        }
    }

    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.ser.serialize_none()
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<S::Ok, S::Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.ser.serialize_unit()
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<S::Ok, S::Error> {
        let mut seq = self.ser.serialize_seq(Some(1))?;
        seq.serialize_element(name)?;
        seq.end()
    }

    fn serialize_unit_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        let mut seq = self.ser.serialize_seq(Some(1))?;
        seq.serialize_element(&VariantTag(name, variant))?;
        seq.end()
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
        let seq = self.ser.serialize_seq(len)?;
        Ok(Compound {
            seq,
            frames: self.frames,
        })
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
        let mut seq = self.ser.serialize_seq(Some(len + 1))?;
        seq.serialize_element(name)?;
        Ok(Compound {
            seq,
            frames: self.frames,
        })
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        let mut seq = self.ser.serialize_seq(Some(len + 1))?;
        seq.serialize_element(&VariantTag(name, variant))?;
        Ok(Compound {
            seq,
            frames: self.frames,
        })
    }
}

impl<C: SerializeSeq> Compound<'_, C> {
    fn element<T: ?Sized + Serialize>(&mut self, value: &T, raw: bool) -> Result<(), C::Error> {
        self.seq.serialize_element(&Wrap {
            value,
            frames: self.frames,
            raw,
        })
    }
}

impl<C: SerializeSeq> SerializeSeq for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), C::Error> {
        self.element(v, false)
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.seq.end()
    }
}

impl<C: SerializeSeq> SerializeStruct for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), C::Error> {
        self.element(v, key == "raw")
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.seq.end()
    }
}

impl<C: SerializeSeq> SerializeStructVariant for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), C::Error> {
        self.element(v, key == "raw")
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::{output_json, Frames};
    use crate::types::{
        Author, ChatwireError, Content, Delivery, Event, Message, Output, Role, Transmit,
    };
    use serde_json::{json, Value};

    fn parsed(output: &Output, frames: &[&str]) -> Value {
        serde_json::from_str(&output_json(output, &Frames::new(frames)))
            .expect("tagged output is JSON")
    }

    fn message(raw: &str) -> Message {
        Message {
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
            raw: raw.into(),
        }
    }

    #[test]
    fn every_record_and_variant_is_an_array_led_by_its_tag() {
        let output = Output {
            transmits: vec![Transmit::Frame {
                text: r#"{"type":2,"id":5}"#.into(),
            }],
            events: vec![
                Event::MessageReceived {
                    message: message(r#"{"k":1}"#),
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
            parsed(&output, &[]),
            json!([
                "Output",
                [["Transmit.Frame", r#"{"type":2,"id":5}"#]],
                [
                    [
                        "Event.MessageReceived",
                        [
                            "Message",
                            "m-1",
                            null,
                            ["Author", "alice", "1", null],
                            -1,
                            ["Content.Text", "hi \"you\"", null],
                            false,
                            null,
                            null,
                            true,
                            r#"{"k":1}"#
                        ]
                    ],
                    ["Event.TokenExpired"],
                    [
                        "Event.RequestFailed",
                        3,
                        ["ChatwireError.Disconnected", ["Delivery.MaybeDelivered"]]
                    ],
                    [
                        "Event.ParticipantRoleChanged",
                        "c",
                        "u",
                        ["Role.Admin"],
                        null
                    ],
                ],
                u64::MAX,
                9,
            ])
        );
    }

    #[test]
    fn a_raw_found_in_a_frame_is_where_it_is_in_characters() {
        let payload = r#"{"text":"привет, this is long enough to be sliced"}"#;
        let other = r#"{"type":1,"id":1,"payload":{"x":"not the one, but long enough"}}"#;
        let frame = format!(r#"{{"type":1,"id":7,"payload":{payload}}}"#);
        let output = Output {
            events: vec![
                Event::MessageReceived {
                    message: message(payload),
                },
                // Too short to be worth a slice, and text in no frame: written as text.
                Event::MessageReceived {
                    message: message(r#"{"id":7}"#),
                },
                Event::MessageReceived {
                    message: message(r#"{"nowhere":"in the frames, and long enough"}"#),
                },
            ],
            ..Output::default()
        };
        let value = parsed(&output, &[other, &frame]);
        let raw = |i: usize| value[2][i][1][10].clone();
        let start = frame[..frame.find(payload).unwrap()].chars().count();
        assert_eq!(raw(0), json!([1, start, start + payload.chars().count()]));
        let chars: Vec<char> = frame.chars().collect();
        let sliced: String = chars[start..start + payload.chars().count()]
            .iter()
            .collect();
        assert_eq!(sliced, payload);
        assert_eq!(raw(1), json!(r#"{"id":7}"#));
        assert_eq!(
            raw(2),
            json!(r#"{"nowhere":"in the frames, and long enough"}"#)
        );
        // Only `raw` fields are sliced: the same text in another field stays text.
        let text = Output {
            transmits: vec![Transmit::Frame {
                text: payload.into(),
            }],
            ..Output::default()
        };
        assert_eq!(parsed(&text, &[&frame])[1][0][1], json!(payload));
    }

    #[test]
    fn both_searches_find_the_first_occurrence() {
        let text = r#"{"a":"ü","b":[1,2]}"#;
        for frame in [
            format!(r#"[{{"a":"ü"}},{text},{text}]"#),
            format!(r#"[{}{text}]"#, "{\"a\":\"ü\"},".repeat(400)),
        ] {
            assert_eq!(super::position(&frame, text), frame.find(text));
        }
        assert_eq!(super::position("{}", text), None);
    }

    #[test]
    fn an_empty_output_is_a_tagged_array_too() {
        assert_eq!(
            parsed(&Output::default(), &[]),
            json!(["Output", [], [], null, 0])
        );
    }
}
