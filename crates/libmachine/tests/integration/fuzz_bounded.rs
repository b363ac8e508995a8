//! Failure suite, part 3: fuzzing for a bounded time (proptest, run as ordinary tests).
//!
//! * Templates: sources made of Go template syntax (including deep nesting, huge printf
//!   widths, method-like fields) parsed and run over an `ls` row and over `inspect` data.
//!   Nothing panics, errors are one line, and no run prints more than a few MiB.
//! * `config.json`: every machine of the 0.16.2 fixture store, truncated, with bytes
//!   flipped or with a field replaced by any JSON value, loaded through the store from
//!   disk. Nothing panics; what loads saves and loads again to the same bytes.
//!
//! Each target runs for `DM_FUZZ_SECS` seconds (default 8) and prints how many inputs
//! it executed. Failures shrink as usual and print the minimal input.

use libmachine::template::Template;
use libmachine::Store;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/store-0.16.2");

fn budget() -> Duration {
    let secs = std::env::var("DM_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    Duration::from_secs(secs)
}

/// Run `test` on inputs from `strategy` in chunks until the time budget is spent;
/// returns the number of executions.
fn run_for<S: Strategy>(
    name: &str,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) -> u64 {
    let deadline = Instant::now() + budget();
    let executions = std::sync::atomic::AtomicU64::new(0);
    let counted = |v: S::Value| {
        executions.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        test(v)
    };
    while Instant::now() < deadline {
        // A runner counts its cases: a new one (new random seed) for every chunk.
        let mut runner = TestRunner::new(Config {
            cases: 64,
            failure_persistence: None,
            ..Config::default()
        });
        if let Err(e) = runner.run(&strategy, counted) {
            panic!("{name}: {e}");
        }
    }
    let executions = executions.into_inner();
    eprintln!("fuzz {name}: {executions} executions in {:?}", budget());
    executions
}

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{{.Name}}".to_string()),
        Just("{{.State}}".to_string()),
        Just("{{.State.String}}".to_string()),
        Just("{{eq .State 1}}".to_string()),
        Just("{{.ResponseTime}}".to_string()),
        Just("{{.ResponseTime.Seconds}}".to_string()),
        Just("{{.EngineOptions.Labels}}".to_string()),
        Just("{{.Driver.SSHPort}}".to_string()),
        Just("{{json .}}".to_string()),
        Just("{{range .L}}{{.}}{{end}}".to_string()),
        Just("{{if .Name}}".to_string()),
        Just("{{with .URL}}".to_string()),
        Just("{{else}}".to_string()),
        Just("{{end}}".to_string()),
        Just("{{printf \"%*d\" 1000000000 1}}".to_string()),
        Just("{{printf \"%-*s|\" 70 .Name}}".to_string()),
        Just("{{printf \"%.*f\" 3 1.5}}".to_string()),
        Just("{{printf \"%v %d %s %q %x\" .Name .State .URL .Error .Name}}".to_string()),
        Just("{{len .Name}}".to_string()),
        Just("{{index .L 1}}".to_string()),
        Just("{{slice .Name 1}}".to_string()),
        Just("{{$x := .Name}}{{$x}}".to_string()),
        Just("{{define \"t\"}}{{.}}{{end}}{{template \"t\" .Name}}".to_string()),
        (1usize..300).prop_map(|n| "{{if 1}}".repeat(n) + "x" + &"{{end}}".repeat(n)),
        (1usize..300).prop_map(|n| "{{(".repeat(n) + "1" + &")}}".repeat(n)),
        "[a-zA-Z .|$\"'`(){}\\-\n%*]{0,8}",
    ]
}

fn ls_row() -> Value {
    json!({
        "Name": "m1", "Active": "-", "ActiveHost": false, "ActiveSwarm": false,
        "DriverName": "none", "State": "Running", "URL": "tcp://127.0.0.1:1",
        "SwarmOptions": null, "Swarm": "", "EngineOptions": null, "Error": "",
        "DockerVersion": "Unknown", "ResponseTime": "6ms", "L": [1, 2, 3],
        "Driver": {"SSHPort": 22}
    })
}

