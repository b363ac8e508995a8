#!/usr/bin/env bash
# Debian packages the tests use: a real dockerd and docker CLI (docker.io), the shells
# `env` is evaluated by, OpenSSH (client, server, sftp for scp), rsync and sshfs, GNU time
# and openssl for the benchmarks; then the VM test bed's own packages (QEMU, debootstrap),
# which tests/testbed/install-deps.sh installs carefully (it never replaces the machine's
# qemu-utils backport with an older QEMU). xorriso makes the boot2docker ISO images
# (ISO9660, volume label Boot2Docker-vX.Y.Z) that the ISO cache tests serve.
# Idempotent: installs only what is missing; `apt-get update` only when lists are old.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  docker.io zsh fish tcsh
  openssh-client openssh-server openssh-sftp-server rsync sshfs fuse3 sudo
  python3 curl ca-certificates iproute2 procps time openssl
  xorriso
)

installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]
}

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "install-deps.sh: must run as root (apt-get install)" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt=(apt-get -o DPkg::Lock::Timeout=1200 -o Acquire::Retries=3 -o Acquire::Languages=none)
  # Refresh the package lists unless they are recent (a fresh machine has none).
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -720 2>/dev/null | head -n1)" ]; then
    "${apt[@]}" update -qq
  fi
  "${apt[@]}" install -y -qq --no-install-recommends --no-remove "${missing[@]}" >/dev/null
fi

tests/testbed/install-deps.sh
