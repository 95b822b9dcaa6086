//! A serializer adapter that reports itself as not human-readable, all the way down.
//!
//! The core's `RawJson` serializes as nested JSON for human-readable formats (the CLI's JSON
//! lines) and as a string of JSON text otherwise, and a string is what JS is promised. The
//! binding writes JS values as serde_json text (`js::to_js`), which is human-readable, so
//! without this a `RawJson` would reach JS as the nested document. Every
//! nested value is wrapped too: serde passes the serializer down by value, so one level of
//! wrapping would be lost at the first field.
//!
//! It also writes integers past 2^53 as the JS numbers (rounded) they become.
//!
//! Public for the binding's tests, which serialize samples to JSON exactly as JS sees them.

use std::cell::Cell;

use serde::ser::{
    Serialize, SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant, SerializeTuple,
    SerializeTupleStruct, SerializeTupleVariant, Serializer,
};

/// The largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE: u64 = (1 << 53) - 1;

/// `S`, but not human-readable (and so are the serializers it hands to nested values).
pub struct Plain<S>(pub S);

/// What [`Plain`] makes of a struct: its fields through [`Plain`], and a `Message`'s `raw`
/// left out (written `null`) while [`without_message_raw`] runs.
pub struct PlainStruct<S> {
    inner: S,
    skip_raw: bool,
}

thread_local! {
    static WITHOUT_MESSAGE_RAW: Cell<bool> = const { Cell::new(false) };
}

/// Runs `write` with the `raw` field of every `Message` it serializes written as `null`: the
/// binding hands that text to JS as a string of its own (`js::events_to_js`), because escaped
/// inside the event's JSON it cost its escaping here and its unescaping in `JSON.parse`.
pub(crate) fn without_message_raw<R>(write: impl FnOnce() -> R) -> R {
    WITHOUT_MESSAGE_RAW.with(|w| w.set(true));
    let result = write();
    WITHOUT_MESSAGE_RAW.with(|w| w.set(false));
    result
}

/// A value serialized through [`Plain`].
struct Wrap<'a, T: ?Sized>(&'a T);

impl<T: ?Sized + Serialize> Serialize for Wrap<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(Plain(s))
    }
}

macro_rules! forward {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(fn $method(self, v: $ty) -> Result<S::Ok, S::Error> { self.0.$method(v) })*
    };
}

impl<S: Serializer> Serializer for Plain<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Plain<S::SerializeSeq>;
    type SerializeTuple = Plain<S::SerializeTuple>;
    type SerializeTupleStruct = Plain<S::SerializeTupleStruct>;
    type SerializeTupleVariant = Plain<S::SerializeTupleVariant>;
    type SerializeMap = Plain<S::SerializeMap>;
    type SerializeStruct = PlainStruct<S::SerializeStruct>;
    type SerializeStructVariant = Plain<S::SerializeStructVariant>;

    fn is_human_readable(&self) -> bool {
        false
    }

    forward!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_unit_struct(&'static str),
    );

    // 64- and 128-bit integers: exact up to 2^53, a JS number (rounded, as `JSON.parse` would
    // round it) beyond, so the text JS parses says what JS will hold, and the samples the
    // TypeScript test writes through this adapter show it.
    fn serialize_i64(self, v: i64) -> Result<S::Ok, S::Error> {
        match i32::try_from(v) {
            Ok(small) => self.0.serialize_i32(small),
            Err(_) if v.unsigned_abs() <= MAX_SAFE => self.0.serialize_i64(v),
            Err(_) => self.0.serialize_f64(v as f64),
        }
    }

    fn serialize_u64(self, v: u64) -> Result<S::Ok, S::Error> {
        match u32::try_from(v) {
            Ok(small) => self.0.serialize_u32(small),
            Err(_) if v <= MAX_SAFE => self.0.serialize_u64(v),
            Err(_) => self.0.serialize_f64(v as f64),
        }
    }

    fn serialize_i128(self, v: i128) -> Result<S::Ok, S::Error> {
        match i64::try_from(v) {
            Ok(v) => self.serialize_i64(v),
            Err(_) => self.0.serialize_f64(v as f64),
        }
    }

    fn serialize_u128(self, v: u128) -> Result<S::Ok, S::Error> {
        match u64::try_from(v) {
            Ok(v) => self.serialize_u64(v),
            Err(_) => self.0.serialize_f64(v as f64),
        }
    }

    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_none()
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.0.serialize_some(&Wrap(value))
    }

    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit_variant(name, index, variant)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_newtype_struct(name, &Wrap(value))
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0
            .serialize_newtype_variant(name, index, variant, &Wrap(value))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        self.0.serialize_seq(len).map(Plain)
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        self.0.serialize_tuple(len).map(Plain)
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        self.0.serialize_tuple_struct(name, len).map(Plain)
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        self.0
            .serialize_tuple_variant(name, index, variant, len)
            .map(Plain)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        self.0.serialize_map(len).map(Plain)
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        let skip_raw = name == "Message" && WITHOUT_MESSAGE_RAW.with(Cell::get);
        self.0
            .serialize_struct(name, len)
            .map(|inner| PlainStruct { inner, skip_raw })
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        self.0
            .serialize_struct_variant(name, index, variant, len)
            .map(Plain)
    }
}

impl<S: SerializeSeq> SerializeSeq for Plain<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), S::Error> {
        self.0.serialize_element(&Wrap(v))
    }
    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

impl<S: SerializeTuple> SerializeTuple for Plain<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), S::Error> {
        self.0.serialize_element(&Wrap(v))
    }
    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

impl<S: SerializeTupleStruct> SerializeTupleStruct for Plain<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), S::Error> {
        self.0.serialize_field(&Wrap(v))
    }
    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

impl<S: SerializeTupleVariant> SerializeTupleVariant for Plain<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), S::Error> {
        self.0.serialize_field(&Wrap(v))
    }
    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

impl<S: SerializeMap> SerializeMap for Plain<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, k: &T) -> Result<(), S::Error> {
        self.0.serialize_key(&Wrap(k))
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), S::Error> {
        self.0.serialize_value(&Wrap(v))
    }
    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

impl<S: SerializeStruct> SerializeStruct for PlainStruct<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), S::Error> {
        if self.skip_raw && key == "raw" {
            // Kept in its place, so the object JS gets has its keys in the same order.
            return self.inner.serialize_field(key, &());
        }
        self.inner.serialize_field(key, &Wrap(v))
    }
    fn skip_field(&mut self, key: &'static str) -> Result<(), S::Error> {
        self.inner.skip_field(key)
    }
    fn end(self) -> Result<S::Ok, S::Error> {
        self.inner.end()
    }
}

impl<S: SerializeStructVariant> SerializeStructVariant for Plain<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), S::Error> {
        self.0.serialize_field(key, &Wrap(v))
    }
    fn skip_field(&mut self, key: &'static str) -> Result<(), S::Error> {
        self.0.skip_field(key)
    }
    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}
