#!/usr/bin/env bash
# Installs the Debian 12 packages the VM test bed needs on the host.
#
# Idempotent: if every package is already installed it does nothing (no
# network, no apt lock). `apt-get update` runs only when a wanted package has
# no install candidate (e.g. fresh container with empty lists), because an
# update is slow and contends for the apt lock with other users of the box.
#
# Usage: tests/testbed/install-deps.sh   (as root)
set -euo pipefail

# Why each package is needed:
#   debootstrap, debian-archive-keyring  build-image.sh: bootstrap + verify Release
#   qemu-system-x86, seabios, ipxe-qemu   run the VMs (virtio-net-pci wants
#                                         ipxe's efi-virtio.rom even with -kernel)
#   qemu-utils                            qemu-img: overlays, qcow2 convert
#   e2fsprogs                             mkfs.ext4 -d (populate fs without mounting)
#   dosfstools, mtools                    cloud-init NoCloud VFAT seed without mounting
#   openssh-client                        ssh/scp/ssh-keygen into the guest
#   python3                               free-port picking and QMP client
#   util-linux                            flock (cache locking)
#   dpkg, tar, coreutils                  busybox-image.sh (dpkg-deb -x, tar, sha256sum)
PACKAGES=(
  debootstrap debian-archive-keyring
  qemu-system-x86 seabios ipxe-qemu qemu-utils
  e2fsprogs dosfstools mtools
  openssh-client python3 util-linux dpkg tar coreutils
)

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps.sh: must run as root (apt-get install)" >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true) != installed ]]; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps.sh: all test bed packages already installed"
  exit 0
fi
echo "install-deps.sh: installing: ${missing[*]}"

# Wait for the dpkg/apt locks instead of failing when another apt runs
# (unattended upgrades, another engineer's install).
APT_OPTS=(-o DPkg::Lock::Timeout=1200 -o Acquire::Retries=3)

need_update=0
for p in "${missing[@]}"; do
  cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
  if [[ -z $cand || $cand == "(none)" ]]; then
    need_update=1
    break
  fi
done
if [[ $need_update -eq 1 ]]; then
  echo "install-deps.sh: package lists incomplete, running apt-get update"
  apt-get "${APT_OPTS[@]}" update
fi

# --no-install-recommends keeps qemu from pulling in GUI/audio stacks.
DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" install -y \
  --no-install-recommends "${missing[@]}"
