//! Parsing a machine's config never panics, whatever the file holds.

use proptest::prelude::*;
use std::path::Path;

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        ".{0,12}".prop_map(serde_json::Value::from),
        prop_oneof![
            Just("none"),
            Just("generic"),
            Just("virtualbox"),
            Just("xhyve")
        ]
        .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let keys = prop_oneof![
            Just("ConfigVersion".to_string()),
            Just("Driver".to_string()),
            Just("DriverName".to_string()),
            Just("HostOptions".to_string()),
            Just("AuthOptions".to_string()),
            Just("EngineOptions".to_string()),
            Just("SwarmOptions".to_string()),
            Just("URL".to_string()),
            Just("StorePath".to_string()),
            "[A-Za-z]{1,8}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map(keys, inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = libmachine::migrate::load_host("m", &data, Path::new("/s"));
    }

    #[test]
    fn arbitrary_json_never_panics(v in json_value()) {
        let data = serde_json::to_vec(&v).unwrap();
        if let Ok((host, _)) = libmachine::migrate::load_host("m", &data, Path::new("/s")) {
            let _ = host.to_json_pretty();
            let _ = host.driver.url();
        }
    }
}
