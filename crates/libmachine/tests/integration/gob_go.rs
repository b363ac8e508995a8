//! The gob codec against Go's own `encoding/gob`: values Go encodes (the plugin
//! protocol's shapes, including interface values whose type definitions Go sends in the
//! middle of a message) decode to what Go meant, and what we encode Go decodes back to
//! the values we meant. The Go side is `tests/goplugin/gobvectors`, built with Debian's
//! golang-go by `tests/goplugin/build.sh` (cached by source hash).

use libmachine::gob::{Decoder, Encoder, Type, Value};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn go_bin_dir() -> PathBuf {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/goplugin/build.sh");
    let out = Command::new("bash")
        .arg(script)
        .output()
        .expect("run build.sh");
    assert!(
        out.status.success(),
        "building the Go fixtures failed (scripts/install-deps.sh installs golang-go): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

fn s(v: &str) -> Value {
    Value::String(v.into())
}

/// A struct value from its (non-zero) fields.
fn fields(list: &[(&str, Value)]) -> Value {
    Value::Struct(
        list.iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

#[test]
fn values_encoded_by_go_decode() {
    let out = Command::new(go_bin_dir().join("gobvectors"))
        .arg("encode")
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut dec = Decoder::new(&out.stdout[..]);
    let mut next = || dec.decode().unwrap().1;

    let header = next();
    assert_eq!(
        header.field("ServiceMethod").unwrap().str(),
        "RPCServerDriver.GetCreateFlags"
    );
    assert_eq!(header.field("Seq"), Some(&Value::Uint(300)));
    assert_eq!(header.field("Error"), None, "zero fields are not sent");

    let Value::Slice(flags) = next() else {
        panic!("flags are a slice")
    };
    let got: Vec<(String, Value)> = flags
        .into_iter()
        .map(|f| match f {
            Value::Interface(Some(c)) => (c.name, c.value),
            other => panic!("not an interface: {other:?}"),
        })
        .collect();
    let want = vec![
        (
            "*mcnflag.StringFlag".to_string(),
            fields(&[
                ("Name", s("fake-ip")),
                ("Usage", s("IP address")),
                ("EnvVar", s("FAKE_IP")),
                ("Value", s("127.0.0.1")),
            ]),
        ),
        (
            "*mcnflag.IntFlag".to_string(),
            fields(&[("Name", s("fake-port")), ("Value", Value::Int(-3))]),
        ),
        (
            "*mcnflag.StringSliceFlag".to_string(),
            fields(&[
                ("Name", s("fake-tag")),
                ("Value", Value::Slice(vec![s("a"), s("b")])),
            ]),
        ),
        (
            "*mcnflag.BoolFlag".to_string(),
            fields(&[("Name", s("fake-b")), ("EnvVar", s("FAKE_B"))]),
        ),
        (
            "*mcnflag.IntFlag".to_string(),
            fields(&[("Name", s("fake-cpus")), ("Value", Value::Int(1 << 40))]),
        ),
    ];
    assert_eq!(got, want);

    let header = next();
    assert_eq!(header.field("Error").unwrap().str(), "quota exceeded");
    assert_eq!(header.field("Seq"), Some(&Value::Uint(2)));
    assert_eq!(next(), Value::Int(4), "state.State is an int on the wire");
    assert_eq!(next(), Value::Bytes(br#"{"IPAddress":"1.2.3.4"}"#.to_vec()));

    let Value::Interface(Some(opts)) = next() else {
        panic!("DriverOptions is an interface")
    };
    assert_eq!(opts.name, "*rpcdriver.RPCFlags");
    let Some(Value::Map(values)) = opts.value.field("Values") else {
        panic!("Values map")
    };
    let mut values: Vec<(String, Value)> = values
        .iter()
        .map(|(k, v)| match v {
            Value::Interface(Some(c)) => (format!("{}:{}", k.str(), c.name), c.value.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    values.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        values,
        vec![
            ("b:bool".to_string(), Value::Bool(true)),
            ("i:int".to_string(), Value::Int(42)),
            ("l:[]string".to_string(), Value::Slice(vec![s("p"), s("q")])),
            ("s:string".to_string(), s("x")),
        ]
    );
    assert_eq!(next(), Value::Float(2.5));
    assert_eq!(next(), Value::Map(vec![(s("a"), Value::Int(1))]));
    assert_eq!(next(), Value::Struct(vec![]));
    assert!(dec.decode().is_err(), "end of stream");
}

#[test]
fn values_we_encode_decode_in_go() {
    let mut buf = Vec::new();
    let mut enc = Encoder::new(&mut buf);
    let request = Type::structure(
        "Request",
        &[("ServiceMethod", Type::String), ("Seq", Type::Uint)],
    );
    enc.encode(
        &request,
        &Value::Struct(vec![
            (
                "ServiceMethod".into(),
                s("RPCServerDriver.SetConfigFromFlags"),
            ),
            ("Seq".into(), Value::Uint(7)),
        ]),
    )
    .unwrap();
    let strings = Type::Slice(Box::new(Type::String));
    let flags_ty = Type::structure(
        "RPCFlags",
        &[(
            "Values",
            Type::Map(Box::new(Type::String), Box::new(Type::Interface)),
        )],
    );
    let values = Value::Map(vec![
        (s("s"), Value::interface("string", Type::String, s("x"))),
        (s("i"), Value::interface("int", Type::Int, Value::Int(42))),
        (
            s("b"),
            Value::interface("bool", Type::Bool, Value::Bool(true)),
        ),
        (
            s("l"),
            Value::interface(
                "[]string",
                strings.clone(),
                Value::Slice(vec![s("p"), s("q")]),
            ),
        ),
        (
            s("empty"),
            Value::interface("[]string", strings.clone(), Value::Slice(vec![])),
        ),
    ]);
    enc.encode(
        &Type::Interface,
        &Value::interface(
            "*rpcdriver.RPCFlags",
            flags_ty,
            Value::Struct(vec![("Values".into(), values)]),
        ),
    )
    .unwrap();
    enc.encode(
        &Type::Bytes,
        &Value::Bytes(b"{\"MachineName\":\"m\"}".to_vec()),
    )
    .unwrap();
    enc.encode(&Type::structure("struct {}", &[]), &Value::Struct(vec![]))
        .unwrap();
    enc.encode(&Type::Int, &Value::Int(-12_345_678_901))
        .unwrap();
    let string_flag = Type::structure(
        "StringFlag",
        &[
            ("Name", Type::String),
            ("Usage", Type::String),
            ("EnvVar", Type::String),
            ("Value", Type::String),
        ],
    );
    let bool_flag = Type::structure(
        "BoolFlag",
        &[
            ("Name", Type::String),
            ("Usage", Type::String),
            ("EnvVar", Type::String),
        ],
    );
    enc.encode(
        &Type::Slice(Box::new(Type::Interface)),
        &Value::Slice(vec![
            Value::interface(
                "*mcnflag.StringFlag",
                string_flag,
                fields(&[("Name", s("a")), ("Value", s("x"))]),
            ),
            Value::interface(
                "*mcnflag.BoolFlag",
                bool_flag,
                fields(&[("Name", s("b")), ("EnvVar", s("B"))]),
            ),
            Value::Interface(None),
        ]),
    )
    .unwrap();

    let mut child = Command::new(go_bin_dir().join("gobvectors"))
        .arg("decode")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&buf).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "Go could not decode: {}{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        vec![
            r#"main.Request{ServiceMethod:"RPCServerDriver.SetConfigFromFlags", Seq:0x7}"#,
            r#"*main.RPCFlags map[string]interface {}{"b":true, "empty":[]string(nil), "i":42, "l":[]string{"p", "q"}, "s":"x"}"#,
            r#"{"MachineName":"m"}"#,
            "-12345678901",
            "*main.StringFlag &{Name:a Usage: EnvVar: Value:x}",
            "*main.BoolFlag &{Name:b Usage: EnvVar:B}",
            "<nil> <nil>",
        ]
    );
}
