#!/usr/bin/env bash
# Debian packages the tests use: a real dockerd and docker CLI (docker.io), the shells
# `env` is evaluated by, OpenSSH (client, server, sftp for scp), rsync and sshfs, GNU time
# and openssl for the benchmarks; then the VM test bed's own packages (QEMU, debootstrap),
# which tests/testbed/install-deps.sh installs carefully (QEMU from the same suite as the
# machine's qemu-utils backport).
# Idempotent: installs only what is missing; `apt-get update` only when lists are old.
# scripts/check-install.sh simulates this script on a fresh machine's package state.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/apt.sh

packages=(
  docker.io zsh fish tcsh
  openssh-client openssh-server openssh-sftp-server rsync sshfs fuse3 sudo
  python3 curl ca-certificates iproute2 procps time openssl
)

mapfile -t missing < <(dm_missing "${packages[@]}")
if [[ ${#missing[@]} -gt 0 ]]; then
  [[ $(id -u) -eq 0 ]] || { echo "install-deps.sh: must run as root (apt-get install)" >&2; exit 1; }
  dm_apt_update_if_old
  dm_apt_install "${missing[@]}"
fi

tests/testbed/install-deps.sh
