#!/usr/bin/env bash
# Benchmark (issue 20): the qemu driver's Docker-ready cache on this machine.
#   1. first `create -d qemu` from the base test-bed image in a new store: installs
#      Docker, then saves the Docker-ready image into the store's cache;
#   2. second create from the same base: boots an overlay of that image, no install;
#   3. stop, then start of that second machine;
#   4. a third create with --qemu-no-cache: every create before the cache existed.
# Goals: second create within 60 s and start within 20 s on the 2-core TCG machine.
# One VM at a time (the first machine is stopped before the second is made). About
# 10 minutes under TCG. Run it under `flock /work/helpers/vm.lock` where VMs are shared.
# Measured 2026-12-08 on the 2-core TCG machine with load 5-8 from parallel builds:
# first 399 s, second 107 s, start 59 s, --qemu-no-cache 308 s; image 929 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

bin=${DM_BIN:-$(build_release)}  # DM_BIN: a binary already built
base=$(tests/testbed/build-image.sh | tail -n1)
export MACHINE_STORAGE_PATH; MACHINE_STORAGE_PATH=$(mktemp -d)
trap '"$bin" rm -f -y c1 c2 c3 >/dev/null 2>&1; rm -rf "$MACHINE_STORAGE_PATH"' EXIT
boot=(-d qemu --engine-install-url "$LOCAL_INSTALL_URL" --qemu-image "$base/base.qcow2"
  --qemu-kernel "$base/vmlinuz" --qemu-initrd "$base/initrd.img")

T0=$(now); "$bin" create "${boot[@]}" c1 >/dev/null; first=$(since "$T0")
"$bin" stop c1 >/dev/null
T0=$(now); "$bin" create "${boot[@]}" c2 >/dev/null; second=$(since "$T0")
"$bin" stop c2 >/dev/null
T0=$(now); "$bin" start c2 >/dev/null; start_t=$(since "$T0")
"$bin" stop c2 >/dev/null
T0=$(now); "$bin" create "${boot[@]}" --qemu-no-cache c3 >/dev/null; nocache=$(since "$T0")
image=$(ls "$MACHINE_STORAGE_PATH"/cache/qemu/docker-ready/)
size=$(du -m "$MACHINE_STORAGE_PATH/cache/qemu/docker-ready/$image" | cut -f1)

printf '\n%-60s %10s\n' "measure" "seconds"
printf '%-60s %10s\n' "first create (installs Docker, saves the Docker-ready image)" "$first"
printf '%-60s %10s\n' "second create (overlay of the Docker-ready image)" "$second"
printf '%-60s %10s\n' "start of the second machine (boot to Docker answering)" "$start_t"
printf '%-60s %10s\n' "create with --qemu-no-cache (installs Docker, as before)" "$nocache"
printf '%-60s %7s MB\n' "Docker-ready image ($image)" "$size"
