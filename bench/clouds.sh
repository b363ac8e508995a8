#!/usr/bin/env bash
# Benchmark (issue 19): create and remove 20 google and 20 digitalocean machines, 8 at a
# time as GitLab Runner's autoscaler does, against the loopback stand-ins of their APIs
# (testkit::gce, testkit::digitalocean); prints the time per machine and the API calls
# per machine. Through the driver API (the stand-ins' addresses lead nowhere, so the SSH
# part of `create` cannot run). Usage: bench/clouds.sh [MACHINES] [PARALLEL]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p libmachine --example cloud_bench
for driver in digitalocean google; do
    target/release/examples/cloud_bench "$driver" "${1:-20}" "${2:-8}"
done
