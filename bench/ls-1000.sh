#!/usr/bin/env bash
# Benchmark: `ls` over 1,000 machines, half of them unreachable. Prints the wall time and
# the peak memory of one `ls` next to its timeout (`-t`); asserts nothing.
#
# The store (made by copying one created machine's config.json, so making it is quick):
# * 500 `none` machines at 127.0.0.1:1: the port refuses at once, as a stopped daemon does;
# * 250 `none` machines at a loopback listener that accepts and never answers: their
#   Docker query hangs until the `ls` timeout (an unreachable daemon);
# * 250 `generic` machines whose SSH port is that silent listener and whose engine port
#   refuses: their state probe gives up after its own 0.5 s banner wait (`Stopped`).
# Only loopback is used. RUNS (default 3) runs per timeout; the figure is their mean.
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${RUNS:-3}"
cargo build --release -q -p docker-machine
bin="$PWD/target/release/docker-machine"
work="$(mktemp -d)"
listener_pid=""
cleanup() { [ -n "$listener_pid" ] && kill "$listener_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# The silent listener: accepts everything, holds the connections, never writes.
python3 - "$work/port" <<'EOF' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(4096)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
held = []
while True:
    c, _ = s.accept()
    held.append(c)
EOF
listener_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
silent=$(cat "$work/port")
refused=1

store="$work/store"
MACHINE_STORAGE_PATH="$store" "$bin" create -d none --url "tcp://127.0.0.1:$refused" tmpl >/dev/null
tmpl="$(cat "$store/machines/tmpl/config.json")"
rm -rf "$store/machines/tmpl"
# A generic machine as `create` stores it (provisioning is never run here).
generic_tmpl="$(python3 - "$tmpl" "$silent" <<'EOF'
import json, sys
cfg = json.loads(sys.argv[1])
d = cfg["Driver"]
d.pop("URL", None)
d.update({"IPAddress": "127.0.0.1", "SSHUser": "root", "SSHPort": int(sys.argv[2]),
          "SSHKeyPath": "", "EnginePort": 1, "SSHKey": ""})
cfg["DriverName"] = "generic"
print(json.dumps(cfg, indent=4))
EOF
)"
make() { # NAME TEMPLATE URL
  mkdir -p "$store/machines/$1"
  printf '%s' "$2" | sed -e "s/\"tmpl\"/\"$1\"/g" -e "s#machines/tmpl#machines/$1#g" \
    -e "s#tcp://127.0.0.1:$refused#$3#" >"$store/machines/$1/config.json"
}
for i in $(seq -w 1 500); do make "up$i" "$tmpl" "tcp://127.0.0.1:$refused"; done
for i in $(seq -w 1 250); do make "hang$i" "$tmpl" "tcp://127.0.0.1:$silent"; done
for i in $(seq -w 1 250); do make "gen$i" "$generic_tmpl" ""; done

echo "docker-machine release build, $(nproc) cores, 1000 machines (500 refuse at once, 250 none + 250 generic never answer), $runs runs each"
for t in 10 3; do
  MACHINE_STORAGE_PATH="$store" "$bin" ls -t "$t" >"$work/out" 2>&1 || true
  total=0
  for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    MACHINE_STORAGE_PATH="$store" "$bin" ls -t "$t" >/dev/null 2>&1 || true
    total=$((total + $(date +%s%N) - start))
  done
  /usr/bin/time -f '%M' -o "$work/rss" env MACHINE_STORAGE_PATH="$store" "$bin" ls -t "$t" >/dev/null 2>&1 || true
  rows=$(($(wc -l <"$work/out") - 1))
  states=$(awk 'NR > 1 { for (i = 1; i <= NF; i++) if ($i ~ /^(Running|Stopped|Timeout|Error)$/) { print $i; break } }' "$work/out" | sort | uniq -c | awk '{printf "%s %s, ", $2, $1}')
  printf 'ls -t %-3s %7.2f s wall (timeout %s s)   %6.1f MiB peak RSS   %d rows: %s\n' \
    "$t" "$(awk -v n="$total" -v r="$runs" 'BEGIN { print n / r / 1e9 }')" "$t" \
    "$(awk -v k="$(tail -n1 "$work/rss")" 'BEGIN { print k / 1024 }')" "$rows" "${states%, }"
done
start=$(date +%s%N)
MACHINE_STORAGE_PATH="$store" "$bin" ls -q >/dev/null
printf 'ls -q     %7.2f s wall (no state queries)\n' "$(awk -v n="$(($(date +%s%N) - start))" 'BEGIN { print n / 1e9 }')"
