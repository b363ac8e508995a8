//! Go's `encoding/gob` wire format, as far as the driver plugin protocol uses it: booleans,
//! integers, floats, strings, byte slices, slices, maps, structs and interface values
//! registered by name (the flag types, `RPCFlags`). Values are dynamic ([`Value`]) and the
//! encoder is told their Go type ([`Type`]); the decoder learns types from the stream.
//!
//! The one gob crate on crates.io (`gob` 0.1.0, serde-based) has had a single release, and
//! the protocol needs dynamic interface values with their registered names (the flag
//! types, `RPCFlags`), so this small codec is written for it, after the format described
//! in Go's `encoding/gob` documentation.

mod decode;
mod encode;

pub use decode::Decoder;
pub use encode::Encoder;

/// A Go type as gob describes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    Bool,
    /// Every signed integer type (`int`, `int64`, named ones such as `state.State`).
    Int,
    Uint,
    Float,
    /// `[]byte`.
    Bytes,
    String,
    Complex,
    /// `interface{}` or any interface type: the value carries its concrete type.
    Interface,
    Slice(Box<Type>),
    /// Arrays decode as slices of their elements; the length is kept for the type.
    Array(Box<Type>, usize),
    Map(Box<Type>, Box<Type>),
    Struct(StructType),
}

/// A struct: its name (informative only) and its exported fields in declaration order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StructType {
    pub name: String,
    pub fields: Vec<(String, Type)>,
}

impl Type {
    /// A struct type from its name and fields.
    pub fn structure(name: &str, fields: &[(&str, Type)]) -> Type {
        Type::Struct(StructType {
            name: name.to_string(),
            fields: fields
                .iter()
                .map(|(n, t)| (n.to_string(), t.clone()))
                .collect(),
        })
    }

    /// Go's name of the type, as gob puts it in type definitions.
    pub fn go_name(&self) -> String {
        match self {
            Type::Bool => "bool".into(),
            Type::Int => "int".into(),
            Type::Uint => "uint".into(),
            Type::Float => "float64".into(),
            Type::Bytes => "[]uint8".into(),
            Type::String => "string".into(),
            Type::Complex => "complex128".into(),
            Type::Interface => "interface {}".into(),
            Type::Slice(e) => format!("[]{}", e.go_name()),
            Type::Array(e, n) => format!("[{n}]{}", e.go_name()),
            Type::Map(k, v) => format!("map[{}]{}", k.go_name(), v.go_name()),
            Type::Struct(s) if s.name.is_empty() && s.fields.is_empty() => "struct {}".into(),
            Type::Struct(s) => s.name.clone(),
        }
    }
}

/// A value of some gob type. A struct lists the fields present on the wire: a field that
/// is absent has its zero value, as in Go.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Bytes(Vec<u8>),
    String(String),
    Complex(f64, f64),
    /// `None` is a nil interface.
    Interface(Option<Box<Concrete>>),
    Slice(Vec<Value>),
    Map(Vec<(Value, Value)>),
    Struct(Vec<(String, Value)>),
}

/// What an interface holds: the name its type was registered under, the type and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Concrete {
    pub name: String,
    pub ty: Type,
    pub value: Value,
}

impl Value {
    /// An interface value holding `value` of type `ty`, registered as `name`.
    pub fn interface(name: &str, ty: Type, value: Value) -> Value {
        Value::Interface(Some(Box::new(Concrete {
            name: name.to_string(),
            ty,
            value,
        })))
    }

    /// A struct's field (`None`: absent, that is zero).
    pub fn field(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Struct(fields) => fields.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The text of a string or byte slice ("" for anything else, Go's zero value).
    pub fn str(&self) -> &str {
        match self {
            Value::String(s) => s,
            Value::Bytes(b) => std::str::from_utf8(b).unwrap_or_default(),
            _ => "",
        }
    }

    /// A signed or unsigned integer (0 for anything else).
    pub fn int(&self) -> i64 {
        match self {
            Value::Int(i) => *i,
            Value::Uint(u) => i64::try_from(*u).unwrap_or(i64::MAX),
            _ => 0,
        }
    }

    /// Whether gob leaves the value out of a struct (Go's zero value).
    fn is_zero(&self) -> bool {
        match self {
            Value::Bool(b) => !b,
            Value::Int(i) => *i == 0,
            Value::Uint(u) => *u == 0,
            Value::Float(f) => *f == 0.0,
            Value::Complex(r, i) => *r == 0.0 && *i == 0.0,
            Value::Bytes(b) => b.is_empty(),
            Value::String(s) => s.is_empty(),
            Value::Interface(i) => i.is_none(),
            Value::Slice(v) => v.is_empty(),
            Value::Map(m) => m.is_empty(),
            // Go sends a struct field even when all of its fields are zero.
            Value::Struct(_) => false,
        }
    }
}

/// Type ids gob predefines: the basic types, then its own type-description types.
mod ids {
    pub const BOOL: i64 = 1;
    pub const INT: i64 = 2;
    pub const UINT: i64 = 3;
    pub const FLOAT: i64 = 4;
    pub const BYTES: i64 = 5;
    pub const STRING: i64 = 6;
    pub const COMPLEX: i64 = 7;
    pub const INTERFACE: i64 = 8;
    /// The first id the encoder gives its own types (gob's first user id is 65).
    pub const FIRST_USER: i64 = 65;
}

/// Largest message accepted: a driver config or a flag list is a few kilobytes.
const MAX_MESSAGE: u64 = 64 << 20;
/// Deepest nesting accepted, so that garbage cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

#[cfg(test)]
mod tests;
