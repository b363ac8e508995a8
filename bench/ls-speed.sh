#!/usr/bin/env bash
# Benchmark of `ls` where people feel it, with where the time goes. Prints figures;
# asserts nothing. Targets (issue 23):
# * `ls` of 30 machines whose Docker endpoints refuse at once (127.0.0.1:1): within 1/100
#   of docker-machine 0.16.2's time on the same machine, when DM_ORIGINAL names its
#   binary (bench/build-original.sh builds one);
# * `ls -q` of 1,000 machines: within 20 ms;
# * `ls` of 20 machines of a plugin driver (the Go-built test plugin, one process per
#   machine, running, Docker URL refused): within 50 ms.
# Each figure is the mean of RUNS runs (default 20) after a warm-up run. The profile
# after each (PROFILE=0 to skip) is `perf record` over RUNS more runs: the share of CPU
# samples per shared object and the top symbols.
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${RUNS:-20}"
# As users run it: with RUST_BACKTRACE=1 every error (one per refusing machine) would
# capture a backtrace.
unset RUST_BACKTRACE RUST_LIB_BACKTRACE
cargo build --release -q -p docker-machine
target="${CARGO_TARGET_DIR:-target}"
[[ $target == /* ]] || target="$PWD/$target"
bin="$target/release/docker-machine"
plugins="$(tests/goplugin/build.sh)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Mean wall time in ms of "$@" over N runs (after one warm-up run).
mean_ms() {
  local n="$1"; shift
  "$@" >/dev/null 2>&1 || true
  local start end
  start=$(date +%s%N)
  for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 || true; done
  end=$(date +%s%N)
  awk -v t=$((end - start)) -v n="$n" 'BEGIN { printf "%.1f", t / n / 1e6 }'
}

# Where the CPU time of RUNS runs of "$@" goes: per shared object, then per symbol.
profile() {
  [[ ${PROFILE:-1} == 1 ]] || return 0
  if ! perf record -q -e cpu-clock -F 20000 -g -o "$work/perf.data" -- \
    bash -c 'for _ in $(seq "$0"); do "$@" >/dev/null 2>&1; done' "$runs" "$@" 2>/dev/null; then
    echo "    (no profile: perf cannot sample here)"
    return 0
  fi
  perf report -q -i "$work/perf.data" --no-children --sort dso --percent-limit 2 --stdio 2>/dev/null |
    awk 'NF && $1 ~ /%$/ { printf "    %7s  %s\n", $1, $2 }' | head -8
  echo "    top symbols:"
  perf report -q -i "$work/perf.data" --no-children --sort sym --percent-limit 2 --stdio -g none 2>/dev/null |
    awk 'NF && $1 ~ /%$/ { $2 = ""; printf "    %7s %s\n", $1, substr($0, index($0, $3)) }' | head -12
}

# A store of N `none` machines at 127.0.0.1:1, made from one created machine.
make_store() {
  local store="$1" count="$2"
  MACHINE_STORAGE_PATH="$store" "$bin" create -d none --url tcp://127.0.0.1:1 tmpl >/dev/null
  local tmpl
  tmpl="$(cat "$store/machines/tmpl/config.json")"
  rm -rf "$store/machines/tmpl"
  for i in $(seq "$count"); do
    mkdir -p "$store/machines/m$i"
    printf '%s' "$tmpl" | sed -e "s/\"tmpl\"/\"m$i\"/g" -e "s#machines/tmpl#machines/m$i#g" \
      >"$store/machines/m$i/config.json"
  done
}

echo "docker-machine release build, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), $runs runs each"

make_store "$work/s30" 30
ours=$(mean_ms "$runs" env MACHINE_STORAGE_PATH="$work/s30" "$bin" ls)
if [[ -n ${DM_ORIGINAL:-} ]]; then
  original=$(mean_ms 5 env MACHINE_STORAGE_PATH="$work/s30" "$DM_ORIGINAL" ls)
  printf 'ls, 30 refusing machines     %8s ms   0.16.2: %s ms (5 runs): 1/%s\n' "$ours" "$original" \
    "$(awk -v a="$ours" -v b="$original" 'BEGIN { printf "%.0f", b / a }')"
else
  printf 'ls, 30 refusing machines     %8s ms   (DM_ORIGINAL unset: no 0.16.2 figure)\n' "$ours"
fi
profile env MACHINE_STORAGE_PATH="$work/s30" "$bin" ls

make_store "$work/s1000" 1000
printf 'ls -q, 1000 machines         %8s ms\n' "$(mean_ms "$runs" env MACHINE_STORAGE_PATH="$work/s1000" "$bin" ls -q)"
profile env MACHINE_STORAGE_PATH="$work/s1000" "$bin" ls -q

# 20 machines of the plugin driver `fake` (running, Docker port 1: refused).
cp -r "$work/s30" "$work/plugin"
rm -rf "$work/plugin/machines/m"{21..30}
python3 - "$work/plugin" <<'PY'
import json, pathlib, sys
store = pathlib.Path(sys.argv[1])
for cfg in sorted(store.glob("machines/*/config.json")):
    c = json.loads(cfg.read_text())
    c["DriverName"] = "fake"
    c["Driver"] = {"IPAddress": "127.0.0.1", "MachineName": c["Name"], "SSHUser": "root",
                   "SSHPort": 22, "SSHKeyPath": "", "StorePath": str(store),
                   "SwarmMaster": False, "SwarmHost": "", "SwarmDiscovery": "",
                   "DockerPort": 1, "Tags": None, "InstallURL": "", "Running": True}
    cfg.write_text(json.dumps(c, indent=4))
PY
printf 'ls, 20 plugin machines       %8s ms\n' \
  "$(mean_ms "$runs" env PATH="$plugins:$PATH" MACHINE_STORAGE_PATH="$work/plugin" "$bin" ls)"
profile env PATH="$plugins:$PATH" MACHINE_STORAGE_PATH="$work/plugin" "$bin" ls
