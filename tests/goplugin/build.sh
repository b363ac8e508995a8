#!/usr/bin/env bash
# Builds the Go test fixtures (a driver plugin and the gob vector tool) with Debian's
# golang-go, from Go's standard library alone, into a cache directory keyed by the hash
# of their sources and of the Go version, and prints that directory. The plugin is
# installed as docker-machine-driver-fake and linked under the names of its
# misbehaving variants, and as docker-machine-driver-ci-test (see plugin/main.go).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
command -v go >/dev/null || { echo "build.sh: go is missing (apt-get install golang-go)" >&2; exit 1; }
hash="$( (cd "$here" && cat plugin/* gobvectors/* build.sh; go version) | sha256sum | cut -c1-16)"
cache="${DM_GO_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/docker-machine-tests}/goplugin-$hash"
if [ ! -x "$cache/bin/gobvectors" ]; then
  mkdir -p "$(dirname "$cache")"
  tmp="$(mktemp -d "${cache}.XXXXXX")"
  mkdir -p "$tmp/bin"
  export GOFLAGS=-mod=mod GO111MODULE=on GOPROXY=off GOTOOLCHAIN=local
  export GOCACHE="${GOCACHE:-$(dirname "$cache")/go-build}" GOPATH="${GOPATH:-$(dirname "$cache")/gopath}"
  (cd "$here/plugin" && go build -trimpath -o "$tmp/bin/docker-machine-driver-fake" .)
  (cd "$here/gobvectors" && go build -trimpath -o "$tmp/bin/gobvectors" .)
  for v in crash garbage version hang die slow; do
    ln -s docker-machine-driver-fake "$tmp/bin/docker-machine-driver-fake$v"
  done
  ln -s docker-machine-driver-fake "$tmp/bin/docker-machine-driver-ci-test"
  # Another test run may have built the same sources meanwhile: keep the first.
  mv -T "$tmp" "$cache" 2>/dev/null || rm -rf "$tmp"
fi
echo "$cache/bin"
