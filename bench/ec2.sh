#!/usr/bin/env bash
# Benchmark (issue 11): create and remove 20 amazonec2 machines against moto's EC2 server,
# 8 at a time as GitLab Runner's autoscaler does; prints the time per machine and the EC2
# API calls per machine. Through the driver API (the SSH part of `create` cannot run:
# moto's instance addresses lead nowhere), inside tests/moto/run.sh's loopback-only
# network namespace. Usage: bench/ec2.sh [MACHINES] [PARALLEL]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p libmachine --example ec2_bench
tests/moto/run.sh target/release/examples/ec2_bench "${1:-20}" "${2:-8}"
