#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine: install what it uses (QEMU, the image
# builder's tools, the docker CLI: scripts/install-user-deps.sh; the tests' own packages
# are scripts/install-deps.sh's), build and install docker-machine, create a local
# Docker host (a QEMU VM, the qemu driver) and run a container on it.
#
#   scripts/quickstart.sh [--local-image] [NAME]
#
# By default the VM boots the official Debian 12 cloud image, which the qemu driver
# downloads once into the store's cache. With --local-image (for machines that cannot
# reach cloud.debian.org) the base image is built here from Debian packages with the
# project's image builder (tests/testbed/build-image.sh) and booted directly (kernel +
# initrd), and the container image is made from Debian's busybox-static instead of being
# pulled from a registry.
set -euo pipefail
cd "$(dirname "$0")/.."

local_image=false
name=local
for arg in "$@"; do
  case "$arg" in
    --local-image) local_image=true ;;
    -*) echo "usage: $0 [--local-image] [NAME]" >&2; exit 2 ;;
    *) name="$arg" ;;
  esac
done

scripts/install-user-deps.sh
scripts/install.sh
dm=/usr/local/bin/docker-machine

create_args=(-d qemu)
if $local_image; then
  echo "Building a Debian 12 base image from Debian packages (cached after the first run)..."
  image_dir="$(tests/testbed/build-image.sh | tail -n1)"
  # An empty install URL installs Docker from Debian's packages: no get.docker.com.
  create_args+=(--qemu-image "$image_dir/base.qcow2" --qemu-kernel "$image_dir/vmlinuz"
    --qemu-initrd "$image_dir/initrd.img" --engine-install-url "")
fi

if ! "$dm" status "$name" >/dev/null 2>&1; then
  "$dm" create "${create_args[@]}" "$name"
fi
"$dm" ls

eval "$("$dm" env "$name")"
if $local_image; then
  busybox_dir="$(tests/testbed/busybox-image.sh | tail -n1)"
  docker load -i "$busybox_dir/busybox.tar"
fi
docker run --rm busybox echo "hello from $name"
