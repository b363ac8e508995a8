#!/usr/bin/env bash
# Benchmark of the store-bound commands: wall time and peak memory of `ls` over 30 and
# 300 `none` machines, `inspect`, `env` and `config`. Prints figures; asserts nothing.
# Target (issue 2): `ls` over 30 machines in 25 ms or less and 10 MiB or less.
#
# Machines point at 127.0.0.1:1 (connection refused at once) so `ls` does its real work
# (load, state, URL, a Docker query that fails fast) without a network. `env` and
# `config` need a TLS endpoint that accepts the machine's client certificate: a small
# Python TLS server plays the Docker daemon's TLS side.
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${RUNS:-30}"
cargo build --release -q -p docker-machine
bin="$PWD/target/release/docker-machine"
work="$(mktemp -d)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# Mean wall time in ms over $runs runs, and peak RSS in KiB of one run.
measure() {
  local label="$1"; shift
  local start end
  "$@" >/dev/null 2>&1 || true # warm the page cache
  start=$(date +%s%N)
  for _ in $(seq "$runs"); do "$@" >/dev/null 2>&1 || true; done
  end=$(date +%s%N)
  local ms rss
  ms=$(awk -v t=$((end - start)) -v n="$runs" 'BEGIN { printf "%.1f", t / n / 1e6 }')
  /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>&1 || true
  rss=$(tail -n1 "$work/rss")
  printf '%-34s %8s ms   %6.1f MiB peak RSS\n' "$label" "$ms" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
}

make_store() {
  local store="$1" count="$2"
  mkdir -p "$store"
  for i in $(seq "$count"); do
    MACHINE_STORAGE_PATH="$store" "$bin" create -d none --url tcp://127.0.0.1:1 "m$i" >/dev/null
  done
}

echo "docker-machine $("$bin" --version | awk '{print $3}' | tr -d ,) release build, $runs runs each, $(nproc) cores"
for n in 30 300; do
  make_store "$work/s$n" "$n"
  measure "ls, $n machines" env MACHINE_STORAGE_PATH="$work/s$n" "$bin" ls
  measure "ls -q, $n machines" env MACHINE_STORAGE_PATH="$work/s$n" "$bin" ls -q
done
measure "inspect" env MACHINE_STORAGE_PATH="$work/s30" "$bin" inspect m1

# A TLS endpoint with a server certificate issued by the store's CA.
store="$work/s30"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
MACHINE_STORAGE_PATH="$store" "$bin" create -d none --url "tcp://127.0.0.1:$port" tls1 >/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$work/server-key.pem" -subj "/O=bench.server" \
  -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$work/ext"
openssl x509 -req -in "$work/server.csr" -CA "$store/certs/ca.pem" -CAkey "$store/certs/ca-key.pem" \
  -CAcreateserial -days 2 -extfile "$work/ext" -out "$work/server.pem" 2>/dev/null
for f in ca.pem cert.pem key.pem; do cp "$store/certs/$f" "$store/machines/tls1/$f"; done
python3 - "$port" "$work/server.pem" "$work/server-key.pem" "$store/certs/ca.pem" <<'PY' &
import socket, ssl, sys
port, cert, key, ca = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.load_verify_locations(ca)
ctx.verify_mode = ssl.CERT_REQUIRED
srv = socket.create_server(("127.0.0.1", port))
while True:
    conn, _ = srv.accept()
    try:
        with ctx.wrap_socket(conn, server_side=True) as tls:
            tls.settimeout(2)
            try:
                tls.recv(1)
            except Exception:
                pass
    except Exception:
        pass
PY
server_pid=$!
sleep 0.5
measure "env (TLS check)" env MACHINE_STORAGE_PATH="$store" SHELL=/bin/bash "$bin" env tls1
measure "config (TLS check)" env MACHINE_STORAGE_PATH="$store" "$bin" config tls1
