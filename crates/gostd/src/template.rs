//! Go `text/template`, as `inspect --format` and `ls --format` run it.
//!
//! The engine is [`gotmpl`]; this module adds what the original's output depends on:
//!
//! * Go's wording for parse errors (`template: :1: unclosed action`), including the errors
//!   Go reports at parse time and gotmpl only at run time or not at all (an undefined
//!   function, a stray `{{end}}` or `{{else}}`);
//! * Go's `%v` for printed numbers (`22`, `1e+06`, `1.23456789e+08`), applied to every
//!   value an action prints, nested in lists and maps too;
//! * `inspect`'s extra functions `json` and `prettyjson` (Go's `encoding/json`: keys
//!   sorted, `<` `>` `&` escaped, floats as Go writes them);
//! * two ways to see data: [`Template::render_map`] treats it as JSON decoded into Go's
//!   `map[string]interface{}` (every number a float64, a missing key prints
//!   `<no value>`), [`Template::render_strict`] as a Go struct (an unknown field is an
//!   error, integers stay integers).
//!
//! For `ls --format` (plain text/template, no `json`):
//!
//! ```
//! use libmachine::template::Template;
//! use serde_json::json;
//!
//! let t = Template::parse_plain("{{.Name}}\t{{.State}}").unwrap();
//! // the header: a field -> header map, unknown fields print `<no value>`
//! let header = t.render_map(&json!({"Name": "NAME", "State": "STATE"})).unwrap();
//! assert_eq!(header, "NAME\tSTATE");
//! // a row: unknown fields are errors
//! let row = t.render_strict(&json!({"Name": "n1", "State": "Running"})).unwrap();
//! assert_eq!(row, "n1\tRunning");
//! assert!(Template::parse_plain("{{.Nope}}").unwrap().render_strict(&json!({})).is_err());
//! ```

use gotmpl::parse::{CommandNode, Expr, ListNode, Node, Parser, PipeNode, SmolStr};
pub use gotmpl::Value;
use gotmpl::{FuncMap, MissingKey};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

mod typed;
pub use typed::{GoFn, GoType};

/// What a [`GoFn`] returns.
pub type GoResult<T> = gotmpl::Result<T>;

/// An execution error with `message` (for [`GoFn`]s).
pub fn exec_error(message: String) -> gotmpl::TemplateError {
    gotmpl::TemplateError::Exec(message)
}

/// A template that failed to parse or to run. `Display` is the message alone, worded
/// as Go's (`inspect` prefixes parse errors with `template parsing error: `).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The source does not parse, e.g. `template: :1: unclosed action`.
    #[error("{0}")]
    Parse(String),
    /// Running the template failed, e.g. `template: executing "": can't evaluate field Foo`.
    #[error("{0}")]
    Exec(String),
}

/// Named template bodies.
type Trees = Vec<(String, ListNode)>;

/// A parsed template, ready to run any number of times (`Send + Sync`).
#[derive(Debug, Clone)]
pub struct Template {
    /// The top-level body under [`ENTRY`], then every `{{define}}`d body, each with the
    /// printing function appended to the pipelines whose value is printed.
    trees: Trees,
    /// Whether `json` and `prettyjson` are available.
    json_funcs: bool,
    /// The trees rewritten for typed fields, used by strict runs (see [`Template::with_types`]).
    typed: Option<(Trees, &'static [GoType])>,
}

/// Name of the top-level body; a user cannot reach it by accident.
const ENTRY: &str = "\u{1}docker-machine";
/// The function appended to printed pipelines; not lexable as an identifier, so no
/// template can call it.
const PRINT_FN: &str = "\u{1}print";
/// Marker appended to the source to detect a body that ended early.
const SENTINEL: &str = "\u{1}end-of-template";

/// Go's built-in template functions as gotmpl provides them.
const BUILTINS: &[&str] = &[
    "and", "call", "eq", "ge", "gt", "html", "index", "js", "le", "len", "lt", "ne", "not", "or",
    "print", "printf", "println", "slice", "urlquery",
];

impl Template {
    /// Parse a template for `inspect`: Go's built-in functions plus `json` and
    /// `prettyjson`.
    pub fn parse(src: &str) -> Result<Template, TemplateError> {
        Self::parse_with(src, true)
    }

    /// Parse a plain text/template (built-in functions only), as `ls --format` does.
    pub fn parse_plain(src: &str) -> Result<Template, TemplateError> {
        Self::parse_with(src, false)
    }

