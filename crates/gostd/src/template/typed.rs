//! Go values that are more than their printed form, for templates run over a Go struct
//! (`ls` rows): methods (`{{.State.String}}`, `{{.ResponseTime.Seconds}}`) and
//! comparisons (`{{eq .State 1}}`: a `state.State` is an int). And `printf` widths and
//! precisions Go refuses (`%!(BADWIDTH)` beyond 10^6, where gotmpl clamps).
//!
//! Both are done by rewriting the parsed template: `.F.M` becomes a call of M's function
//! on `.F`, a comparison's `.F` a call of F's comparison function, and a `*` argument of
//! `printf` with a literal format passes through [`WIDTH_FN`].

use gotmpl::parse::{CommandNode, Expr, ListNode, Node, PipeNode, Pos, SmolStr};
use gotmpl::{FuncMap, Value};
use std::sync::Arc;

/// A method or conversion of a typed field.
pub type GoFn = fn(&Value) -> gotmpl::Result<Value>;

/// A field of the data that stands for a typed Go value.
#[derive(Debug)]
pub struct GoType {
    /// The field's name at the top of the data (`State`).
    pub field: &'static str,
    /// Its methods without arguments, by name.
    pub methods: &'static [(&'static str, GoFn)],
    /// What comparisons (`eq`, `lt`...) see, e.g. the State's number.
    pub compare_as: Option<GoFn>,
}

/// Passes a `printf` `*` argument on unless Go would refuse it (|n| > 10^6).
pub const WIDTH_FN: &str = "\u{1}width";

const COMPARISONS: &[&str] = &["eq", "ne", "lt", "le", "gt", "ge"];

fn method_fn(t: usize, m: usize) -> String {
    format!("\u{1}method{t}.{m}")
}

fn compare_fn(t: usize) -> String {
    format!("\u{1}compare{t}")
}

/// The functions the rewritten templates call.
pub fn register(funcs: &mut FuncMap, types: &'static [GoType]) {
    for (t, ty) in types.iter().enumerate() {
        for (m, (_, f)) in ty.methods.iter().enumerate() {
            let f = *f;
            funcs.insert(
                method_fn(t, m),
                Arc::new(move |args: &[Value]| f(last(args))),
            );
        }
        if let Some(f) = ty.compare_as {
            funcs.insert(compare_fn(t), Arc::new(move |args: &[Value]| f(last(args))));
        }
    }
}

/// [`WIDTH_FN`]: a value Go's `tooLarge` rejects becomes a non-integer, which the
/// engine reports as `%!(BADWIDTH)` / `%!(BADPREC)` as Go does.
pub fn width_fn(args: &[Value]) -> gotmpl::Result<Value> {
    Ok(match last(args) {
        Value::Int(n) if n.unsigned_abs() > 1_000_000 => Value::String("".into()),
        Value::Uint(n) if *n > 1_000_000 => Value::String("".into()),
        other => other.clone(),
    })
}

fn last(args: &[Value]) -> &Value {
    args.last().unwrap_or(&Value::Nil)
}

/// Rewrite every pipeline of `list` for `types` (methods, comparisons).
pub fn rewrite_types(list: &mut ListNode, types: &[GoType]) {
    each_pipe(list, &mut |pipe| typed_pipe(pipe, types));
}

/// Rewrite the `*` arguments of every `printf` with a literal format.
pub fn rewrite_printf(list: &mut ListNode) {
    each_pipe(list, &mut printf_pipe);
}

fn each_pipe(list: &mut ListNode, f: &mut dyn FnMut(&mut PipeNode)) {
    for node in &mut list.nodes {
        match node {
            Node::Action(action) => f(&mut action.pipe),
            Node::If(branch) | Node::Range(branch) | Node::With(branch) => {
                f(&mut branch.pipe);
                each_pipe(&mut branch.body, f);
                if let Some(else_body) = &mut branch.else_body {
                    each_pipe(else_body, f);
                }
            }
            Node::Template(t) => {
                if let Some(pipe) = &mut t.pipe {
                    f(pipe);
                }
            }
            Node::List(inner) => each_pipe(inner, f),
            Node::Define(def) => each_pipe(&mut def.body, f),
            Node::Text(_) | Node::Break(_) | Node::Continue(_) => {}
        }
    }
}

