# Shared helpers for the VM benchmarks (sourced). Prints figures; asserts nothing.

# Run a command, prefixing each output line with seconds since $T0 (stdout only).
stamp() {
  "$@" 2>&1 | while IFS= read -r line; do
    printf '%7.1f %s\n' "$(awk -v s="$(date +%s.%N)" -v t="$T0" 'BEGIN { print s - t }')" "$line"
  done
  return "${PIPESTATUS[0]}"
}

# The time (seconds since T0) of the first stamped line matching a pattern.
at() { awk -v p="$2" '$0 ~ p { print $1; exit }' "$1"; }

# b - a, one decimal.
span() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print "?"; else printf "%.1f", b - a }'; }

now() { date +%s.%N; }
since() { awk -v s="$(now)" -v t="$1" 'BEGIN { printf "%.1f", s - t }'; }

build_release() {
  cargo build --release -q -p docker-machine
  echo "$PWD/target/release/docker-machine"
}

# An install script URL nothing serves (port 9 of the machine itself): provisioning falls
# back to the distribution's packages without trying to reach get.docker.com, as the
# floor script does; benchmarks talk only to loopback and Debian's mirror.
LOCAL_INSTALL_URL=http://127.0.0.1:9/install.sh