    fn parse_with(src: &str, json_funcs: bool) -> Result<Template, TemplateError> {
        let (top, _) = Parser::with_name(None, src, "{{", "}}")
            .and_then(Parser::parse)
            .map_err(parse_error)?;
        check_complete(src)?;
        // Parsing through `gotmpl::Template` applies Go's rules for `{{define}}`
        // (duplicates, empty bodies); its bodies are what `{{template}}` runs.
        let whole = gotmpl::Template::new("").parse(src).map_err(parse_error)?;
        let known = |name: &str| {
            BUILTINS.contains(&name) || (json_funcs && (name == "json" || name == "prettyjson"))
        };
        let mut trees = vec![(ENTRY.to_string(), top)];
        for name in whole.templates() {
            if let Some(body) = whole.lookup(name) {
                trees.push((name.to_string(), body.clone()));
            }
        }
        for (_, tree) in &mut trees {
            rewrite_list(tree, &known)?;
            typed::rewrite_printf(tree);
        }
        Ok(Template {
            trees,
            json_funcs,
            typed: None,
        })
    }

    /// Strict runs ([`Template::render_strict`], [`Template::execute`] with `strict`) see
    /// the fields `types` names as the typed Go values they stand for: their methods
    /// (`.State.String`) and, in comparisons, their numbers (`eq .State 1`).
    pub fn with_types(mut self, types: &'static [GoType]) -> Template {
        let mut trees = self.trees.clone();
        for (_, tree) in &mut trees {
            typed::rewrite_types(tree, types);
        }
        self.typed = Some((trees, types));
        self
    }

    /// Run over `data` seen as Go's `map[string]interface{}` decoded from JSON (what
    /// `inspect` does): every number is a float64, a missing key prints `<no value>`.
    pub fn render_map(&self, data: &serde_json::Value) -> Result<String, TemplateError> {
        let mut out = String::new();
        self.execute(&mut out, &generic_value(data), false)?;
        Ok(out)
    }

    /// Run over `data` seen as a Go struct (what `ls` rows are): an unknown field is an
    /// error, integers stay integers.
    pub fn render_strict(&self, data: &serde_json::Value) -> Result<String, TemplateError> {
        let mut out = String::new();
        self.execute(&mut out, &typed_value(data), true)?;
        Ok(out)
    }

