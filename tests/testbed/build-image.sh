#!/usr/bin/env bash
# Single-quoted $(...)/${...} are apt/dpkg format strings, not shell.
# shellcheck disable=SC2016
# Builds the base Debian 12 (bookworm) VM image for the test bed, offline
# except for Debian's package mirror (the one the host's apt uses).
#
# Output (outside the repo, never overwritten once published):
#   ${TESTBED_CACHE:-/var/cache/docker-machine-testbed}/base-<key>/
#     base.qcow2   bare ext4 filesystem (no partition table), compressed qcow2
#     vmlinuz      kernel  } for direct kernel boot:
#     initrd.img   initrd  }   -kernel vmlinuz -initrd initrd.img -append "root=/dev/vda rw"
#     packages.txt dpkg package list of the image
#     build.log    full build log
#     done         marker: the directory is complete
# <key> is a short sha256 of this script plus the package list, so any
# recipe change produces a new directory; overlays backed by an old
# base.qcow2 keep working (rebuilding in place would silently corrupt them).
#
# The output directory is printed as the last line of stdout.
# Requires root (debootstrap, chroot). See tests/testbed/README.md.
set -euo pipefail

SUITE=bookworm
# Kept at 4 GiB virtual: the filesystem is bare ext4, so cloud-init's
# resizefs grows it online when an overlay is created bigger.
IMAGE_SIZE=4G
# Installed on top of debootstrap's minbase, without recommends.
PACKAGES=(
  linux-image-cloud-amd64 initramfs-tools
  systemd systemd-sysv udev dbus libpam-systemd
  openssh-server openssh-sftp-server cloud-init
  ca-certificates sudo iproute2 netbase e2fsprogs kmod procps less
)

