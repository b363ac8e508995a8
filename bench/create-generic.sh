#!/usr/bin/env bash
# Benchmark (issue 3): `create -d generic` wall time split by phase (wait for SSH,
# detect, install Docker, configure, check), next to the same steps done by a plain
# shell script over ssh on a fresh VM of the same image. Goal: our overhead <= 10%.
# Two VMs are booted one after the other (QEMU/TCG here); takes about 10-15 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

bin=$(build_release)
image=$(tests/testbed/build-image.sh | tail -n1)
work=$(mktemp -d)
trap 'for d in "$work"/vm*; do [ -d "$d" ] && tests/testbed/vm.sh rm "$d" >/dev/null 2>&1; done; rm -rf "$work"' EXIT

# --- docker-machine -------------------------------------------------------------
tests/testbed/vm.sh start "$work/vm1" "$image" >/dev/null
source "$work/vm1/env"
export MACHINE_STORAGE_PATH="$work/store"
T0=$(now)
stamp "$bin" create -d generic --engine-install-url "$LOCAL_INSTALL_URL" --generic-ip-address 127.0.0.1 --generic-ssh-port "$SSH_PORT" \
  --generic-ssh-user "$SSH_USER" --generic-ssh-key "$SSH_KEY" --generic-engine-port "$DOCKER_PORT" --generic-engine-listen-port 2376 \
  g1 > "$work/dm.log"
total_dm=$(since "$T0")
ssh_dm=$(at "$work/dm.log" "Detecting the provisioner")
detect_dm=$(at "$work/dm.log" "Provisioning with")
install_end=$(at "$work/dm.log" "Copying certs to the local machine directory")
check_start=$(at "$work/dm.log" "Checking connection to Docker")
done_dm=$(at "$work/dm.log" "Docker is up and running")
tests/testbed/vm.sh rm "$work/vm1" >/dev/null

# --- the floor: the same steps by a plain script, on a fresh VM ----------------------
eval "$(bench/floor.sh "$image")"

printf '\n%-28s %12s %12s\n' "phase (seconds)" "docker-machine" "plain script"
printf '%-28s %12s %12s\n' "wait for SSH" "$ssh_dm" "$ssh_floor"
printf '%-28s %12s %12s\n' "detect OS" "$(span "$ssh_dm" "$detect_dm")" "$(span "$ssh_floor" "$detect_floor")"
printf '%-28s %12s %12s\n' "install Docker" "$(span "$detect_dm" "$install_end")" "$(span "$detect_floor" "$install_floor")"
printf '%-28s %12s %12s\n' "configure (certs, daemon)" "$(span "$install_end" "$check_start")" "$(span "$install_floor" "$configure_floor")"
printf '%-28s %12s %12s\n' "check connection" "$(span "$check_start" "$done_dm")" "$(span "$configure_floor" "$total_floor")"
printf '%-28s %12s %12s\n' "total" "$total_dm" "$total_floor"
awk -v a="$total_dm" -v b="$total_floor" 'BEGIN { printf "overhead of docker-machine over the script: %+.1f%%\n", (a - b) / b * 100 }'
