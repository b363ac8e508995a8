//! Round trips through our own encoder and decoder, and byte-exact encodings of the
//! basic values (the cross-checks against Go are in libmachine's `tests/integration/gob_go.rs`).

use super::encode::{put_int, put_uint};
use super::*;

fn round_trip(ty: &Type, v: &Value) -> (Type, Value) {
    let mut buf = Vec::new();
    let mut enc = Encoder::new(&mut buf);
    enc.encode(ty, v).unwrap();
    enc.encode(ty, v).unwrap();
    let mut dec = Decoder::new(&buf[..]);
    let first = dec.decode().unwrap();
    // The second value reuses the definitions sent with the first.
    assert_eq!(dec.decode().unwrap(), first);
    first
}

#[test]
fn integers_as_go_writes_them() {
    let cases: &[(u64, &[u8])] = &[
        (0, &[0]),
        (7, &[7]),
        (127, &[0x7f]),
        (128, &[0xff, 0x80]),
        (256, &[0xfe, 1, 0]),
    ];
    for (u, want) in cases {
        let mut b = Vec::new();
        put_uint(&mut b, *u);
        assert_eq!(&b, want, "{u}");
    }
    let cases: &[(i64, &[u8])] = &[(0, &[0]), (-1, &[1]), (1, &[2]), (-129, &[0xfe, 1, 1])];
    for (i, want) in cases {
        let mut b = Vec::new();
        put_int(&mut b, *i);
        assert_eq!(&b, want, "{i}");
    }
}

#[test]
fn values_survive_a_round_trip() {
    let flags_ty = Type::structure(
        "RPCFlags",
        &[(
            "Values",
            Type::Map(Box::new(Type::String), Box::new(Type::Interface)),
        )],
    );
    let v = Value::Struct(vec![(
        "Values".into(),
        Value::Map(vec![
            (
                Value::String("n".into()),
                Value::interface("int", Type::Int, Value::Int(-5)),
            ),
            (
                Value::String("b".into()),
                Value::interface("bool", Type::Bool, Value::Bool(true)),
            ),
            (
                Value::String("s".into()),
                Value::interface("string", Type::String, Value::String("x".into())),
            ),
            (
                Value::String("l".into()),
                Value::interface(
                    "[]string",
                    Type::Slice(Box::new(Type::String)),
                    Value::Slice(vec![Value::String("a".into())]),
                ),
            ),
            (Value::String("nil".into()), Value::Interface(None)),
        ]),
    )]);
    let (ty, got) = round_trip(&flags_ty, &v);
    assert_eq!(ty, flags_ty);
    assert_eq!(got, v);
    let (_, got) = round_trip(
        &Type::Interface,
        &Value::interface("*rpcdriver.RPCFlags", flags_ty, v.clone()),
    );
    assert_eq!(got.str(), "");
    let Value::Interface(Some(c)) = got else {
        panic!("not an interface")
    };
    assert_eq!((c.name.as_str(), &c.value), ("*rpcdriver.RPCFlags", &v));
    for (ty, v) in [
        (Type::Float, Value::Float(1.5)),
        (Type::Bytes, Value::Bytes(b"{}".to_vec())),
        (Type::Int, Value::Int(i64::MIN)),
        (Type::Uint, Value::Uint(u64::MAX)),
        (Type::structure("struct {}", &[]), Value::Struct(vec![])),
    ] {
        assert_eq!(round_trip(&ty, &v).1, v);
    }
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    for bytes in [
        &b"\x05\xff\xff\xff\xff\xff"[..],
        b"\x03\x7f\x02\x05",
        b"\xff",
        b"\x02\x13\x00",
        b"\x09\x01\x02\x03",
    ] {
        let mut dec = Decoder::new(bytes);
        assert!(dec.decode().is_err(), "{bytes:?}");
    }
}