#[test]
fn fuzz_templates_for_a_bounded_time() {
    let row = ls_row();
    let n = run_for(
        "templates",
        prop::collection::vec(fragment(), 0..8).prop_map(|v| v.concat()),
        |src| {
            for parsed in [Template::parse(&src), Template::parse_plain(&src)] {
                match parsed {
                    Ok(t) => {
                        for out in [t.render_strict(&row), t.render_map(&row)] {
                            match out {
                                Ok(text) => {
                                    prop_assert!(text.len() < 4 << 20, "{} bytes", text.len())
                                }
                                Err(e) => prop_assert!(!e.to_string().contains('\n'), "{}", e),
                            }
                        }
                    }
                    Err(e) => {
                        let msg = e.to_string();
                        prop_assert!(
                            msg.starts_with("template: ") && !msg.contains('\n'),
                            "{}",
                            msg
                        );
                    }
                }
            }
            Ok(())
        },
    );
    assert!(n > 0);
}

/// How a fixture config is damaged.
#[derive(Debug, Clone)]
enum Damage {
    Truncate(usize),
    Flip(Vec<(usize, u8)>),
    Replace(Vec<String>, Value),
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[A-Za-z]{1,6}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn damage() -> impl Strategy<Value = Damage> {
    let key = prop_oneof![
        Just("Driver"),
        Just("DriverName"),
        Just("HostOptions"),
        Just("ConfigVersion"),
        Just("AuthOptions"),
        Just("EngineOptions"),
        Just("SwarmOptions"),
        Just("IPAddress"),
        Just("SSHPort"),
        Just("EnginePort"),
        Just("URL"),
        Just("StorePath"),
        Just("Labels"),
    ]
    .prop_map(String::from);
    prop_oneof![
        (0usize..4096).prop_map(Damage::Truncate),
        prop::collection::vec((0usize..4096, any::<u8>()), 1..4).prop_map(Damage::Flip),
        (prop::collection::vec(key, 1..3), any_json()).prop_map(|(p, v)| Damage::Replace(p, v)),
    ]
}

fn apply(data: &[u8], damage: &Damage) -> Vec<u8> {
    match damage {
        Damage::Truncate(n) => data[..(*n).min(data.len())].to_vec(),
        Damage::Flip(flips) => {
            let mut out = data.to_vec();
            for (at, byte) in flips {
                if !out.is_empty() {
                    let i = at % out.len();
                    out[i] = *byte;
                }
            }
            out
        }
        Damage::Replace(path, value) => {
            let mut doc: Value = serde_json::from_slice(data).unwrap();
            let mut at = &mut doc;
            for key in &path[..path.len() - 1] {
                if !at.get(key).is_some_and(Value::is_object) {
                    break;
                }
                at = at.get_mut(key).unwrap();
            }
            if let Some(obj) = at.as_object_mut() {
                obj.insert(path.last().unwrap().clone(), value.clone());
            }
            serde_json::to_vec_pretty(&doc).unwrap()
        }
    }
}

#[test]
fn fuzz_config_json_loading_for_a_bounded_time() {
    let machines: Vec<(String, Vec<u8>)> = std::fs::read_dir(Path::new(FIXTURE).join("machines"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path().join("config.json")).unwrap())
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    let count = machines.len();
    let n = run_for("config.json", (0..count, damage()), |(index, damage)| {
        let (name, original) = &machines[index];
        let machine = store.machine_dir(name);
        std::fs::create_dir_all(&machine).unwrap();
        std::fs::write(machine.join("config.json"), apply(original, &damage)).unwrap();
        if let Ok(host) = store.load(name) {
            let _ = host.driver.driver_name();
            store.save(&host).unwrap();
            let again = store.load(name).expect("what was saved loads");
            prop_assert_eq!(again.to_json_pretty(), host.to_json_pretty());
        } else {
            let e = store.load(name).err().unwrap().to_string();
            prop_assert!(!e.is_empty());
        }
        Ok(())
    });
    assert!(n > 0);
}
