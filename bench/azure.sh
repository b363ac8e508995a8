#!/usr/bin/env bash
# Benchmark (issue 18): create 10 azure machines against the fake Azure Resource Manager
# on loopback (crates/testkit/src/azure.rs), 4 at a time, then remove them, 4 at a time;
# prints the time per machine and the ARM calls per machine. Through the driver API (the
# SSH part of `create` cannot run: the fake's addresses lead nowhere).
# Usage: bench/azure.sh [MACHINES] [PARALLEL]   (AZURE_BENCH_POLLS: status reads per operation)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p libmachine --example azure_bench
"${CARGO_TARGET_DIR:-target}"/release/examples/azure_bench "${1:-10}" "${2:-4}"
