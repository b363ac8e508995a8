//! Benchmark helper for bench/clouds.sh (not a test): create and remove N google or
//! digitalocean machines through the driver API, P at a time as GitLab Runner's
//! autoscaler does, against the loopback stand-ins of their APIs (`testkit::gce`,
//! `testkit::digitalocean`); prints the time per machine and the API calls per
//! machine. The stand-ins finish an operation on its second read, so the times are
//! this driver's own cost (requests, waits' first pauses, key generation), not a
//! cloud's boot time.
//!
//!   cloud_bench google|digitalocean [MACHINES] [PARALLEL]

use libmachine::drivers::{self, Driver};
use libmachine::mcnflag::{DriverOptions, FlagValue};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

fn options(driver: &str, extra: &[(&str, &str)]) -> DriverOptions {
    let spec = drivers::find(driver).unwrap();
    let mut opts = DriverOptions::new();
    for flag in (spec.create_flags)() {
        opts.insert(flag.key(), flag.default_value());
    }
    for (k, v) in extra {
        opts.insert(k, FlagValue::String(v.to_string()));
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

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let driver = args.first().map(String::as_str).unwrap_or("digitalocean");
    let machines: usize = args.get(1).map(|a| a.parse().unwrap()).unwrap_or(20);
    let parallel: usize = args.get(2).map(|a| a.parse().unwrap()).unwrap_or(8);
    let keys = tempfile::tempdir().unwrap();
    // Keep the fakes alive for the run; point the drivers at them.
    let (_do, _gce, opts) = match driver {
        "digitalocean" => {
            let fake = testkit::digitalocean::FakeDigitalOcean::start("dop_v1_bench");
            fake.set_droplet_limit(machines + 1);
            std::env::set_var("DIGITALOCEAN_API_URL", &fake.url);
            let opts = options(driver, &[("digitalocean-access-token", "dop_v1_bench")]);
            (Some(fake), None, opts)
        }
        "google" => {
            let fake = testkit::gce::FakeGce::start("proj-bench");
            fake.set_instance_limit(machines + 1);
            let key = keys.path().join("sa.json");
            fake.write_service_account(&key, false);
            std::env::set_var("GOOGLE_COMPUTE_API_URL", &fake.url);
            std::env::set_var("GOOGLE_APPLICATION_CREDENTIALS", &key);
            std::env::set_var("GCE_METADATA_HOST", &fake.metadata_host);
            std::env::set_var("CLOUDSDK_CONFIG", keys.path());
            let opts = options(driver, &[("google-project", "proj-bench")]);
            (None, Some(fake), opts)
        }
        other => panic!("unknown driver {other}: google or digitalocean"),
    };
    let store = tempfile::tempdir().unwrap();
    let new_machine = |name: &str| -> Box<dyn Driver> {
        std::fs::create_dir_all(store.path().join("machines").join(name)).unwrap();
        let mut d = (drivers::find(driver).unwrap().new)(name, store.path().to_str().unwrap());
        d.set_config_from_flags(&opts).unwrap();
        d
    };
    let sent = libmachine::cloud::http::requests_sent;

    // One machine alone first: exact call counts per step.
    let mut d = new_machine("bench-solo");
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
                let mut d = new_machine(&format!("bench-{i:02}"));
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
        "{driver}: one machine alone: create {} API calls (tokens included), rm {}",
        c1 - c0,
        c2 - c1
    );
    println!(
        "{machines} machines, {parallel} at a time, against the loopback stand-in (driver API, no SSH):"
    );
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
