//! JSON exactly as Go's `encoding/json` writes it: `MarshalIndent(v, "", "    ")` for
//! `config.json` and plain `inspect`, compact for the template `json` function.
//! Go escapes `<`, `>`, `&`, U+2028 and U+2029; serde_json does not, hence this formatter.

use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter};
use std::io::{self, Write};

/// Go-style 4-space indented JSON, without a trailing newline.
pub fn to_vec_pretty<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, GoFormatter::pretty());
    value.serialize(&mut ser)?;
    Ok(out)
}

/// Go-style compact JSON.
pub fn to_vec_compact<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, GoFormatter::compact());
    value.serialize(&mut ser)?;
    Ok(out)
}

pub fn to_string_pretty<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    // The formatter only ever writes UTF-8.
    to_vec_pretty(value).map(|v| String::from_utf8(v).expect("utf-8 JSON"))
}

pub fn to_string_compact<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    to_vec_compact(value).map(|v| String::from_utf8(v).expect("utf-8 JSON"))
}

struct GoFormatter {
    indent: Option<&'static [u8]>,
    level: usize,
    has_value: bool,
}

impl GoFormatter {
    fn pretty() -> Self {
        GoFormatter {
            indent: Some(b"    "),
            level: 0,
            has_value: false,
        }
    }
    fn compact() -> Self {
        GoFormatter {
            indent: None,
            level: 0,
            has_value: false,
        }
    }
    fn newline_indent<W: ?Sized + Write>(&self, w: &mut W) -> io::Result<()> {
        if let Some(indent) = self.indent {
            w.write_all(b"\n")?;
            for _ in 0..self.level {
                w.write_all(indent)?;
            }
        }
        Ok(())
    }
}

impl Formatter for GoFormatter {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(b"[")
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.newline_indent(w)?;
        }
        w.write_all(b"]")
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.newline_indent(w)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(b"{")
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.newline_indent(w)?;
        }
        w.write_all(b"}")
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.newline_indent(w)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.indent.is_some() {
            w.write_all(b": ")
        } else {
            w.write_all(b":")
        }
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            let esc = match c {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            w.write_all(&fragment.as_bytes()[start..i])?;
            w.write_all(esc.as_bytes())?;
            start = i + c.len_utf8();
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        // Go writes \b and \f as \u0008 and \u000c; the rest as serde_json does.
        let s: &[u8] = match escape {
            CharEscape::Quote => b"\\\"",
            CharEscape::ReverseSolidus => b"\\\\",
            CharEscape::LineFeed => b"\\n",
            CharEscape::CarriageReturn => b"\\r",
            CharEscape::Tab => b"\\t",
            CharEscape::Solidus => b"/",
            CharEscape::Backspace => b"\\u0008",
            CharEscape::FormFeed => b"\\u000c",
            CharEscape::AsciiControl(byte) => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let buf = [
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[(byte >> 4) as usize],
                    HEX[(byte & 0xF) as usize],
                ];
                return w.write_all(&buf);
            }
        };
        w.write_all(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pretty_matches_go() {
        let v = json!({"A": [], "B": null, "C": ["x<y>&z"], "D": {}, "E": {"F": 1}});
        assert_eq!(
            to_string_pretty(&v).unwrap(),
            "{\n    \"A\": [],\n    \"B\": null,\n    \"C\": [\n        \"x\\u003cy\\u003e\\u0026z\"\n    ],\n    \"D\": {},\n    \"E\": {\n        \"F\": 1\n    }\n}"
        );
        assert_eq!(
            to_string_compact(&v).unwrap(),
            "{\"A\":[],\"B\":null,\"C\":[\"x\\u003cy\\u003e\\u0026z\"],\"D\":{},\"E\":{\"F\":1}}"
        );
    }
}
