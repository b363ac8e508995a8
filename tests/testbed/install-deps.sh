#!/usr/bin/env bash
# Single-quoted $(...)/${...} are apt/dpkg format strings, not shell.
# shellcheck disable=SC2016,SC1091
# Installs the Debian 12 packages the VM test bed needs on the host.
#
# Idempotent: if every package is already installed it does nothing (no
# network, no apt lock). `apt-get update` runs only when a wanted package has
# no install candidate (e.g. a fresh host with empty lists), because an
# update is slow and contends for the apt lock with other users of the box.
#
# QEMU version pitfall: the project's machines ship qemu-utils (qemu-img)
# 10.x from bookworm-backports. bookworm's qemu-system-x86 7.2 cannot be
# installed next to it (apt would silently REMOVE qemu-utils 10). So when the
# installed qemu-utils is a backport, the QEMU packages are installed with
# bookworm-backports as the target release (-t), so that their own
# dependencies (qemu-system-common, qemu-system-data...) come from there too:
# naming only qemu-system-x86/bookworm-backports leaves those at 7.2 and apt
# gives up. Backports come from the same Debian mirror, with package lists
# kept in a private temp dir so the host's apt state is untouched. Every
# install runs with --no-remove: this script never removes a host package.
# scripts/check-install.sh simulates this script on a fresh machine.
#
# Usage: tests/testbed/install-deps.sh   (as root)
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/apt.sh"

# Why each package is needed:
#   debootstrap, debian-archive-keyring  build-image.sh: bootstrap + verify Release
#   qemu-system-x86, seabios, ipxe-qemu   run the VMs (virtio-net-pci wants
#                                         ipxe's efi-virtio.rom even with -kernel)
#   qemu-utils                            qemu-img: overlays, qcow2 convert
#   e2fsprogs                             mkfs.ext4 -d (populate fs without mounting)
#   dosfstools, mtools                    cloud-init NoCloud VFAT seed without mounting
#   openssh-client                        ssh/scp/ssh-keygen into the guest
#   python3                               free-port picking and QMP client
#   util-linux                            flock (cache locking), findmnt
#   dpkg, tar, coreutils                  busybox-image.sh (dpkg-deb -x, tar, sha256sum)
#   vde-switch                            vde_switch: the qemu driver's --qemu-network
PACKAGES=(
  debootstrap debian-archive-keyring
  qemu-utils qemu-system-x86 seabios ipxe-qemu
  e2fsprogs dosfstools mtools
  openssh-client python3 util-linux dpkg tar coreutils
  vde-switch
)

log() { echo "install-deps.sh: $*" >&2; }

if [[ $(id -u) -ne 0 ]]; then
  log "must run as root (apt-get install)"
  exit 1
fi

mapfile -t missing < <(dm_missing "${PACKAGES[@]}")
if [[ ${#missing[@]} -eq 0 ]]; then
  log "all test bed packages already installed"
  exit 0
fi
log "installing: ${missing[*]}"

SUITE=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")

tmp=
cleanup() { if [[ -n $tmp ]]; then rm -rf "$tmp"; fi; }
trap cleanup EXIT

# The packages that must come from the same suite as the installed qemu-utils.
QEMU_SET=(qemu-system-x86 seabios ipxe-qemu)
qemu=() rest=()
for p in "${missing[@]}"; do
  if [[ " ${QEMU_SET[*]} " == *" $p "* ]]; then qemu+=("$p"); else rest+=("$p"); fi
done

qemu_utils_ver=$(dm_version qemu-utils)
if dm_installed qemu-utils && [[ $qemu_utils_ver == *bpo* && ${#qemu[@]} -gt 0 ]]; then
  log "qemu-utils $qemu_utils_ver is a backport: taking ${qemu[*]} from $SUITE-backports"
  # Private apt state: the host's Debian repositories plus backports from
  # the same mirror. Only Debian's mirror is contacted.
  tmp=$(mktemp -d)
  mkdir -p "$tmp/lists/partial"
  apt-get indextargets --format '$(REPO_URI) $(CODENAME) $(COMPONENT)' 2>/dev/null |
    awk -v s="$SUITE" '$2 ~ "^" s "(-|$)" { print "deb " $1 " " $2 " " $3 }' |
    sort -u >"$tmp/sources.list"
  mirror=$(awk -v s="$SUITE" '$3 == s { print $2; exit }' "$tmp/sources.list")
  if [[ -z $mirror ]]; then
    log "no $SUITE repository in the host's apt sources; run apt-get update first"
    exit 1
  fi
  if ! grep -q " $SUITE-backports " "$tmp/sources.list"; then
    echo "deb $mirror $SUITE-backports main" >>"$tmp/sources.list"
  fi
  DM_APT+=(-o "Dir::Etc::sourcelist=$tmp/sources.list" -o Dir::Etc::sourceparts=-
    -o "Dir::State::lists=$tmp/lists" -o APT::Sandbox::User=root)
  "${DM_APT[@]}" update -qq
  if [[ ${#rest[@]} -gt 0 ]]; then dm_apt_install "${rest[@]}"; fi
  dm_apt_install -t "$SUITE-backports" "${qemu[@]}"
else
  # A package without a candidate means the lists are missing (a fresh host).
  for p in "${missing[@]}"; do
    cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
    if [[ -z $cand || $cand == "(none)" ]]; then
      log "package lists incomplete, running apt-get update"
      "${DM_APT[@]}" update -qq
      break
    fi
  done
  # --no-install-recommends keeps qemu from pulling in GUI/audio stacks.
  dm_apt_install "${missing[@]}"
fi
