#!/usr/bin/env bash
# Debian packages the tests use, after what the main command uses
# (scripts/install-user-deps.sh: QEMU, the image builder's tools, the docker CLI): the
# shells `env` is evaluated by, OpenSSH (client, server, sftp for scp), rsync and sshfs,
# GNU time and openssl for the benchmarks, Go for the test driver plugins, mingw-w64 and
# wine for the Windows binary. moto's EC2 emulator (PyPI `moto[server]`, for the
# amazonec2 tests and bench/ec2.sh) goes into a venv under the user's cache directory,
# outside the repository; python3-venv lets Debian's python3 make one. xorriso makes the
# boot2docker ISO images (ISO9660, volume label Boot2Docker-vX.Y.Z) that the ISO cache
# tests serve.
# Idempotent: installs only what is missing; `apt-get update` only when lists are old.
# scripts/check-install.sh simulates this script on a fresh machine's package state.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/apt.sh

scripts/install-user-deps.sh

packages=(
  zsh fish tcsh
  openssh-client openssh-server openssh-sftp-server rsync sshfs fuse3 sudo
  python3 python3-venv curl ca-certificates iproute2 procps time openssl
  # Go, to build the driver plugins and gob vectors the plugin tests run (tests/goplugin).
  golang-go
  # The Windows binary: cross-linked by mingw-w64 (nasm for aws-lc's assembly), then run
  # under wine by crates/docker-machine/tests/integration/wine.rs.
  gcc-mingw-w64-x86-64 nasm wine wine64
  # The boot2docker ISO images the ISO cache tests serve.
  xorriso
)

mapfile -t missing < <(dm_missing "${packages[@]}")
if [[ ${#missing[@]} -gt 0 ]]; then
  [[ $(id -u) -eq 0 ]] || { echo "install-deps.sh: must run as root (apt-get install)" >&2; exit 1; }
  dm_apt_update_if_old
  dm_apt_install "${missing[@]}"
fi

# moto, pinned: the tests rely on its answers (default VPC, images, error codes). Not when
# only simulating the apt part (scripts/check-install.sh).
moto_venv="${DM_MOTO_VENV:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/docker-machine-rs/moto-venv}"
moto_version=5.2.1
if [[ -z ${DM_APT_ADMINDIR:-} ]] &&
  ! "$moto_venv/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$moto_version')" 2>/dev/null; then
  python3 -m venv "$moto_venv"
  "$moto_venv/bin/pip" install -q --disable-pip-version-check "moto[server]==$moto_version"
fi
