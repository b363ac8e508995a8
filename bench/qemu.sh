#!/usr/bin/env bash
# Benchmark (issue 4): the qemu driver on this machine.
#   1. `create -d qemu` from the base test-bed image (Docker installed by provisioning)
#      next to the floor: the same image booted and provisioned by a plain script;
#   2. `create -d qemu` from the Docker-ready test-bed image;
#   3. stop, start and kill times of that machine;
#   4. `ls` with 3 running VMs.
# Goal: create within 10% of the floor. VMs run one at a time except in step 4.
# Takes 20-30 minutes under TCG.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

bin=$(build_release)
base=$(tests/testbed/build-image.sh | tail -n1)
ready=$(tests/testbed/build-docker-ready.sh | tail -n1)
export MACHINE_STORAGE_PATH; MACHINE_STORAGE_PATH=$(mktemp -d)
trap '"$bin" rm -f -y q1 q2 q3 q4 >/dev/null 2>&1; rm -rf "$MACHINE_STORAGE_PATH"' EXIT
boot=(--qemu-kernel "$base/vmlinuz" --qemu-initrd "$base/initrd.img")

T0=$(now)
"$bin" create -d qemu --engine-install-url "$LOCAL_INSTALL_URL" --qemu-image "$base/base.qcow2" "${boot[@]}" q1 >/dev/null
create_base=$(since "$T0")
"$bin" rm -f -y q1 >/dev/null
eval "$(bench/floor.sh "$base")"

ready_boot=(--qemu-image "$ready/docker-ready.qcow2" --qemu-kernel "$ready/vmlinuz" --qemu-initrd "$ready/initrd.img")
T0=$(now); "$bin" create -d qemu --engine-install-url "$LOCAL_INSTALL_URL" "${ready_boot[@]}" q2 >/dev/null; create_ready=$(since "$T0")
T0=$(now); "$bin" stop q2 >/dev/null; stop_t=$(since "$T0")
T0=$(now); "$bin" start q2 >/dev/null; start_t=$(since "$T0")
T0=$(now); "$bin" kill q2 >/dev/null; kill_t=$(since "$T0")
"$bin" start q2 >/dev/null
"$bin" create -d qemu --engine-install-url "$LOCAL_INSTALL_URL" "${ready_boot[@]}" q3 >/dev/null
"$bin" create -d qemu --engine-install-url "$LOCAL_INSTALL_URL" "${ready_boot[@]}" q4 >/dev/null
"$bin" ls
ls_ms=$( { for _ in 1 2 3 4 5; do T0=$(now); "$bin" ls >/dev/null; since "$T0"; echo; done; } | sort -n | awk 'NF { a[n++] = $1 } END { printf "%.0f", a[int(n / 2)] * 1000 }')

printf '\n%-52s %10s\n' "measure" "seconds"
printf '%-52s %10s\n' "create -d qemu, base image (installs Docker)" "$create_base"
printf '%-52s %10s\n' "floor: same image, plain script" "$total_floor"
awk -v a="$create_base" -v b="$total_floor" 'BEGIN { printf "%-52s %+9.1f%%\n", "create over floor", (a - b) / b * 100 }'
printf '%-52s %10s\n' "create -d qemu, Docker-ready image" "$create_ready"
printf '%-52s %10s\n' "stop (ACPI power-down)" "$stop_t"
printf '%-52s %10s\n' "start (boot to Docker answering)" "$start_t"
printf '%-52s %10s\n' "kill" "$kill_t"
printf '%-52s %9s ms\n' "ls with 3 running VMs (median of 5)" "$ls_ms"
