#!/usr/bin/env bash
# Build docker-machine in release mode and install it as /usr/local/bin/docker-machine
# (or $PREFIX/bin). Needs only the Rust toolchain: no C library is linked but libc.
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX="${PREFIX:-/usr/local}"
cargo build --release -p docker-machine
install -D -m 0755 target/release/docker-machine "$PREFIX/bin/docker-machine"
echo "installed $PREFIX/bin/docker-machine: $("$PREFIX/bin/docker-machine" --version)"
