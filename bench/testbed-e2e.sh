#!/usr/bin/env bash
# End-to-end check and timing of the VM test bed (tests/testbed/):
#   deps -> base image -> boot base VM, `ssh true` -> docker-ready image ->
#   boot docker-ready VM -> `docker version` -> `docker load` busybox.tar ->
#   `docker run --rm busybox echo hello world` -> powerdown.
# Images come from the cache (TESTBED_CACHE, default
# /var/cache/docker-machine-testbed); point TESTBED_CACHE at an empty dir to
# time cold builds. One VM at a time (2-core TCG host); every VM started
# here is removed on exit. Prints a timing table (seconds) at the end.
#
# Usage: bench/testbed-e2e.sh   (as root)
set -euo pipefail

TB=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/testbed" && pwd)
WORK=$(mktemp -d /tmp/testbed-e2e.XXXXXX)
VM=$WORK/vm
declare -a TIMINGS=()

cleanup() {
  if [[ -d $VM ]]; then bash "$TB/vm.sh" rm "$VM" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

log() { printf '[testbed-e2e %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# timed NAME CMD...: runs CMD, records wall-clock seconds.
timed() {
  local name=$1 t0 t1 ds
  shift
  log "$name ..."
  t0=$(date +%s%N)
  "$@"
  t1=$(date +%s%N)
  ds=$(((t1 - t0) / 100000000)) # tenths of a second
  TIMINGS+=("$(printf '%-32s %6d.%d' "$name" $((ds / 10)) $((ds % 10)))")
  log "$name: ${TIMINGS[-1]##* } s"
}

vm() { bash "$TB/vm.sh" "$@"; }

timed install-deps bash "$TB/install-deps.sh"
timed build-image bash -c "bash '$TB/build-image.sh' >'$WORK/base'"
BASE=$(tail -n1 "$WORK/base")
timed busybox-image bash -c "bash '$TB/busybox-image.sh' >'$WORK/busybox'"
BUSYBOX=$(tail -n1 "$WORK/busybox")

# Base image: boot, SSH, powerdown.
timed base:start vm start "$VM" "$BASE"
timed base:wait-ssh+cloud-init vm wait-ssh "$VM" 900
timed base:ssh-true vm ssh "$VM" true
timed base:powerdown vm stop "$VM"
vm rm "$VM"

timed build-docker-ready bash -c "bash '$TB/build-docker-ready.sh' >'$WORK/dr'"
DOCKER_READY=$(tail -n1 "$WORK/dr")

timed dr:start vm start "$VM" "$DOCKER_READY" --docker-ready --restrict
timed dr:wait-ssh+cloud-init vm wait-ssh "$VM" 900
timed dr:docker-version vm ssh "$VM" 'sudo docker version'
timed dr:copy-busybox.tar vm put "$VM" "$BUSYBOX/busybox.tar" /tmp/busybox.tar
timed dr:docker-load vm ssh "$VM" 'sudo docker load -i /tmp/busybox.tar'
run_hello() {
  local out
  out=$(vm ssh "$VM" 'sudo docker run --rm busybox echo hello world')
  echo "$out"
  [[ $out == "hello world" ]]
}
timed 'dr:docker-run (1st)' run_hello
timed 'dr:docker-run (2nd)' run_hello
timed dr:powerdown vm stop "$VM"
vm rm "$VM"

echo
echo "base image:         $BASE"
echo "docker-ready image: $DOCKER_READY"
echo "busybox image:      $BUSYBOX"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s\n' "${TIMINGS[@]}"
