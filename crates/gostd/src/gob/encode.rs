//! The gob encoder: one per stream, it sends each type's definition once, before the
//! first message that uses it (including the concrete types inside interface values,
//! which Go accepts as definitions sent ahead of the value).

use super::{ids, Type, Value};
use anyhow::{bail, Result};
use std::collections::HashMap;
use std::io::Write;

pub struct Encoder<W: Write> {
    w: W,
    sent: HashMap<Type, i64>,
    next_id: i64,
}

impl<W: Write> Encoder<W> {
    pub fn new(w: W) -> Encoder<W> {
        Encoder {
            w,
            sent: HashMap::new(),
            next_id: ids::FIRST_USER,
        }
    }

    pub fn get_mut(&mut self) -> &mut W {
        &mut self.w
    }

    /// Send one value of type `ty` (Go's `Encoder.Encode`).
    pub fn encode(&mut self, ty: &Type, value: &Value) -> Result<()> {
        self.define(ty)?;
        self.define_inside(ty, value)?;
        let mut msg = Vec::new();
        put_int(&mut msg, self.id(ty)?);
        self.put_top(&mut msg, ty, value)?;
        self.write_message(&msg)
    }

    fn write_message(&mut self, msg: &[u8]) -> Result<()> {
        let mut framed = Vec::with_capacity(msg.len() + 9);
        put_uint(&mut framed, msg.len() as u64);
        framed.extend_from_slice(msg);
        self.w.write_all(&framed)?;
        Ok(())
    }

    /// The id of a type already defined (or predefined).
    fn id(&self, ty: &Type) -> Result<i64> {
        Ok(match ty {
            Type::Bool => ids::BOOL,
            Type::Int => ids::INT,
            Type::Uint => ids::UINT,
            Type::Float => ids::FLOAT,
            Type::Bytes => ids::BYTES,
            Type::String => ids::STRING,
            Type::Complex => ids::COMPLEX,
            Type::Interface => ids::INTERFACE,
            other => match self.sent.get(other) {
                Some(id) => *id,
                None => bail!("gob: type {} was not defined", other.go_name()),
            },
        })
    }

    /// Send the definition of `ty` and of the types it is made of, unless sent already.
    fn define(&mut self, ty: &Type) -> Result<i64> {
        if let Ok(id) = self.id(ty) {
            return Ok(id);
        }
        let mut wire = Vec::new();
        // wireType { ArrayT, SliceT, StructT, MapT, ... }: one field set, by its index.
        match ty {
            Type::Array(elem, len) => {
                let elem = self.define(elem)?;
                put_uint(&mut wire, 1);
                let id = self.allocate(ty);
                put_common(&mut wire, ty, id);
                put_uint(&mut wire, 1);
                put_int(&mut wire, elem);
                put_uint(&mut wire, 1);
                put_int(&mut wire, *len as i64);
                put_uint(&mut wire, 0);
            }
            Type::Slice(elem) => {
                let elem = self.define(elem)?;
                put_uint(&mut wire, 2);
                let id = self.allocate(ty);
                put_common(&mut wire, ty, id);
                put_uint(&mut wire, 1);
                put_int(&mut wire, elem);
                put_uint(&mut wire, 0);
            }
            Type::Struct(st) => {
                let mut fields = Vec::new();
                for (name, fty) in &st.fields {
                    fields.push((name.clone(), self.define(fty)?));
                }
                put_uint(&mut wire, 3);
                let id = self.allocate(ty);
                put_common(&mut wire, ty, id);
                if !fields.is_empty() {
                    put_uint(&mut wire, 1);
                    put_uint(&mut wire, fields.len() as u64);
                    for (name, fid) in fields {
                        put_uint(&mut wire, 1);
                        put_bytes(&mut wire, name.as_bytes());
                        put_uint(&mut wire, 1);
                        put_int(&mut wire, fid);
                        put_uint(&mut wire, 0);
                    }
                }
                put_uint(&mut wire, 0);
            }
            Type::Map(key, elem) => {
                let key = self.define(key)?;
                let elem = self.define(elem)?;
                put_uint(&mut wire, 4);
                let id = self.allocate(ty);
                put_common(&mut wire, ty, id);
                put_uint(&mut wire, 1);
                put_int(&mut wire, key);
                put_uint(&mut wire, 1);
                put_int(&mut wire, elem);
                put_uint(&mut wire, 0);
            }
            _ => unreachable!("basic types are predefined"),
        }
        put_uint(&mut wire, 0);
        let id = self.sent[ty];
        let mut msg = Vec::new();
        put_int(&mut msg, -id);
        msg.extend_from_slice(&wire);
        self.write_message(&msg)?;
        Ok(id)
    }

