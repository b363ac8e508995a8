#!/usr/bin/env bash
# Builds the "docker-ready" image: the base image (build-image.sh) booted
# once, with docker.io + apparmor installed from the Debian mirror inside
# the guest, then cleaned of per-VM identity and powered off. Tests that do
# not exercise provisioning start from it and skip the 2-3 min docker.io
# install (and need no mirror access at all).
#
# Output (outside the repo, never overwritten once published):
#   ${TESTBED_CACHE:-/var/cache/docker-machine-testbed}/docker-ready-<key>/
#     docker-ready.qcow2  standalone qcow2 (no backing file), bare ext4
#     vmlinuz, initrd.img copied from the base image (direct kernel boot)
#     packages.txt        dpkg package list of the guest
#     base                key of the base image it was made from
#     build.log, console.log  build log and the build VM's serial console
#     done                marker: the directory is complete
# <key> = short sha256 of this script + the base image key + the package
# list, so a new base image or recipe gives a new directory.
#
# The output directory is printed as the last line of stdout.
set -euo pipefail

GUEST_PACKAGES=(docker.io apparmor)

exec 3>&2
log() { printf '[build-docker-ready %(%H:%M:%S)T] %s\n' -1 "$*" >&3; }
die() { log "ERROR: $*"; exit 1; }

SELF=$(readlink -f "${BASH_SOURCE[0]}")
HERE=$(dirname "$SELF")
CACHE=${TESTBED_CACHE:-/var/cache/docker-machine-testbed}
export TESTBED_CACHE=$CACHE

# Base image first (no-op when cached); its stdout's last line is the path.
BASE_DIR=$(bash "$HERE/build-image.sh" | tail -n1)
[[ -f $BASE_DIR/done ]] || die "base image build failed"
BASE_KEY=$(basename "$BASE_DIR")
KEY=docker-ready-$( { cat "$SELF"; echo "$BASE_KEY"; printf '%s\n' "${GUEST_PACKAGES[@]}"; } |
  sha256sum | cut -c1-16)
OUT=$CACHE/$KEY

if [[ -f $OUT/done ]]; then
  echo "$OUT"
  exit 0
fi
mkdir -p "$CACHE"
exec 9>"$CACHE/$KEY.lock"
flock 9
if [[ -f $OUT/done ]]; then
  echo "$OUT"
  exit 0
fi

# Holding the lock: leftovers for this key come from a killed build. Its VM
# may still run (vm.sh rm stops it by pidfile) before the dir is deleted.
for stale in "$CACHE/.tmp-$KEY".*; do
  [[ -e $stale ]] || continue
  if [[ -d $stale/vm ]]; then bash "$HERE/vm.sh" rm "$stale/vm" || true; fi
  rm -rf "$stale"
done
if [[ -e $OUT ]]; then
  log "removing incomplete $OUT (no done marker)"
  rm -rf "$OUT"
fi

TMP=$(mktemp -d "$CACHE/.tmp-$KEY.XXXXXX")
VM=$TMP/vm
STAGE=$TMP/out
BUILD_LOG=$TMP/build.log
mkdir -p "$STAGE"
: >"$BUILD_LOG"