# fd 3 = the script's real stderr: messages (and the failure report from
# the EXIT trap) must not vanish into a step's redirected output.
exec 3>&2
log() { printf '[build-image %(%H:%M:%S)T] %s\n' -1 "$*" >&3; }
die() { log "ERROR: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap/chroot)"
for tool in debootstrap mkfs.ext4 qemu-img flock sha256sum apt-get; do
  command -v "$tool" >/dev/null || die "$tool missing: run tests/testbed/install-deps.sh"
done

SELF=$(readlink -f "${BASH_SOURCE[0]}")
CACHE=${TESTBED_CACHE:-/var/cache/docker-machine-testbed}
KEY=base-$( { cat "$SELF"; printf '%s\n' "${PACKAGES[@]}"; } | sha256sum | cut -c1-16)
OUT=$CACHE/$KEY

# Fast path without taking the lock: a published directory is immutable.
if [[ -f $OUT/done ]]; then
  echo "$OUT"
  exit 0
fi

mkdir -p "$CACHE"
# One lock per key: concurrent runs of the same recipe wait for each other
# instead of debootstrapping twice; different recipes do not block.
exec 9>"$CACHE/$KEY.lock"
flock 9
if [[ -f $OUT/done ]]; then
  echo "$OUT"
  exit 0
fi

# umount anything left mounted below $1 (deepest first), then delete it
# without ever crossing into a mount point (a leftover /proc bind must never
# be recursed into).
remove_tree() {
  local dir=$1 m
  [[ -e $dir ]] || return 0
  while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done < <(findmnt -rn -o TARGET | grep -F "$dir/" | sort -r || true)
  rm -rf --one-file-system "$dir"
}

# We hold the lock, so any temp dir or incomplete output for this key is
# debris from a killed build, not someone else's work in progress.
for stale in "$CACHE/.tmp-$KEY".*; do
  [[ -e $stale ]] && remove_tree "$stale"
done
if [[ -e $OUT ]]; then
  log "removing incomplete $OUT (no done marker, nothing can be backed by it)"
  remove_tree "$OUT"
fi

# Build next to the destination so the final rename is atomic (same fs).
TMP=$(mktemp -d "$CACHE/.tmp-$KEY.XXXXXX")
ROOT=$TMP/rootfs
STAGE=$TMP/out
BUILD_LOG=$TMP/build.log
mkdir -p "$STAGE"
: >"$BUILD_LOG"

cleanup() {
  local rc=$?
  if [[ $rc -ne 0 ]]; then
    # Keep the log of a failed build next to the lock for post-mortems.
    cp "$BUILD_LOG" "$CACHE/$KEY.failed.log" 2>/dev/null || true
    log "build failed (rc=$rc); log: $CACHE/$KEY.failed.log; last lines:"
    tail -n 40 "$BUILD_LOG" >&3 || true
  fi
  remove_tree "$TMP"
}
trap cleanup EXIT

# Run a step with its output in the build log, and time it.
step() {
  local name=$1 t0=$SECONDS
  shift
  log "$name ..."
  echo "=== $name: $*" >>"$BUILD_LOG"
  "$@" >>"$BUILD_LOG" 2>&1
  log "$name done in $((SECONDS - t0)) s"
  echo "timing $name $((SECONDS - t0))" >>"$TMP/timings"
}

# --- mirror: reuse exactly what the host's apt is configured with ----------
# (network rule: the only outside traffic allowed is to Debian's mirror).
host_repo_uri() { # $1 = codename (bookworm, bookworm-security)
  apt-get indextargets --format '$(CODENAME) $(REPO_URI)' 2>/dev/null |
    awk -v c="$1" '$1 == c { print $2; exit }'
}
MIRROR=${TESTBED_MIRROR:-$(host_repo_uri "$SUITE")}
SECURITY_MIRROR=${TESTBED_SECURITY_MIRROR:-$(host_repo_uri "$SUITE-security")}
[[ -n $MIRROR ]] || die "no $SUITE repository in the host's apt sources (run apt-get update, or set TESTBED_MIRROR)"
MIRROR=${MIRROR%/}
SECURITY_MIRROR=${SECURITY_MIRROR%/}
log "mirror: $MIRROR security: ${SECURITY_MIRROR:-<none>}"
log "building $OUT"

in_root() {
  chroot "$ROOT" /usr/bin/env -i \
    PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root \
    DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true "$@"
}

# minbase: only Essential + apt; everything else is explicit below.
step debootstrap debootstrap --variant=minbase --arch=amd64 --components=main \
  --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
  "$SUITE" "$ROOT" "$MIRROR/"

pre_install_config() {
  # Same repositories as the host, also for apt inside the VM later on
  # (docker-ready build installs docker.io from there).
  {
    echo "deb $MIRROR $SUITE main"
    echo "deb $MIRROR $SUITE-updates main"
    if [[ -n $SECURITY_MIRROR ]]; then
      echo "deb $SECURITY_MIRROR $SUITE-security main"
    fi
  } >"$ROOT/etc/apt/sources.list"
  # Smaller image: no docs, man pages, translations.
  cat >"$ROOT/etc/dpkg/dpkg.cfg.d/01-testbed-nodoc" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
CFG
  # Never start daemons inside the build chroot.
  printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
  chmod 755 "$ROOT/usr/sbin/policy-rc.d"
  # No /vmlinuz symlinks in / (we copy the kernel out of /boot).
  echo 'do_symlinks = no' >"$ROOT/etc/kernel-img.conf"
  # virtio_blk etc. are modules in the cloud kernel: the initrd must carry
  # them, and "most" does not depend on the (build) host's hardware.
  mkdir -p "$ROOT/etc/initramfs-tools/conf.d"
  echo 'MODULES=most' >"$ROOT/etc/initramfs-tools/conf.d/testbed"
  # DNS for the build only; replaced by the QEMU slirp resolver below.
  rm -f "$ROOT/etc/resolv.conf"
  cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
  # Some maintainer scripts read /proc; mounted only for the chroot installs.
  mount -t proc proc "$ROOT/proc"
}
step pre-install-config pre_install_config

APT_OPTS=(-y -o Acquire::Languages=none -o Acquire::Retries=3 -o Dpkg::Use-Pty=0)
step apt-update in_root apt-get "${APT_OPTS[@]}" update
step apt-upgrade in_root apt-get "${APT_OPTS[@]}" upgrade
step apt-install in_root apt-get "${APT_OPTS[@]}" install --no-install-recommends "${PACKAGES[@]}"

configure() {
  umount "$ROOT/proc"

  # Things that would talk to the outside world by themselves must not be
  # there (systemd-resolved has compiled-in public FallbackDNS, timesyncd
  # uses public NTP pools).
  local pkg
  for pkg in systemd-resolved systemd-timesyncd; do
    # (status "not-installed" is what dpkg reports for a known but absent package)
    if [[ $(in_root dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true) == installed ]]; then
      die "$pkg got installed; it would contact public servers"
    fi
  done

  echo testbed >"$ROOT/etc/hostname"
  printf '127.0.0.1\tlocalhost\n' >"$ROOT/etc/hosts"
  # Bare ext4 on the whole virtio disk; online discard keeps overlays small.
  echo '/dev/vda / ext4 rw,discard,errors=remount-ro 0 1' >"$ROOT/etc/fstab"

  # Network: systemd-networkd DHCP on the QEMU NIC (enp0s*/eth0).
  mkdir -p "$ROOT/etc/systemd/network"
  cat >"$ROOT/etc/systemd/network/80-testbed-dhcp.network" <<'CFG'
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
CFG
  # Static resolver: QEMU user-mode networking's built-in DNS forwarder.
  rm -f "$ROOT/etc/resolv.conf"
  echo 'nameserver 10.0.2.3' >"$ROOT/etc/resolv.conf"

  # cloud-init: NoCloud seed disk only (no 169.254.169.254 probing),
  # leave the NIC to networkd, and keep our apt sources (cc_apt_configure
  # would otherwise rewrite them to its own default mirrors).
  cat >"$ROOT/etc/cloud/cloud.cfg.d/99-testbed.cfg" <<'CFG'
datasource_list: [ NoCloud, None ]
network: {config: disabled}
apt:
  preserve_sources_list: true
locale: C.UTF-8
CFG
  # cc_locale defaults to en_US.UTF-8, which Debian's locale-gen does not
  # generate on request -> update-locale fails -> `cloud-init status` says
  # "error". C.UTF-8 is built into glibc; with it already configured here
  # cloud-init has nothing to do.
  echo 'LANG=C.UTF-8' >"$ROOT/etc/default/locale"
  # cloud-init's cc_set_passwords restarts sshd when it has to change
  # PasswordAuthentication; pre-seeding the file it writes means "no need to
  # restart", so the first SSH session is not cut mid-boot.
  mkdir -p "$ROOT/etc/ssh/sshd_config.d"
  echo 'PasswordAuthentication no' >"$ROOT/etc/ssh/sshd_config.d/50-cloud-init.conf"

  systemctl --root="$ROOT" enable systemd-networkd.service
  # Timers that would grab the apt lock during provisioning or just burn
  # TCG cycles.
  systemctl --root="$ROOT" mask apt-daily.timer apt-daily-upgrade.timer \
    e2scrub_all.timer e2scrub_reap.service fstrim.timer dpkg-db-backup.timer

  # Per-VM identity is regenerated on first boot: host keys by cloud-init,
  # machine-id by systemd.
  rm -f "$ROOT"/etc/ssh/ssh_host_*
  : >"$ROOT/etc/machine-id"
  rm -f "$ROOT/var/lib/dbus/machine-id"

  rm -f "$ROOT/usr/sbin/policy-rc.d"
  in_root apt-get clean
  rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/debconf/*-old \
    "$ROOT"/var/lib/dpkg/*-old "$ROOT"/var/log/*.log "$ROOT"/var/log/apt/* \
    "$ROOT"/tmp/* "$ROOT"/var/tmp/*
  mkdir -p "$ROOT/var/lib/apt/lists/partial"

  in_root dpkg-query -W -f='${Package} ${Version}\n' >"$STAGE/packages.txt"

  local kernels initrds
  kernels=("$ROOT"/boot/vmlinuz-*)
  initrds=("$ROOT"/boot/initrd.img-*)
  [[ ${#kernels[@]} -eq 1 && -f ${kernels[0]} ]] || die "expected one kernel in /boot: ${kernels[*]}"
  [[ ${#initrds[@]} -eq 1 && -f ${initrds[0]} ]] || die "expected one initrd in /boot: ${initrds[*]}"
  cp "${kernels[0]}" "$STAGE/vmlinuz"
  cp "${initrds[0]}" "$STAGE/initrd.img"
  basename "${kernels[0]}" >"$STAGE/kernel-version"
}
step configure configure

# Populate the filesystem straight from the directory: no loop device, no
# mount, no partition table (the kernel is booted directly by QEMU).
step mkfs bash -c 'truncate -s "$1" "$2" && mkfs.ext4 -q -F -L rootfs -E root_owner=0:0 -d "$3" "$2"' \
  _ "$IMAGE_SIZE" "$TMP/base.raw" "$ROOT"
step qcow2-convert qemu-img convert -c -O qcow2 "$TMP/base.raw" "$STAGE/base.qcow2"
rm -f "$TMP/base.raw"

{
  echo "key=$KEY"
  echo "suite=$SUITE"
  echo "mirror=$MIRROR"
  echo "security_mirror=$SECURITY_MIRROR"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  cat "$TMP/timings"
} >"$STAGE/info"
cp "$BUILD_LOG" "$STAGE/build.log"
chmod 444 "$STAGE/base.qcow2"
touch "$STAGE/done"
# Atomic publish: readers see either nothing or the complete directory.
mv -T "$STAGE" "$OUT"
log "published $OUT ($(du -sh "$OUT/base.qcow2" | cut -f1) base.qcow2)"
echo "$OUT"
