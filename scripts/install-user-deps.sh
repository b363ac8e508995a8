#!/usr/bin/env bash
# What the main command (scripts/quickstart.sh) uses, and nothing more: QEMU and the
# image builder's tools, which tests/testbed/install-deps.sh installs carefully (QEMU
# from the same suite as the machine's qemu-utils backport), and the docker CLI. What
# only the tests use is installed by scripts/install-deps.sh, which runs this first.
# Idempotent: installs only what is missing; `apt-get update` only when lists are old.
# scripts/check-install.sh simulates this script on a fresh machine's package state.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/apt.sh

# One package a line, each with why the main command needs it.
packages=(
  docker.io # the docker CLI, pointed at the machine by `env` (Debian has no CLI alone)
)

mapfile -t missing < <(dm_missing "${packages[@]}")
if [[ ${#missing[@]} -gt 0 ]]; then
  [[ $(id -u) -eq 0 ]] || { echo "install-user-deps.sh: must run as root (apt-get install)" >&2; exit 1; }
  dm_apt_update_if_old
  dm_apt_install "${missing[@]}"
fi

tests/testbed/install-deps.sh