/// `FN ARG` as one expression.
fn call(pos: Pos, name: &str, arg: Expr) -> Expr {
    Expr::Pipe(
        pos,
        PipeNode {
            pos,
            decl: Vec::new(),
            commands: vec![CommandNode {
                pos,
                args: vec![Expr::Identifier(pos, SmolStr::new(name)), arg],
            }],
            is_assign: false,
        },
    )
}

fn typed_pipe(pipe: &mut PipeNode, types: &[GoType]) {
    for command in &mut pipe.commands {
        let compares = matches!(command.args.first(),
            Some(Expr::Identifier(_, name)) if COMPARISONS.contains(&name.as_str()));
        for (i, arg) in command.args.iter_mut().enumerate() {
            typed_expr(arg, types, compares && i > 0);
        }
    }
}

fn typed_expr(expr: &mut Expr, types: &[GoType], compared: bool) {
    match expr {
        Expr::Field(pos, chain) => {
            let pos = *pos;
            let found = types
                .iter()
                .enumerate()
                .find_map(|(t, ty)| match chain.as_slice() {
                    [field, method] if field == ty.field => ty
                        .methods
                        .iter()
                        .position(|(name, _)| method == name)
                        .map(|m| method_fn(t, m)),
                    [field] if compared && field == ty.field && ty.compare_as.is_some() => {
                        Some(compare_fn(t))
                    }
                    _ => None,
                });
            if let Some(name) = found {
                let mut receiver = chain.clone();
                if receiver.len() == 2 {
                    receiver.pop();
                }
                *expr = call(pos, &name, Expr::Field(pos, receiver));
            }
        }
        Expr::Pipe(_, pipe) => typed_pipe(pipe, types),
        Expr::Chain(_, inner, _) => typed_expr(inner, types, compared),
        _ => {}
    }
}

fn printf_pipe(pipe: &mut PipeNode) {
    for command in &mut pipe.commands {
        for arg in &mut command.args {
            if let Expr::Pipe(_, inner) = arg {
                printf_pipe(inner);
            }
        }
        let stars = match command.args.as_slice() {
            [Expr::Identifier(_, name), Expr::String(_, format), ..] if name == "printf" => {
                star_args(format)
            }
            _ => continue,
        };
        for k in stars {
            if let Some(arg) = command.args.get_mut(2 + k) {
                let pos = command.pos;
                let inner = std::mem::replace(arg, Expr::Dot(pos));
                *arg = call(pos, WIDTH_FN, inner);
            }
        }
    }
}

/// The argument indexes (0 = first after the format) that `*` widths and precisions
/// take. Formats with explicit indexes (`%[2]d`) are left alone.
fn star_args(format: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut arg = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            continue;
        }
        while chars.peek().is_some_and(|c| "+-# 0".contains(*c)) {
            chars.next();
        }
        for _ in 0..2 {
            match chars.peek() {
                Some('*') => {
                    chars.next();
                    out.push(arg);
                    arg += 1;
                }
                Some('[') => return Vec::new(),
                _ => {
                    while chars.peek().is_some_and(char::is_ascii_digit) {
                        chars.next();
                    }
                }
            }
            if chars.peek() == Some(&'.') {
                chars.next();
            } else {
                break;
            }
        }
        if chars.peek() == Some(&'[') {
            return Vec::new();
        }
        if chars.next().is_some() {
            arg += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_positions() {
        assert_eq!(star_args("%*d"), [0]);
        assert_eq!(star_args("%d %-*s %.*f %*.*g"), [1, 3, 5, 6]);
        assert_eq!(star_args("100%% %*d"), [0]);
        assert!(star_args("%[2]*d").is_empty());
    }
}