cleanup() {
  local rc=$?
  # Never leave a QEMU behind, whatever happened.
  if [[ -d $VM ]]; then
    bash "$HERE/vm.sh" rm "$VM" >>"$BUILD_LOG" 2>&1 || true
  fi
  if [[ $rc -ne 0 ]]; then
    cp "$BUILD_LOG" "$CACHE/$KEY.failed.log" 2>/dev/null || true
    log "build failed (rc=$rc); log: $CACHE/$KEY.failed.log; last lines:"
    tail -n 40 "$BUILD_LOG" >&3 || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

step() {
  local name=$1 t0=$SECONDS
  shift
  log "$name ..."
  echo "=== $name: $*" >>"$BUILD_LOG"
  "$@" >>"$BUILD_LOG" 2>&1
  log "$name done in $((SECONDS - t0)) s"
  echo "timing $name $((SECONDS - t0))" >>"$TMP/timings"
}

vm() { bash "$HERE/vm.sh" "$@"; }

log "building $OUT from $BASE_DIR"
step boot vm start "$VM" "$BASE_DIR" --name docker-ready-build
# wait-ssh also waits for `cloud-init status --wait`: installing packages
# while cloud-init still runs races with it (and with its sshd handling).
step wait-ssh vm wait-ssh "$VM" 900

# Same mirror as the host: the base image's sources.list was written from the
# host's apt configuration, and cloud-init is told to preserve it.
step guest-apt-install vm ssh "$VM" \
  "sudo env DEBIAN_FRONTEND=noninteractive apt-get -q -o Acquire::Retries=3 update &&
   sudo env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Acquire::Retries=3 \
     --no-install-recommends install ${GUEST_PACKAGES[*]}"

# docker.io only Recommends apparmor, but Debian kernels enable AppArmor and
# `docker run` fails without apparmor_parser; check the daemon really works.
step guest-check vm ssh "$VM" 'sudo systemctl restart docker && sudo docker version && sudo docker info --format "{{.Driver}} {{.SecurityOptions}}"'
vm ssh "$VM" "dpkg-query -W -f='\${Package} \${Version}\n'" >"$STAGE/packages.txt"

# Reset everything that identifies this VM so each VM started from the image
# is a new machine: cloud-init re-runs fully (new instance-id in each seed),
# regenerating host keys; systemd regenerates machine-id; dockerd makes a new
# daemon key/ID. Also drop apt caches/lists and trim freed blocks so the
# converted image stays small.
reset_identity() {
  vm ssh "$VM" 'sudo bash -s' <<'GUEST'
set -eux
systemctl stop docker.service docker.socket containerd.service
apt-get clean
rm -rf /var/lib/apt/lists/*
mkdir -p /var/lib/apt/lists/partial
rm -f /etc/docker/key.json /var/lib/docker/engine-id
rm -f /var/lib/docker/network/files/local-kv.db
# Logs and seed too: the next boot must not see this VM's NoCloud seed data.
cloud-init clean --logs --seed
rm -f /etc/ssh/ssh_host_*
# The build VM's throw-away key must not stay authorized; cloud-init adds
# the new VM's key on first boot (the user itself stays: its primary group
# "docker" is the group docker.socket uses).
for home in /home/*; do rm -f "$home/.ssh/authorized_keys"; done
echo testbed >/etc/hostname
truncate -s 0 /etc/machine-id
rm -f /var/lib/dbus/machine-id
journalctl --rotate >/dev/null 2>&1 || true
rm -rf /var/log/journal/* /var/log/apt/* /var/log/*.log /tmp/* /var/tmp/*
fstrim -v / || true
sync
GUEST
}
step reset-identity reset_identity

step powerdown vm stop "$VM" 120
cp "$VM/console.log" "$STAGE/console.log" 2>/dev/null || true

# Flatten overlay + base into one standalone image (no backing file), so it
# does not depend on the base image's path.
step convert qemu-img convert -c -O qcow2 "$VM/disk.qcow2" "$STAGE/docker-ready.qcow2"
if qemu-img info "$STAGE/docker-ready.qcow2" | grep -q '^backing file'; then
  die "converted image still has a backing file"
fi
bash "$HERE/vm.sh" rm "$VM" >>"$BUILD_LOG" 2>&1

cp "$BASE_DIR/vmlinuz" "$BASE_DIR/initrd.img" "$STAGE/"
cp "$BASE_DIR/kernel-version" "$STAGE/" 2>/dev/null || true
echo "$BASE_KEY" >"$STAGE/base"
{
  echo "key=$KEY"
  echo "base=$BASE_KEY"
  echo "packages=${GUEST_PACKAGES[*]}"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  cat "$TMP/timings"
} >"$STAGE/info"
cp "$BUILD_LOG" "$STAGE/build.log"
chmod 444 "$STAGE/docker-ready.qcow2"
touch "$STAGE/done"
mv -T "$STAGE" "$OUT"
log "published $OUT ($(du -h "$OUT/docker-ready.qcow2" | cut -f1) docker-ready.qcow2)"
echo "$OUT"