    fn allocate(&mut self, ty: &Type) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.sent.insert(ty.clone(), id);
        id
    }

    /// Define the concrete types held by the interface values inside `value`.
    fn define_inside(&mut self, ty: &Type, value: &Value) -> Result<()> {
        match (ty, value) {
            (Type::Interface, Value::Interface(Some(c))) => {
                self.define(&c.ty)?;
                self.define_inside(&c.ty, &c.value)
            }
            (Type::Slice(elem) | Type::Array(elem, _), Value::Slice(items)) => {
                items.iter().try_for_each(|v| self.define_inside(elem, v))
            }
            (Type::Map(k, e), Value::Map(entries)) => entries.iter().try_for_each(|(kv, ev)| {
                self.define_inside(k, kv)?;
                self.define_inside(e, ev)
            }),
            (Type::Struct(st), Value::Struct(fields)) => {
                for (name, v) in fields {
                    if let Some((_, fty)) = st.fields.iter().find(|(n, _)| n == name) {
                        self.define_inside(fty, v)?;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A top-level value: a struct as such, anything else as a singleton (field delta 0).
    fn put_top(&self, buf: &mut Vec<u8>, ty: &Type, value: &Value) -> Result<()> {
        if !matches!(ty, Type::Struct(_)) {
            put_uint(buf, 0);
        }
        self.put_value(buf, ty, value)
    }

    fn put_value(&self, buf: &mut Vec<u8>, ty: &Type, value: &Value) -> Result<()> {
        match (ty, value) {
            (Type::Bool, Value::Bool(b)) => put_uint(buf, u64::from(*b)),
            (Type::Int, Value::Int(i)) => put_int(buf, *i),
            (Type::Uint, Value::Uint(u)) => put_uint(buf, *u),
            (Type::Float, Value::Float(f)) => put_uint(buf, f.to_bits().swap_bytes()),
            (Type::Complex, Value::Complex(r, i)) => {
                put_uint(buf, r.to_bits().swap_bytes());
                put_uint(buf, i.to_bits().swap_bytes());
            }
            (Type::Bytes, Value::Bytes(b)) => put_bytes(buf, b),
            (Type::String, Value::String(s)) => put_bytes(buf, s.as_bytes()),
            (Type::Interface, Value::Interface(None)) => put_uint(buf, 0),
            (Type::Interface, Value::Interface(Some(c))) => {
                put_bytes(buf, c.name.as_bytes());
                put_int(buf, self.id(&c.ty)?);
                let mut inner = Vec::new();
                self.put_top(&mut inner, &c.ty, &c.value)?;
                put_bytes(buf, &inner);
            }
            (Type::Slice(elem), Value::Slice(items)) => {
                put_uint(buf, items.len() as u64);
                for item in items {
                    self.put_value(buf, elem, item)?;
                }
            }
            (Type::Array(elem, len), Value::Slice(items)) if items.len() == *len => {
                put_uint(buf, items.len() as u64);
                for item in items {
                    self.put_value(buf, elem, item)?;
                }
            }
            (Type::Map(kt, et), Value::Map(entries)) => {
                put_uint(buf, entries.len() as u64);
                for (k, v) in entries {
                    self.put_value(buf, kt, k)?;
                    self.put_value(buf, et, v)?;
                }
            }
            (Type::Struct(st), Value::Struct(fields)) => {
                let mut last: i64 = -1;
                for (index, (name, fty)) in st.fields.iter().enumerate() {
                    let Some((_, v)) = fields.iter().find(|(n, _)| n == name) else {
                        continue;
                    };
                    if v.is_zero() {
                        continue;
                    }
                    put_uint(buf, (index as i64 - last) as u64);
                    last = index as i64;
                    self.put_value(buf, fty, v)?;
                }
                put_uint(buf, 0);
            }
            (ty, v) => bail!("gob: cannot encode {v:?} as {}", ty.go_name()),
        }
        Ok(())
    }
}

/// CommonType { Name, Id } as the first field of an array/slice/struct/map type.
fn put_common(wire: &mut Vec<u8>, ty: &Type, id: i64) {
    put_uint(wire, 1);
    let name = ty.go_name();
    if !name.is_empty() {
        put_uint(wire, 1);
        put_bytes(wire, name.as_bytes());
        put_uint(wire, 1);
    } else {
        put_uint(wire, 2);
    }
    put_int(wire, id);
    put_uint(wire, 0);
}

/// An unsigned integer: one byte below 128, else the negated byte count and big-endian bytes.
pub(super) fn put_uint(buf: &mut Vec<u8>, u: u64) {
    if u < 0x80 {
        buf.push(u as u8);
        return;
    }
    let bytes = u.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    buf.push((-((8 - skip) as i8)) as u8);
    buf.extend_from_slice(&bytes[skip..]);
}

/// A signed integer: the sign in the low bit, the magnitude (complemented if negative) above.
pub(super) fn put_int(buf: &mut Vec<u8>, i: i64) {
    let u = if i < 0 {
        ((!i as u64) << 1) | 1
    } else {
        (i as u64) << 1
    };
    put_uint(buf, u);
}

fn put_bytes(buf: &mut Vec<u8>, b: &[u8]) {
    put_uint(buf, b.len() as u64);
    buf.extend_from_slice(b);
}
