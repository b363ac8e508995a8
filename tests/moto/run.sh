#!/usr/bin/env bash
# Run a command next to moto's EC2 server, inside a new network namespace that has only
# loopback: the instance addresses moto invents lead nowhere, so a stray connection to
# one fails at once and nothing leaves the machine.
#
#   tests/moto/run.sh CMD ARGS...
#
# Inside, CMD sees DM_MOTO_ENDPOINT (http://127.0.0.1:5000), DM_MOTO_ACCESS_KEY and
# DM_MOTO_SECRET_KEY (an IAM user allowed everything: moto checks credentials, so wrong
# ones are refused), DM_MOTO_AMI (an image moto knows) and DM_MOTO_PYTHON (the venv's
# python with boto3, for tests/moto/inventory.py). moto is stopped when CMD ends.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if [ -z "${DM_MOTO_NETNS:-}" ]; then
  export DM_MOTO_NETNS=1
  # As root a plain network namespace; otherwise inside a user namespace.
  if [ "$(id -u)" -eq 0 ]; then
    exec unshare --net -- "$0" "$@"
  fi
  exec unshare --map-root-user --net -- "$0" "$@"
fi

venv="${DM_MOTO_VENV:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/docker-machine-rs/moto-venv}"
if [ ! -x "$venv/bin/moto_server" ]; then
  echo "run.sh: moto is not installed in $venv (run scripts/install-deps.sh)" >&2
  exit 2
fi
ip link set lo up

log="$(mktemp -t moto.XXXXXX.log)"
# Credentials are checked once the first 3 actions (the IAM set-up below) are done.
INITIAL_NO_AUTH_ACTION_COUNT=3 "$venv/bin/moto_server" -H 127.0.0.1 -p 5000 >"$log" 2>&1 &
moto=$!
trap 'kill "$moto" 2>/dev/null; wait "$moto" 2>/dev/null; rm -f "$log"' EXIT

export DM_MOTO_ENDPOINT=http://127.0.0.1:5000
for _ in $(seq 150); do
  if "$venv/bin/python" -c 'import socket,sys; socket.create_connection(("127.0.0.1",5000),0.2)' 2>/dev/null; then
    break
  fi
  sleep 0.1
done
read -r DM_MOTO_ACCESS_KEY DM_MOTO_SECRET_KEY DM_MOTO_AMI < <("$venv/bin/python" "$here/inventory.py" setup) || {
  echo "run.sh: moto did not start:" >&2
  cat "$log" >&2
  exit 2
}
export DM_MOTO_ACCESS_KEY DM_MOTO_SECRET_KEY DM_MOTO_AMI
export DM_MOTO_PYTHON="$venv/bin/python"
"$@"