    /// Run over a ready-made value, appending to `out`. On an execution error `out`
    /// holds what was written before it, as Go's writer would have (see
    /// [`generic_value`] and [`typed_value`] for building `data`).
    pub fn execute(
        &self,
        out: &mut String,
        data: &Value,
        strict: bool,
    ) -> Result<(), TemplateError> {
        let mut funcs = FuncMap::new();
        funcs.insert(PRINT_FN.into(), Arc::new(print_fn));
        funcs.insert(typed::WIDTH_FN.into(), Arc::new(typed::width_fn));
        let trees = match &self.typed {
            Some((trees, types)) if strict => {
                typed::register(&mut funcs, types);
                trees
            }
            _ => &self.trees,
        };
        if self.json_funcs {
            funcs.insert(
                "json".into(),
                Arc::new(|args: &[Value]| json_fn("json", args, false)),
            );
            funcs.insert(
                "prettyjson".into(),
                Arc::new(|args: &[Value]| json_fn("prettyjson", args, true)),
            );
        }
        let mut t = gotmpl::Template::new(ENTRY)
            .funcs(funcs)
            .missing_key(if strict {
                MissingKey::Error
            } else {
                MissingKey::Invalid
            });
        for (name, tree) in trees {
            t = t.add_parse_tree(name, tree.clone());
        }
        t.execute_template_fmt(out, ENTRY, data).map_err(|e| {
            TemplateError::Exec(format!(
                "template: executing \"\": {}",
                exec_message(e, strict)
            ))
        })
    }
}

/// `template: :LINE: message`, Go's form for parse errors of an unnamed template.
fn parse_error(e: gotmpl::TemplateError) -> TemplateError {
    TemplateError::Parse(match e {
        gotmpl::TemplateError::Parse { line, message, .. }
        | gotmpl::TemplateError::Lex { line, message, .. } => {
            format!("template: :{}: {message}", line.max(1))
        }
        other => format!("template: :1: {other}"),
    })
}

fn exec_message(e: gotmpl::TemplateError, strict: bool) -> String {
    match e {
        gotmpl::TemplateError::Exec(m) => m,
        gotmpl::TemplateError::MissingKey { key } if strict => {
            format!("can't evaluate field {key}")
        }
        gotmpl::TemplateError::MissingKey { key } => format!("map has no entry for key {key:?}"),
        gotmpl::TemplateError::UndefinedTemplate(name) => format!("template {name:?} not defined"),
        gotmpl::TemplateError::UndefinedFunction(name) => format!("function {name:?} not defined"),
        other => other.to_string(),
    }
}

/// gotmpl stops at a `{{end}}` or `{{else}}` that closes nothing and drops the rest;
/// Go rejects the template. Parse again with a marker appended: if the marker is not
/// the last top-level node, the body ended early.
fn check_complete(src: &str) -> Result<(), TemplateError> {
    // The \u{2} keeps a trailing `{` of the source from joining the marker's `{{`.
    let marked = format!("{src}\u{2}{{{{\"{SENTINEL}\"}}}}");
    let Ok((top, _)) = Parser::with_name(None, &marked, "{{", "}}").and_then(Parser::parse) else {
        return Ok(());
    };
    let complete = matches!(top.nodes.last(), Some(Node::Action(a))
        if a.pipe.decl.is_empty()
            && a.pipe.commands.len() == 1
            && matches!(a.pipe.commands[0].args.as_slice(), [Expr::String(_, s)] if &**s == SENTINEL));
    if complete {
        return Ok(());
    }
    let (line, word) = find_stray(src).unwrap_or((1, "end"));
    Err(TemplateError::Parse(format!(
        "template: :{line}: unexpected {{{{{word}}}}}"
    )))
}

/// The line and keyword of the first `{{end}}` or `{{else}}` that closes no block.
fn find_stray(src: &str) -> Option<(usize, &'static str)> {
    let bytes = src.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(off) = src[i..].find("{{") {
        let start = i + off;
        let mut j = start + 2;
        if bytes.get(j) == Some(&b'-') && bytes.get(j + 1).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        while bytes.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        if src[j..].starts_with("/*") {
            let end = src[j..].find("*/").map(|p| j + p + 2)?;
            i = src[end..].find("}}").map(|p| end + p + 2)?;
            continue;
        }
        let word_end = src[j..]
            .find(|c: char| !c.is_ascii_alphabetic())
            .map_or(src.len(), |p| j + p);
        let line = 1 + src[..start].matches('\n').count();
        match &src[j..word_end] {
            "if" | "range" | "with" | "define" | "block" => depth += 1,
            "end" if depth == 0 => return Some((line, "end")),
            "end" => depth -= 1,
            "else" if depth == 0 => return Some((line, "else")),
            _ => {}
        }
        // Skip to the closing delimiter, over quoted strings and characters.
        let mut k = word_end;
        loop {
            match bytes.get(k)? {
                b'}' if bytes.get(k + 1) == Some(&b'}') => break,
                q @ (b'"' | b'\'') => {
                    k += 1;
                    while *bytes.get(k)? != *q {
                        k += if bytes[k] == b'\\' { 2 } else { 1 };
                    }
                }
                b'`' => k += 1 + src[k + 1..].find('`')?,
                _ => {}
            }
            k += 1;
        }
        i = k + 2;
    }
    None
}

/// Append [`PRINT_FN`] to every printing action and reject calls of unknown functions,
/// as Go's parser does (`function "foo" not defined`).
fn rewrite_list(list: &mut ListNode, known: &dyn Fn(&str) -> bool) -> Result<(), TemplateError> {
    for node in &mut list.nodes {
        match node {
            Node::Action(action) => {
                check_pipe(&action.pipe, known)?;
                if action.pipe.decl.is_empty() {
                    let pos = action.pipe.pos;
                    action.pipe.commands.push(CommandNode {
                        pos,
                        args: vec![Expr::Identifier(pos, SmolStr::new(PRINT_FN))],
                    });
                }
            }
            Node::If(branch) | Node::Range(branch) | Node::With(branch) => {
                check_pipe(&branch.pipe, known)?;
                rewrite_list(&mut branch.body, known)?;
                if let Some(else_body) = &mut branch.else_body {
                    rewrite_list(else_body, known)?;
                }
            }
            Node::Template(t) => {
                if let Some(pipe) = &t.pipe {
                    check_pipe(pipe, known)?;
                }
            }
            Node::List(inner) => rewrite_list(inner, known)?,
            Node::Define(def) => rewrite_list(&mut def.body, known)?,
            Node::Text(_) | Node::Break(_) | Node::Continue(_) => {}
        }
    }
    Ok(())
}

fn check_pipe(pipe: &PipeNode, known: &dyn Fn(&str) -> bool) -> Result<(), TemplateError> {
    pipe.commands
        .iter()
        .flat_map(|c| c.args.iter())
        .try_for_each(|e| check_expr(e, known))
}

fn check_expr(expr: &Expr, known: &dyn Fn(&str) -> bool) -> Result<(), TemplateError> {
    match expr {
        Expr::Identifier(pos, name) if !known(name) => Err(TemplateError::Parse(format!(
            "template: :{}: function {:?} not defined",
            pos.line.max(1),
            name.as_str()
        ))),
        Expr::Pipe(_, pipe) => check_pipe(pipe, known),
        Expr::Chain(_, inner, _) => check_expr(inner, known),
        _ => Ok(()),
    }
}

/// The value an action prints, formatted as Go's `fmt.Fprint` would: floats in `%v`
/// form, also inside lists and maps. Nil stays nil so that the engine prints
/// `<no value>`.
fn print_fn(args: &[Value]) -> gotmpl::Result<Value> {
    Ok(match args.last() {
        None | Some(Value::Nil) => Value::Nil,
        Some(v @ (Value::Float(_) | Value::List(_) | Value::Map(_))) => {
            let mut s = String::new();
            go_sprint(&mut s, v);
            Value::String(s.into())
        }
        Some(other) => other.clone(),
    })
}

fn go_sprint(out: &mut String, v: &Value) {
    match v {
        Value::Float(f) => out.push_str(&go_format_float(*f)),
        Value::String(s) => out.push_str(s),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                go_sprint(out, item);
            }
            out.push(']');
        }
        Value::Map(map) => {
            out.push_str("map[");
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                go_sprint(out, item);
            }
            out.push(']');
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

/// A float64 as Go's `%v` prints it (`strconv.FormatFloat(f, 'g', -1, 64)`): shortest
/// digits, exponent form when the exponent is below -4 or at least 6 (`22`, `0.5`,
/// `1e+06`, `1.23456789e+08`, `1e-05`).
pub fn go_format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let (mantissa, exp) = split_exp(f);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
    } else {
        format!("{f}")
    }
}

