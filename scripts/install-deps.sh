#!/usr/bin/env bash
# Debian packages the tests use: a real dockerd and docker CLI (docker.io), the shells
# `env` is evaluated by, OpenSSH (client and server), and the VM test bed's tools.
# Idempotent: installs only what is missing; `apt-get update` only when needed.
set -euo pipefail

packages=(
  docker.io            # dockerd + docker CLI for TLS tests
  zsh fish tcsh        # shells that evaluate `env` output
  openssh-client openssh-server rsync sshfs
  qemu-system-x86 qemu-utils debootstrap dosfstools mtools e2fsprogs  # VM test bed
  python3 curl ca-certificates iproute2 procps
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists once unless they are recent.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -720 2>/dev/null | head -n1)" ]; then
  $SUDO apt-get update -qq
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
