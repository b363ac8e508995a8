//! Parsing and running arbitrary templates over arbitrary JSON never panics, and the
//! JSON functions always emit valid JSON.

use libmachine::template::Template;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Pieces of template syntax, so that generated sources often parse and run.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{{".to_string()),
        Just("}}".to_string()),
        Just("{{- ".to_string()),
        Just(" -}}".to_string()),
        Just("{{.}}".to_string()),
        Just("{{.A}}".to_string()),
        Just("{{.A.B}}".to_string()),
        Just("{{.Driver.SSHPort}}".to_string()),
        Just("{{json .}}".to_string()),
        Just("{{prettyjson .A}}".to_string()),
        Just("{{range .L}}".to_string()),
        Just("{{range $i, $v := .}}{{$i}}={{$v}}".to_string()),
        Just("{{if .A}}".to_string()),
        Just("{{with .B}}".to_string()),
        Just("{{else}}".to_string()),
        Just("{{end}}".to_string()),
        Just("{{define \"x\"}}".to_string()),
        Just("{{template \"x\" .}}".to_string()),
        Just("{{block \"y\" .}}".to_string()),
        Just("{{printf \"%v %d %s\" .A .B}}".to_string()),
        Just("{{index . \"A\"}}".to_string()),
        Just("{{len .L}}".to_string()),
        Just("{{eq .A 1.0}}".to_string()),
        Just("{{$x := .A}}{{$x}}".to_string()),
        Just("{{/* c */}}".to_string()),
        Just("{{\"s\"}}".to_string()),
        Just("{{`raw`}}".to_string()),
        Just("{{'a'}}".to_string()),
        Just("{{(.A)}}".to_string()),
        Just("{{.A | printf \"%q\"}}".to_string()),
        Just("{{nope}}".to_string()),
        "[a-zA-Z .|$\"'`(){}\\-\n]{0,6}",
    ]
}

fn template_source() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(fragment(), 0..10).prop_map(|v| v.concat()),
        any::<String>(),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("A".to_string()),
                        Just("B".to_string()),
                        Just("L".to_string()),
                        "[a-zA-Z<>&]{0,4}"
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn parse_and_render_never_panic(src in template_source(), data in json_value()) {
        for parsed in [Template::parse(&src), Template::parse_plain(&src)] {
            match parsed {
                Ok(t) => {
                    let _ = t.render_map(&data);
                    let _ = t.render_strict(&data);
                }
                Err(e) => {
                    let msg = e.to_string();
                    prop_assert!(msg.starts_with("template: "), "{}", msg);
                    prop_assert!(!msg.contains('\n'), "{}", msg);
                }
            }
        }
    }

    #[test]
    fn json_functions_emit_valid_json(data in json_value()) {
        let wrapped = json!({"D": data});
        for src in ["{{json .D}}", "{{prettyjson .D}}"] {
            let out = Template::parse(src).unwrap().render_map(&wrapped).unwrap();
            let back: Value = serde_json::from_str(&out).expect("valid JSON");
            prop_assert!(!out.contains('<') && !out.contains('>') && !out.contains('&'));
            // Same value after a round trip, numbers compared as floats as Go decodes them
            // (within an ulp or so: serde_json's default float parser is not exact).
            prop_assert!(same(&back, &wrapped["D"]), "{} vs {}", back, wrapped["D"]);
        }
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            x == y || (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}
