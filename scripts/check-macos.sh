#!/usr/bin/env bash
# Type-checks docker-machine for macOS (x86_64-apple-darwin), so that platform does not
# silently stop building: this Linux machine has no macOS C toolchain or SDK, so the C
# part of aws-lc (crypto) cannot be compiled for it. Its build script is overridden
# (Cargo's `links` override): Rust code is checked against aws-lc-sys's pregenerated
# "universal" bindings, and nothing is compiled to machine code or linked.
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-apple-darwin
rustup target list --installed | grep -qx "$target" || rustup target add "$target"
# The `links` name of aws-lc-sys carries its version (Cargo.lock).
links=$(awk '/^name = "aws-lc-sys"/ { getline; gsub(/[^0-9.]/, ""); gsub(/\./, "_"); print "aws_lc_" $0 }' Cargo.lock)
cargo check --target "$target" --workspace --all-targets \
  --config "target.$target.$links.rustc-cfg=[\"universal\"]" \
  --config "target.$target.$links.include=\"/nonexistent\""
