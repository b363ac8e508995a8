//! Benchmark helper for bench/azure.sh (not a test): create N azure machines through the
//! driver API against the fake Azure Resource Manager on loopback
//! (`testkit::azure::FakeArm`), P at a time, then remove them, P at a time; prints the
//! time per machine and the ARM calls per machine. Each operation takes
//! `AZURE_BENCH_POLLS` status reads (default 2) with `Retry-After: 0`, so the figures
//! are the driver's own cost, not Azure's provisioning time.
//!
//!   azure_bench [MACHINES] [PARALLEL]

use libmachine::drivers::{self, Driver};
use libmachine::mcnflag::{DriverOptions, FlagValue};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use testkit::azure::{Config, FakeArm};

fn options(fake: &FakeArm) -> DriverOptions {
    let spec = drivers::find("azure").unwrap();
    let mut opts = DriverOptions::new();
    for flag in (spec.create_flags)() {
        opts.insert(flag.key(), flag.default_value());
    }
    let c = fake.config();
    for (k, v) in [
        ("azure-subscription-id", c.subscription),
        ("azure-client-id", c.client_id),
        ("azure-client-secret", c.client_secret),
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

/// Run `work(i)` for i in 0..n, `parallel` at a time; the time each took.
fn in_parallel(n: usize, parallel: usize, work: impl Fn(usize) + Sync) -> Vec<Duration> {
    let next = AtomicUsize::new(0);
    let times = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..parallel {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= n {
                    break;
                }
                let t = Instant::now();
                work(i);
                times.lock().unwrap().push(t.elapsed());
            });
        }
    });
    times.into_inner().unwrap()
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let machines = args.first().copied().unwrap_or(10);
    let parallel = args.get(1).copied().unwrap_or(4);
    let polls = std::env::var("AZURE_BENCH_POLLS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(2);
    let fake = FakeArm::start(Config {
        polls,
        core_quota: 1000,
        ..Config::default()
    });
    let home = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    std::env::set_var("HOME", home.path());
    std::env::set_var("AZURE_ARM_ENDPOINT", fake.url());
    std::env::set_var("AZURE_AUTHORITY_HOST", fake.authority());
    let opts = options(&fake);
    let path = store.path().to_str().unwrap().to_string();
    let made: Mutex<Vec<Option<Box<dyn Driver>>>> =
        Mutex::new((0..machines).map(|_| None).collect());

    let c0 = fake.arm_calls();
    let start = Instant::now();
    let creates = in_parallel(machines, parallel, |i| {
        let name = format!("bench-{i:02}");
        std::fs::create_dir_all(store.path().join("machines").join(&name)).unwrap();
        let mut d = (drivers::find("azure").unwrap().new)(&name, &path);
        d.set_config_from_flags(&opts).unwrap();
        d.pre_create_check().unwrap();
        d.create().unwrap();
        made.lock().unwrap()[i] = Some(d);
    });
    let create_wall = start.elapsed();
    let c1 = fake.arm_calls();
    let start = Instant::now();
    let removes = in_parallel(machines, parallel, |i| {
        let d = made.lock().unwrap()[i].take().unwrap();
        // As `rm` in a new process: loaded from its JSON, logging in again.
        let mut d = (drivers::find("azure").unwrap().load)(d.to_json()).unwrap();
        d.remove().unwrap();
    });
    let rm_wall = start.elapsed();
    let c2 = fake.arm_calls();
    println!(
        "{machines} machines, {parallel} at a time, against the fake ARM ({polls} polls per operation; driver API, no SSH):"
    );
    stats("create", creates);
    stats("rm", removes);
    println!(
        "wall    create {:.2} s, rm {:.2} s in all",
        create_wall.as_secs_f64(),
        rm_wall.as_secs_f64()
    );
    println!(
        "ARM calls per machine: create {:.1}, rm {:.1} (logins: {} token requests in all)",
        (c1 - c0) as f64 / machines as f64,
        (c2 - c1) as f64 / machines as f64,
        fake.login_calls()
    );
    println!(
        "left after rm: {} resources, groups {:?}",
        fake.resource_ids().len(),
        fake.groups()
    );
}