/// A float64 as Go's `encoding/json` writes it: positional unless below 1e-6 or at
/// least 1e21 (`22`, `0.000001`, `1e-7`, `1e+21`). `None` for NaN and infinities, which
/// Go refuses to encode.
pub fn go_json_float(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let (mantissa, exp) = split_exp(f);
        return Some(if exp < 0 {
            format!("{mantissa}e-{}", exp.unsigned_abs())
        } else {
            format!("{mantissa}e+{exp:02}")
        });
    }
    Some(format!("{f}"))
}

/// Shortest round-trip digits as `d.ddd` and the decimal exponent.
fn split_exp(f: f64) -> (String, i32) {
    let sci = format!("{f:e}");
    match sci.split_once('e') {
        Some((m, e)) => (m.to_string(), e.parse().unwrap_or(0)),
        None => (sci, 0),
    }
}

/// `json` / `prettyjson`: Go's `json.Marshal` / `json.MarshalIndent(v, "", "    ")` of
/// the argument; `""` for what Go cannot encode.
fn json_fn(name: &str, args: &[Value], pretty: bool) -> gotmpl::Result<Value> {
    let [arg] = args else {
        return Err(gotmpl::TemplateError::Exec(format!(
            "wrong number of args for {name}: want 1 got {}",
            args.len()
        )));
    };
    let mut out = String::new();
    if write_json(&mut out, arg, pretty.then_some(0)).is_none() {
        out.clear();
    }
    Ok(Value::String(out.into()))
}

/// Go-style JSON of a template value; `indent` is the nesting level when indenting.
fn write_json(out: &mut String, v: &Value, indent: Option<usize>) -> Option<()> {
    let newline = |out: &mut String, level: usize| {
        out.push('\n');
        for _ in 0..level {
            out.push_str("    ");
        }
    };
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(n) => out.push_str(&n.to_string()),
        Value::Uint(n) => out.push_str(&n.to_string()),
        Value::Float(f) => out.push_str(&go_json_float(*f)?),
        Value::String(s) => out.push_str(&crate::jsonfmt::to_string_compact(&**s).ok()?),
        Value::List(items) if items.is_empty() => out.push_str("[]"),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(level) = indent {
                    newline(out, level + 1);
                }
                write_json(out, item, indent.map(|l| l + 1))?;
            }
            if let Some(level) = indent {
                newline(out, level);
            }
            out.push(']');
        }
        Value::Map(map) if map.is_empty() => out.push_str("{}"),
        Value::Map(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(level) = indent {
                    newline(out, level + 1);
                }
                out.push_str(&crate::jsonfmt::to_string_compact(&**k).ok()?);
                out.push_str(if indent.is_some() { ": " } else { ":" });
                write_json(out, item, indent.map(|l| l + 1))?;
            }
            if let Some(level) = indent {
                newline(out, level);
            }
            out.push('}');
        }
        _ => return None,
    }
    Some(())
}

