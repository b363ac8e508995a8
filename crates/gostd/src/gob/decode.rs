//! The gob decoder: reads length-prefixed messages, records the type definitions they
//! carry (also those Go sends in the middle of a value, before an interface's concrete
//! value) and decodes values into [`Value`]s by their wire types.

use super::{ids, Concrete, StructType, Type, Value, MAX_DEPTH, MAX_MESSAGE};
use anyhow::{anyhow, bail, Result};
use std::collections::HashMap;
use std::io::Read;

/// A type definition received on the stream.
#[derive(Debug, Clone)]
enum Wire {
    Array(i64, usize),
    Slice(i64),
    Struct(String, Vec<(String, i64)>),
    Map(i64, i64),
}

pub struct Decoder<R: Read> {
    r: R,
    buf: Vec<u8>,
    pos: usize,
    types: HashMap<i64, Wire>,
}

impl<R: Read> Decoder<R> {
    pub fn new(r: R) -> Decoder<R> {
        Decoder {
            r,
            buf: Vec::new(),
            pos: 0,
            types: HashMap::new(),
        }
    }

    /// Read the next value from the stream (Go's `Decoder.Decode`), with its type.
    pub fn decode(&mut self) -> Result<(Type, Value)> {
        let id = self.type_sequence(false)?;
        let ty = self.type_of(id, 0)?;
        let value = self.top_value(id, 0)?;
        Ok((ty, value))
    }

