#!/usr/bin/env bash
# Fails when a module of libmachine uses a module of its own layer or a higher one (the
# one-way graph of docs/architecture.md), or when a command of the CLI uses another
# command. The check reads Rust's syntax (crates/layers), where the layer table lives.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --quiet --package layers
