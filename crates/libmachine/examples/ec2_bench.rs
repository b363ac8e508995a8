//! Benchmark helper for bench/ec2.sh (not a test): create and remove N amazonec2
//! machines through the driver API against moto, P at a time, as GitLab Runner's
//! autoscaler does; prints the time per machine and the EC2 API calls per machine.
//! Run inside tests/moto/run.sh (it reads DM_MOTO_*).
//!
//!   ec2_bench [MACHINES] [PARALLEL]

use libmachine::drivers::{self, Driver};
use libmachine::mcnflag::{DriverOptions, FlagValue};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

fn options() -> DriverOptions {
    let spec = drivers::find("amazonec2").unwrap();
    let mut opts = DriverOptions::new();
    for flag in (spec.create_flags)() {
        opts.insert(flag.key(), flag.default_value());
    }
    let env =
        |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k}: run inside tests/moto/run.sh"));
    for (k, v) in [
        ("amazonec2-endpoint", env("DM_MOTO_ENDPOINT")),
        ("amazonec2-zone", "us-east-1a".into()),
        ("amazonec2-access-key", env("DM_MOTO_ACCESS_KEY")),
        ("amazonec2-secret-key", env("DM_MOTO_SECRET_KEY")),
        ("amazonec2-ami", env("DM_MOTO_AMI")),
    ] {
        opts.insert(k, FlagValue::String(v));
    }
    opts
}

fn stats(label: &str, mut v: Vec<Duration>) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mean = v.iter().map(|d| ms(*d)).sum::<f64>() / v.len() as f64;
    println!(
        "{label:<7} per machine: mean {mean:6.0} ms  median {:6.0} ms  max {:6.0} ms",
        ms(v[v.len() / 2]),
        ms(v[v.len() - 1])
    );
}

fn new_machine(store: &std::path::Path, name: &str, opts: &DriverOptions) -> Box<dyn Driver> {
    std::fs::create_dir_all(store.join("machines").join(name)).unwrap();
    let mut d = (drivers::find("amazonec2").unwrap().new)(name, store.to_str().unwrap());
    d.set_config_from_flags(opts).unwrap();
    d
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let machines = args.first().copied().unwrap_or(20);
    let parallel = args.get(1).copied().unwrap_or(8);
    let store = tempfile::tempdir().unwrap();
    let opts = options();
    let sent = libmachine::cloud::http::requests_sent;

    // One machine alone first: exact call counts per step (it also creates the
    // security group the others then reuse, as the first runner machine does).
    let mut d = new_machine(store.path(), "bench-solo", &opts);
    let c0 = sent();
    d.pre_create_check().unwrap();
    d.create().unwrap();
    let c1 = sent();
    d.remove().unwrap();
    let c2 = sent();

    let next = AtomicUsize::new(0);
    let creates = Mutex::new(Vec::new());
    let removes = Mutex::new(Vec::new());
    let before = sent();
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..parallel {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= machines {
                    break;
                }
                let mut d = new_machine(store.path(), &format!("bench-{i:02}"), &opts);
                let t = Instant::now();
                d.pre_create_check().unwrap();
                d.create().unwrap();
                creates.lock().unwrap().push(t.elapsed());
                let t = Instant::now();
                d.remove().unwrap();
                removes.lock().unwrap().push(t.elapsed());
            });
        }
    });
    let total = start.elapsed();
    let calls = sent() - before;
    println!(
        "one machine alone: create {} API calls, rm {}",
        c1 - c0,
        c2 - c1
    );
    println!("{machines} machines, {parallel} at a time, against moto (driver API, no SSH):");
    stats("create", creates.into_inner().unwrap());
    stats("rm", removes.into_inner().unwrap());
    println!(
        "wall    {:.1} s in all: {:.0} ms per machine",
        total.as_secs_f64(),
        total.as_secs_f64() * 1000.0 / machines as f64
    );
    println!(
        "API calls per machine (create + rm): {:.1}",
        calls as f64 / machines as f64
    );
}