    /// Read one whole message into the buffer.
    fn recv_message(&mut self) -> Result<()> {
        let len = read_uint_from(&mut self.r)?;
        if len == 0 || len > MAX_MESSAGE {
            bail!("gob: invalid message length {len}");
        }
        self.buf.resize(len as usize, 0);
        self.r.read_exact(&mut self.buf).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                anyhow!("unexpected EOF")
            } else {
                e.into()
            }
        })?;
        self.pos = 0;
        Ok(())
    }

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Type definitions, then the id of the value that follows. Inside an interface
    /// value a definition may be followed by the byte count of the next one, skipped.
    fn type_sequence(&mut self, in_interface: bool) -> Result<i64> {
        loop {
            if self.remaining() == 0 {
                self.recv_message()?;
            }
            let id = self.int()?;
            if id >= 0 {
                return Ok(id);
            }
            self.recv_type(-id)?;
            if self.remaining() > 0 {
                if !in_interface {
                    bail!("gob: extra data in buffer");
                }
                self.uint()?;
            }
        }
    }

    /// A `wireType` struct: exactly one of its fields describes the type.
    fn recv_type(&mut self, id: i64) -> Result<()> {
        if id <= ids::INTERFACE || self.types.contains_key(&id) {
            bail!("gob: duplicate or reserved type id {id}");
        }
        let mut wire = None;
        let mut field = -1i64;
        loop {
            let delta = self.uint()?;
            if delta == 0 {
                break;
            }
            field += delta as i64;
            wire = Some(match field {
                0 => {
                    let (mut elem, mut len) = (0, 0);
                    self.type_struct(|d, f| match f {
                        1 => d.int().map(|v| elem = v),
                        2 => d.int().map(|v| len = v),
                        _ => bail!("gob: bad array type"),
                    })?;
                    Wire::Array(elem, usize::try_from(len)?)
                }
                1 => {
                    let mut elem = 0;
                    self.type_struct(|d, f| match f {
                        1 => d.int().map(|v| elem = v),
                        _ => bail!("gob: bad slice type"),
                    })?;
                    Wire::Slice(elem)
                }
                2 => {
                    let mut fields = Vec::new();
                    let name = self.type_struct(|d, f| match f {
                        1 => {
                            let n = d.count()?;
                            for _ in 0..n {
                                fields.push(d.field_type()?);
                            }
                            Ok(())
                        }
                        _ => bail!("gob: bad struct type"),
                    })?;
                    Wire::Struct(name, fields)
                }
                3 => {
                    let (mut key, mut elem) = (0, 0);
                    self.type_struct(|d, f| match f {
                        1 => d.int().map(|v| key = v),
                        2 => d.int().map(|v| elem = v),
                        _ => bail!("gob: bad map type"),
                    })?;
                    Wire::Map(key, elem)
                }
                _ => bail!("gob: GobEncoder and marshaler types are not supported"),
            });
        }
        let wire = wire.ok_or_else(|| anyhow!("gob: empty type definition"))?;
        self.types.insert(id, wire);
        Ok(())
    }

    /// An array/slice/struct/map type: field 0 is CommonType { Name, Id }, the rest are
    /// handed to `other` by index. Returns the name.
    fn type_struct(
        &mut self,
        mut other: impl FnMut(&mut Self, i64) -> Result<()>,
    ) -> Result<String> {
        let mut name = String::new();
        let mut field = -1i64;
        loop {
            let delta = self.uint()?;
            if delta == 0 {
                return Ok(name);
            }
            field += delta as i64;
            if field == 0 {
                let (n, _id) = self.name_and_id()?;
                name = n;
            } else {
                other(self, field)?;
            }
        }
    }

    /// A struct { Name string; Id int } (CommonType and fieldType have the same shape).
    fn name_and_id(&mut self) -> Result<(String, i64)> {
        let (mut name, mut id) = (String::new(), 0);
        let mut field = -1i64;
        loop {
            let delta = self.uint()?;
            if delta == 0 {
                return Ok((name, id));
            }
            field += delta as i64;
            match field {
                0 => name = self.string()?,
                1 => id = self.int()?,
                _ => bail!("gob: bad type description"),
            }
        }
    }

    fn field_type(&mut self) -> Result<(String, i64)> {
        self.name_and_id()
    }

    /// The [`Type`] of a wire id.
    fn type_of(&self, id: i64, depth: usize) -> Result<Type> {
        if depth > MAX_DEPTH {
            bail!("gob: type nesting too deep");
        }
        Ok(match id {
            ids::BOOL => Type::Bool,
            ids::INT => Type::Int,
            ids::UINT => Type::Uint,
            ids::FLOAT => Type::Float,
            ids::BYTES => Type::Bytes,
            ids::STRING => Type::String,
            ids::COMPLEX => Type::Complex,
            ids::INTERFACE => Type::Interface,
            _ => match self.wire(id)? {
                Wire::Array(e, n) => Type::Array(Box::new(self.type_of(*e, depth + 1)?), *n),
                Wire::Slice(e) => Type::Slice(Box::new(self.type_of(*e, depth + 1)?)),
                Wire::Map(k, e) => Type::Map(
                    Box::new(self.type_of(*k, depth + 1)?),
                    Box::new(self.type_of(*e, depth + 1)?),
                ),
                Wire::Struct(name, fields) => Type::Struct(StructType {
                    name: name.clone(),
                    fields: fields
                        .iter()
                        .map(|(n, t)| Ok((n.clone(), self.type_of(*t, depth + 1)?)))
                        .collect::<Result<_>>()?,
                }),
            },
        })
    }

    fn wire(&self, id: i64) -> Result<&Wire> {
        self.types
            .get(&id)
            .ok_or_else(|| anyhow!("gob: unknown type id {id}"))
    }

    /// A value standing alone (top level or inside an interface): a struct as such,
    /// anything else after a zero field delta.
    fn top_value(&mut self, id: i64, depth: usize) -> Result<Value> {
        let is_struct = matches!(self.types.get(&id), Some(Wire::Struct(..)));
        if !is_struct && self.uint()? != 0 {
            bail!("gob: decode: corrupted data: non-zero delta for singleton");
        }
        self.value(id, depth)
    }

    fn value(&mut self, id: i64, depth: usize) -> Result<Value> {
        if depth > MAX_DEPTH {
            bail!("gob: value nesting too deep");
        }
        Ok(match id {
            ids::BOOL => Value::Bool(self.uint()? != 0),
            ids::INT => Value::Int(self.int()?),
            ids::UINT => Value::Uint(self.uint()?),
            ids::FLOAT => Value::Float(self.float()?),
            ids::BYTES => Value::Bytes(self.bytes()?.to_vec()),
            ids::STRING => Value::String(self.string()?),
            ids::COMPLEX => Value::Complex(self.float()?, self.float()?),
            ids::INTERFACE => self.interface(depth)?,
            _ => match self.wire(id)?.clone() {
                Wire::Array(e, _) | Wire::Slice(e) => {
                    let n = self.count()?;
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.value(e, depth + 1)?);
                    }
                    Value::Slice(items)
                }
                Wire::Map(k, e) => {
                    let n = self.count()?;
                    let mut entries = Vec::with_capacity(n);
                    for _ in 0..n {
                        let key = self.value(k, depth + 1)?;
                        entries.push((key, self.value(e, depth + 1)?));
                    }
                    Value::Map(entries)
                }
                Wire::Struct(_, fields) => {
                    let mut out = Vec::new();
                    let mut field = -1i64;
                    loop {
                        let delta = self.uint()?;
                        if delta == 0 {
                            break;
                        }
                        field = field.saturating_add(i64::try_from(delta)?);
                        let (name, fid) =
                            usize::try_from(field)
                                .ok()
                                .and_then(|i| fields.get(i))
                                .ok_or_else(|| anyhow!("gob: field number {field} out of range"))?;
                        out.push((name.clone(), self.value(*fid, depth + 1)?));
                    }
                    Value::Struct(out)
                }
            },
        })
    }

    fn interface(&mut self, depth: usize) -> Result<Value> {
        let name = self.bytes()?;
        if name.is_empty() {
            return Ok(Value::Interface(None));
        }
        if name.len() > 1024 {
            bail!("gob: interface type name too long");
        }
        let name = String::from_utf8_lossy(name).into_owned();
        let id = self.type_sequence(true)?;
        let _byte_count = self.uint()?;
        let ty = self.type_of(id, 0)?;
        let value = self.top_value(id, depth + 1)?;
        Ok(Value::Interface(Some(Box::new(Concrete {
            name,
            ty,
            value,
        }))))
    }

    fn byte(&mut self) -> Result<u8> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| anyhow!("gob: unexpected end of message"))?;
        self.pos += 1;
        Ok(b)
    }

    fn uint(&mut self) -> Result<u64> {
        let first = self.byte()?;
        if first < 0x80 {
            return Ok(u64::from(first));
        }
        let n = (first as i8).unsigned_abs() as usize;
        if n > 8 {
            bail!("gob: invalid uint data length {n}");
        }
        let mut u = 0u64;
        for _ in 0..n {
            u = (u << 8) | u64::from(self.byte()?);
        }
        Ok(u)
    }

    fn int(&mut self) -> Result<i64> {
        let u = self.uint()?;
        Ok(if u & 1 == 1 {
            !((u >> 1) as i64)
        } else {
            (u >> 1) as i64
        })
    }

    fn float(&mut self) -> Result<f64> {
        Ok(f64::from_bits(self.uint()?.swap_bytes()))
    }

    /// An element count, which cannot exceed the bytes left (each element takes one).
    fn count(&mut self) -> Result<usize> {
        let n = self.uint()?;
        if n > self.remaining() as u64 {
            bail!("gob: count {n} exceeds the message");
        }
        Ok(n as usize)
    }

    fn bytes(&mut self) -> Result<&[u8]> {
        let n = self.uint()?;
        if n > self.remaining() as u64 {
            bail!("gob: length {n} exceeds the message");
        }
        let start = self.pos;
        self.pos += n as usize;
        Ok(&self.buf[start..self.pos])
    }

    fn string(&mut self) -> Result<String> {
        Ok(String::from_utf8_lossy(self.bytes()?).into_owned())
    }
}

/// A message length, read byte by byte from the stream.
fn read_uint_from(r: &mut impl Read) -> Result<u64> {
    let mut first = [0u8; 1];
    r.read_exact(&mut first)?;
    if first[0] < 0x80 {
        return Ok(u64::from(first[0]));
    }
    let n = (first[0] as i8).unsigned_abs() as usize;
    if n > 8 {
        bail!("gob: invalid message length prefix");
    }
    let mut bytes = [0u8; 8];
    r.read_exact(&mut bytes[8 - n..])?;
    Ok(u64::from_be_bytes(bytes))
}