/// JSON as Go decodes it into `interface{}`: objects become maps, every number a
/// float64.
pub fn generic_value(v: &serde_json::Value) -> Value {
    convert(v, &|n| Value::Float(n.as_f64().unwrap_or(f64::NAN)))
}

/// JSON standing for a Go struct: integers stay `Int`/`Uint`, other numbers are floats.
pub fn typed_value(v: &serde_json::Value) -> Value {
    convert(v, &|n| {
        if let Some(i) = n.as_i64() {
            Value::Int(i)
        } else if let Some(u) = n.as_u64() {
            Value::Uint(u)
        } else {
            Value::Float(n.as_f64().unwrap_or(f64::NAN))
        }
    })
}

fn convert(v: &serde_json::Value, number: &dyn Fn(&serde_json::Number) -> Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => number(n),
        serde_json::Value::String(s) => Value::String(s.as_str().into()),
        serde_json::Value::Array(items) => {
            Value::List(items.iter().map(|i| convert(i, number)).collect())
        }
        serde_json::Value::Object(map) => Value::Map(Arc::new(
            map.iter()
                .map(|(k, i)| (Arc::from(k.as_str()), convert(i, number)))
                .collect::<BTreeMap<_, _>>(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(src: &str, data: serde_json::Value) -> String {
        Template::parse(src).unwrap().render_map(&data).unwrap()
    }

    fn parse_err(src: &str) -> String {
        Template::parse(src).unwrap_err().to_string()
    }

    #[test]
    fn floats_print_like_go_v() {
        for (f, s) in [
            (22.0, "22"),
            (50776.0, "50776"),
            (123456.0, "123456"),
            (1e6, "1e+06"),
            (123456789.0, "1.23456789e+08"),
            (1.5, "1.5"),
            (-2.25, "-2.25"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e21, "1e+21"),
            (1.5e300, "1.5e+300"),
            (0.0, "0"),
            (-0.0, "-0"),
        ] {
            assert_eq!(go_format_float(f), s, "{f}");
        }
    }

    #[test]
    fn floats_encode_like_go_json() {
        for (f, s) in [
            (22.0, "22"),
            (1e6, "1000000"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (1.5e-10, "1.5e-10"),
            (-0.5, "-0.5"),
        ] {
            assert_eq!(go_json_float(f).unwrap(), s, "{f}");
        }
        assert_eq!(go_json_float(f64::NAN), None);
    }

    #[test]
    fn map_mode_prints_fields_numbers_and_no_value() {
        let data = json!({"Driver": {"IPAddress": "1.2.3.4", "SSHPort": 22, "Big": 1000000, "Id": 123456789,
            "L": [1, 2.5, null], "N": null}, "Name": "n1"});
        assert_eq!(render("{{.Driver.IPAddress}}", data.clone()), "1.2.3.4");
        assert_eq!(
            render(
                "{{.Driver.SSHPort}} {{.Driver.Big}} {{.Driver.Id}}",
                data.clone()
            ),
            "22 1e+06 1.23456789e+08"
        );
        assert_eq!(
            render(
                "{{.Driver.Missing}} {{.Nope.Deeper}} {{.Driver.N}}",
                data.clone()
            ),
            "<no value> <no value> <no value>"
        );
        assert_eq!(render("{{.Driver.L}}", data.clone()), "[1 2.5 <nil>]");
        assert_eq!(
            render("{{range .Driver.L}}{{.}},{{end}}", data.clone()),
            "1,2.5,<no value>,"
        );
        assert_eq!(
            render("{{with .Driver}}{{.Big}}{{end}}", data.clone()),
            "1e+06"
        );
        assert_eq!(
            render(
                "{{define \"x\"}}{{.Big}}{{end}}{{template \"x\" .Driver}}",
                data.clone()
            ),
            "1e+06"
        );
        assert_eq!(
            render("{{$p := .Driver.Big}}[{{$p}}]", data.clone()),
            "[1e+06]"
        );
        assert_eq!(
            render("{{if eq .Driver.SSHPort 22.0}}yes{{end}}", data.clone()),
            "yes"
        );
        assert_eq!(render("{{.Name | printf \"%s!\"}}", data.clone()), "n1!");
        assert_eq!(
            render("{{.Driver.Big}}", json!({"Driver": {"Big": 1e6}})),
            "1e+06"
        );
        assert_eq!(render("", data.clone()), "");
        assert_eq!(render("  ", data.clone()), "  ");
        assert_eq!(render("{{.Driver.N | json}}", data), "null");
    }

    #[test]
    fn json_and_prettyjson() {
        let data = json!({"D": {"b": 1, "a": "x<y>&z", "c": [], "d": {}, "e": [1e21, 0.5, true]}});
        assert_eq!(
            render("{{json .D}}", data.clone()),
            r#"{"a":"x\u003cy\u003e\u0026z","b":1,"c":[],"d":{},"e":[1e+21,0.5,true]}"#
        );
        assert_eq!(
            render("{{prettyjson .D}}", data.clone()),
            "{\n    \"a\": \"x\\u003cy\\u003e\\u0026z\",\n    \"b\": 1,\n    \"c\": [],\n    \"d\": {},\n    \"e\": [\n        1e+21,\n        0.5,\n        true\n    ]\n}"
        );
        assert_eq!(
            render("{{json .Missing}} {{json \"s\"}} {{json 3}}", data.clone()),
            "null \"s\" 3"
        );
        assert!(Template::parse("{{json}}")
            .unwrap()
            .render_map(&data)
            .is_err());
        assert_eq!(
            parse_err_plain("{{json .}}"),
            "template: :1: function \"json\" not defined"
        );
    }

    fn parse_err_plain(src: &str) -> String {
        Template::parse_plain(src).unwrap_err().to_string()
    }

    #[test]
    fn parse_errors_are_worded_like_go() {
        assert_eq!(
            parse_err("{{.Driver.IPAddress"),
            "template: :1: unclosed action"
        );
        assert_eq!(parse_err("a\nb{{.X"), "template: :2: unclosed action");
        assert_eq!(
            parse_err("{{foo .X}}"),
            "template: :1: function \"foo\" not defined"
        );
        assert_eq!(
            parse_err("x\n{{if .A}}{{bar}}{{end}}"),
            "template: :2: function \"bar\" not defined"
        );
        assert_eq!(parse_err("a{{end}}b"), "template: :1: unexpected {{end}}");
        assert_eq!(
            parse_err("{{if 1}}a{{end}}\n{{\"}}\"}}{{else}}b"),
            "template: :2: unexpected {{else}}"
        );
        assert_eq!(
            parse_err("{{/* {{end}} */}}{{end}}"),
            "template: :1: unexpected {{end}}"
        );
        assert!(
            parse_err("{{define \"a\"}}x{{end}}{{define \"a\"}}y{{end}}")
                .contains("multiple definition")
        );
        assert_eq!(render("a{", json!({})), "a{");
        assert_eq!(
            render("{{if 1}}a{{else}}b{{end}}{{\"{{end}}\"}}", json!({})),
            "a{{end}}"
        );
    }

    #[test]
    fn strict_mode_rejects_unknown_fields() {
        let t = Template::parse_plain("{{.Name}} {{.Port}}").unwrap();
        assert_eq!(
            t.render_strict(&json!({"Name": "n1", "Port": 2376}))
                .unwrap(),
            "n1 2376"
        );
        let e = t.render_strict(&json!({"Name": "n1"})).unwrap_err();
        assert_eq!(
            e,
            TemplateError::Exec("template: executing \"\": can't evaluate field Port".into())
        );
        assert_eq!(
            t.render_map(&json!({"Name": "NAME"})).unwrap(),
            "NAME <no value>"
        );
    }

    #[test]
    fn exec_errors_keep_partial_output() {
        let t = Template::parse("a{{.X.Y}}b").unwrap();
        let mut out = String::new();
        let e = t
            .execute(&mut out, &generic_value(&json!({"X": 1})), false)
            .unwrap_err();
        assert_eq!(out, "a");
        assert!(
            e.to_string().starts_with("template: executing \"\": "),
            "{e}"
        );
    }

    #[test]
    fn template_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Template>();
    }
}
