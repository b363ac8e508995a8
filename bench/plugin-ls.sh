#!/usr/bin/env bash
# Benchmark: `ls` over 20 machines of one third-party plugin driver (the Go-built test
# plugin of tests/goplugin: one plugin process per machine, as 0.16.2 started them) next
# to `ls` over 20 `none` machines. Prints mean wall times; asserts nothing.
#
# Both kinds of machine point their Docker URL at 127.0.0.1:1 (refused at once), so the
# difference is the plugin's cost: start, address, connection, version, config, URL/state.
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${RUNS:-10}"
cargo build --release -q -p docker-machine
bin="$PWD/target/release/docker-machine"
plugins="$(tests/goplugin/build.sh)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export PATH="$plugins:$PATH"

# Mean wall time in ms of "$@" over $runs runs (after one warm-up run).
measure() {
  local label="$1"; shift
  "$@" >/dev/null 2>&1 || true
  local start end
  start=$(date +%s%N)
  for _ in $(seq "$runs"); do "$@" >/dev/null 2>&1 || true; done
  end=$(date +%s%N)
  printf '%-44s %8s ms\n' "$label" "$(awk -v t=$((end - start)) -v n="$runs" 'BEGIN { printf "%.1f", t / n / 1e6 }')"
}

# 20 `none` machines, and 20 plugin machines made from them by giving each the plugin's
# driver JSON (running: a URL; stopped: the state is asked too).
make_stores() {
  for i in $(seq 20); do
    MACHINE_STORAGE_PATH="$work/none" "$bin" create -d none --url tcp://127.0.0.1:1 "m$i" >/dev/null
  done
  for kind in running stopped; do
    cp -r "$work/none" "$work/$kind"
    python3 - "$work/$kind" "$kind" <<'PY'
import json, pathlib, sys
store, kind = pathlib.Path(sys.argv[1]), sys.argv[2]
for cfg in sorted(store.glob("machines/*/config.json")):
    c = json.loads(cfg.read_text())
    name = c["Name"]
    c["DriverName"] = "fake"
    c["Driver"] = {"IPAddress": "127.0.0.1", "MachineName": name, "SSHUser": "root",
                   "SSHPort": 22, "SSHKeyPath": "", "StorePath": str(store),
                   "SwarmMaster": False, "SwarmHost": "", "SwarmDiscovery": "",
                   "DockerPort": 1, "Tags": None, "InstallURL": "",
                   "Running": kind == "running"}
    cfg.write_text(json.dumps(c, indent=4))
PY
  done
}

make_stores
echo "docker-machine release build, $runs runs each, $(nproc) cores, $(go version | awk '{print $3}') plugin"
measure "ls, 20 none machines" env MACHINE_STORAGE_PATH="$work/none" "$bin" ls
measure "ls, 20 plugin machines (running)" env MACHINE_STORAGE_PATH="$work/running" "$bin" ls
measure "ls, 20 plugin machines (stopped)" env MACHINE_STORAGE_PATH="$work/stopped" "$bin" ls
measure "ls -q, 20 plugin machines" env MACHINE_STORAGE_PATH="$work/running" "$bin" ls -q
measure "status, 1 plugin machine" env MACHINE_STORAGE_PATH="$work/running" "$bin" status m1
