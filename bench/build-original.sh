#!/usr/bin/env bash
# Builds docker-machine 0.16.2 (the Go original) for the comparisons of bench/ls-speed.sh,
# in a temporary GOPATH outside the repository (its code is never committed here), and
# prints the binary's path.
#
#   bench/build-original.sh GIT_DIR     a git directory of github.com/docker/machine
#                                       (v0.16.2 vendors its Go dependencies)
set -euo pipefail
git_dir="${1:?usage: $0 GIT_DIR (a git directory of docker/machine)}"
out="${DM_ORIGINAL_DIR:-${TMPDIR:-/tmp}/docker-machine-0.16.2}"
bin="$out/docker-machine-0.16.2"
if [ ! -x "$bin" ]; then
  src="$out/gopath/src/github.com/docker/machine"
  rm -rf "$src" && mkdir -p "$src"
  git --git-dir="$git_dir" archive v0.16.2 | tar -x -C "$src"
  (cd "$src" && GOPATH="$out/gopath" GO111MODULE=off GOFLAGS= GOCACHE="$out/cache" \
    go build -o "$bin" ./cmd/docker-machine)
fi
echo "$bin"
