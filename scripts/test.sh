#!/usr/bin/env bash
# The test command (README.md): installs what the tests need on a fresh Debian 12
# machine, then runs the whole test suite. VM tests build or reuse the cached test-bed
# image (tests/testbed/).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
command -v cargo-nextest >/dev/null || cargo install --locked cargo-nextest

# The end-to-end tests boot QEMU VMs from the test-bed image (built once, cached).
export DM_VM_TESTS="${DM_VM_TESTS:-1}"
# In CI every test runs: one that cannot find its tool fails instead of skipping
# (testkit::skip); only a developer's machine may skip.
if [[ ${CI:-} == true ]]; then
  export DM_REQUIRE_TOOLS=1
fi
cargo build --workspace --all-targets
# The Windows binary, which crates/docker-machine/tests/integration/wine.rs runs under
# wine (and so every platform keeps building).
rustup target list --installed | grep -qx x86_64-pc-windows-gnu ||
  rustup target add x86_64-pc-windows-gnu
start=$SECONDS
cargo build --target x86_64-pc-windows-gnu -p docker-machine
echo "test.sh: Windows cross-build: $((SECONDS - start)) s"
cargo nextest run --workspace --no-fail-fast "$@"
