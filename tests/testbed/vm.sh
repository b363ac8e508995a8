#!/usr/bin/env bash
# Upper-case SSH_*/QMP_SOCK/PID come from DIR/env (sourced); commas inside
# QEMU option values are not array separators.
# shellcheck disable=SC2153,SC2054
# Runs throw-away QEMU VMs for tests from the images built by
# build-image.sh / build-docker-ready.sh.
#
#   vm.sh start DIR IMAGE_DIR [--docker-ready] [--pubkey FILE] [--user NAME]
#               [--name NAME] [--memory MB] [--cpus N] [--disk-size SIZE]
#               [--restrict] [--append KERNEL_ARGS]
#   vm.sh wait-ssh DIR [TIMEOUT_S]    SSH command works + cloud-init finished
#   vm.sh ssh DIR CMD...              run CMD (one remote shell line) as the user
#   vm.sh put DIR LOCAL REMOTE        copy a file in over ssh (cat >REMOTE)
#   vm.sh status DIR                  prints running/stopped (exit 0/1)
#   vm.sh stop DIR [TIMEOUT_S]        ACPI powerdown, then QMP quit, then kill
#   vm.sh rm DIR                      stop and delete DIR
#
# DIR gets: disk.qcow2 (overlay backed by the cached image, which is never
# written), seed.vfat (cloud-init NoCloud), id_rsa (generated key unless
# --pubkey), console.log (serial), qemu.pid, qemu.err, and env, a shell
# fragment with SSH_HOST SSH_PORT DOCKER_PORT SSH_USER SSH_KEY PID QMP_SOCK
# CONSOLE_LOG START_EPOCH (source it). Guest port 2376 is forwarded to
# 127.0.0.1:DOCKER_PORT, guest 22 to 127.0.0.1:SSH_PORT; nothing else is
# reachable from the host and nothing listens on other addresses.
#
# Environment: TESTBED_ACCEL=auto|tcg|kvm (auto = KVM only when /dev/kvm is
# usable AND the CPU has vmx/svm; on PVM-only hosts KVM crawls, see
# shared docs), TESTBED_MEMORY (MiB, default 2048), TESTBED_CPUS (default 2).
set -euo pipefail

SSH_OPTS=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -o BatchMode=yes -o ConnectTimeout=10 -o LogLevel=ERROR
  -o IdentitiesOnly=yes -o ServerAliveInterval=15 -o ServerAliveCountMax=4)

log() { printf '[vm.sh %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

usage() {
  sed -n '/^# Runs throw-away/,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

load_env() {
  local dir=$1
  [[ -f $dir/env ]] || die "$dir/env not found (not a VM dir made by vm.sh start?)"
  # shellcheck disable=SC1091
  source "$dir/env"
}

# True while the QEMU process of this DIR runs. Checks the command line as
# well as the pid so a recycled pid never gets killed by mistake.
alive() {
  local dir=$1 pid
  pid=$(cat "$dir/qemu.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$dir/qemu.pid"
}

# Minimal QMP client: greeting, qmp_capabilities, one command; prints reply.
qmp() {
  local sock=$1 cmd=$2
  python3 - "$sock" "$cmd" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()  # greeting
def run(name):
    f.write(json.dumps({"execute": name}) + "\n")
    f.flush()
    while True:
        line = f.readline()
        if not line:
            return None  # "quit" may close before/after replying
        msg = json.loads(line)
        if "event" not in msg:  # asynchronous events are interleaved
            return msg
run("qmp_capabilities")
print(json.dumps(run(sys.argv[2])))
PY
}

ssh_vm() { # DIR CMD... (env already loaded)
  local dir=$1
  shift
  ssh "${SSH_OPTS[@]}" -i "$SSH_KEY" -p "$SSH_PORT" "$SSH_USER@$SSH_HOST" -- "$@"
}

# Two distinct free TCP ports on 127.0.0.1 (both bound at once so they differ).
# Racy by nature: start retries when QEMU cannot bind one.
free_ports() {
  python3 -c '
import socket
socks = []
for _ in range(2):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
'
}

cmd_start() {
  [[ $# -ge 2 ]] || usage
  local dir=$1 image_dir=$2
  shift 2
  local docker_ready=0 pubkey='' user=docker name='' restrict=0 append=''
  local memory=${TESTBED_MEMORY:-2048} cpus=${TESTBED_CPUS:-2} disk_size=''
  while [[ $# -gt 0 ]]; do
    case $1 in
      --docker-ready) docker_ready=1 ;;
      --pubkey) pubkey=${2:?--pubkey needs FILE}; shift ;;
      --user) user=${2:?--user needs NAME}; shift ;;
      --name) name=${2:?--name needs NAME}; shift ;;
      --memory) memory=${2:?}; shift ;;
      --cpus) cpus=${2:?}; shift ;;
      --disk-size) disk_size=${2:?}; shift ;;
      --restrict) restrict=1 ;;
      --append) append=${2:?}; shift ;;
      *) die "unknown option $1" ;;
    esac
    shift
  done
  [[ $user =~ ^[a-z_][a-z0-9_-]*$ ]] || die "bad user name: $user"

  image_dir=$(readlink -f "$image_dir")
  local image
  if [[ $docker_ready -eq 1 ]]; then
    image=$image_dir/docker-ready.qcow2
  elif [[ -f $image_dir/base.qcow2 ]]; then
    image=$image_dir/base.qcow2
  else
    image=$image_dir/docker-ready.qcow2
  fi
  [[ -f $image_dir/done ]] || die "$image_dir is not a complete image dir (no done marker)"
  [[ -f $image ]] || die "$image not found"
  [[ -f $image_dir/vmlinuz && -f $image_dir/initrd.img ]] || die "no vmlinuz/initrd.img in $image_dir"

  if [[ -e $dir ]] && [[ -n $(ls -A "$dir") ]]; then
    die "$dir exists and is not empty"
  fi
  mkdir -p "$dir"
  dir=$(readlink -f "$dir")
  touch "$dir/.testbed-vm" # lets "rm" verify it deletes a VM dir
  if [[ -z $name ]]; then
    # Hostname-safe name from the directory name.
    name=$(basename "$dir" | tr 'A-Z_.' 'a-z--' | tr -cd 'a-z0-9-' | cut -c1-40)
    name=${name#-}
    name=${name%-}
    [[ -n $name ]] || name=testbed
  fi

  # SSH key: the given public key, or a fresh one kept in DIR.
  local ssh_key pub
  if [[ -n $pubkey ]]; then
    pub=$(head -n1 "$pubkey")
    ssh_key=${pubkey%.pub}
    [[ $ssh_key != "$pubkey" && -f $ssh_key ]] || ssh_key=''
  else
    ssh-keygen -q -t ed25519 -N '' -C "testbed-$name" -f "$dir/id_rsa"
    pub=$(cat "$dir/id_rsa.pub")
    ssh_key=$dir/id_rsa
  fi

  # cloud-init NoCloud seed. A new instance-id per start makes cloud-init
  # treat the VM as new (fresh host keys, user, hostname), including on the
  # docker-ready image that was cleaned with `cloud-init clean`.
  # JSON is valid YAML, and json.dumps quotes the key safely.
  local iid
  iid=iid-$name-$(date +%s)-$RANDOM
  python3 - "$dir" "$name" "$user" "$pub" "$iid" <<'PY'
import json, sys
d, name, user, pub, iid = sys.argv[1:]
ud = {
    "hostname": name,
    "manage_etc_hosts": True,
    "ssh_pwauth": False,
    "disable_root": True,
    "users": [{
        "name": user,
        "sudo": "ALL=(ALL) NOPASSWD:ALL",
        "shell": "/bin/bash",
        "lock_passwd": True,
        "ssh_authorized_keys": [pub],
    }],
}
with open(f"{d}/user-data", "w") as f:
    f.write("#cloud-config\n" + json.dumps(ud, indent=1) + "\n")
with open(f"{d}/meta-data", "w") as f:
    f.write(json.dumps({"instance-id": iid, "local-hostname": name}) + "\n")
PY
  # VFAT labelled CIDATA: built without mounting (mtools), 1 MiB.
  truncate -s 1M "$dir/seed.vfat"
  mkfs.vfat -n CIDATA "$dir/seed.vfat" >/dev/null
  mcopy -oi "$dir/seed.vfat" "$dir/user-data" "$dir/meta-data" ::

  # Copy-on-write overlay; the cached image is only read. -F is mandatory
  # (QEMU >= 7 refuses to probe the backing format).
  qemu-img create -q -f qcow2 -b "$image" -F qcow2 "$dir/disk.qcow2" ${disk_size:+"$disk_size"}

  local accel_mode=${TESTBED_ACCEL:-auto} accel
  if [[ $accel_mode == auto ]]; then
    if [[ -r /dev/kvm && -w /dev/kvm ]] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
      accel_mode=kvm
    else
      accel_mode=tcg
    fi
  fi
  case $accel_mode in
    kvm) accel=(-accel kvm -cpu host) ;;
    tcg) accel=(-accel tcg,thread=multi -cpu max) ;;
    *) die "TESTBED_ACCEL must be auto, tcg or kvm" ;;
  esac

  # AF_UNIX paths are limited to 108 bytes; fall back to a short temp dir.
  local qmp_sock=$dir/qmp.sock qmp_dir=''
  if [[ ${#qmp_sock} -gt 100 ]]; then
    qmp_dir=$(mktemp -d /tmp/testbed-qmp.XXXXXX)
    qmp_sock=$qmp_dir/qmp.sock
  fi

  local attempt ssh_port docker_port netdev
  for attempt in 1 2 3 4 5; do
    read -r ssh_port docker_port < <(free_ports)
    # User-mode NAT only; forwards bound to 127.0.0.1, no IPv6.
    netdev=user,id=net0,ipv6=off,hostfwd=tcp:127.0.0.1:$ssh_port-:22,hostfwd=tcp:127.0.0.1:$docker_port-:2376
    [[ $restrict -eq 1 ]] && netdev+=,restrict=on
    local qemu=(qemu-system-x86_64 -name "testbed-$name" -nodefaults -no-user-config
      "${accel[@]}" -machine q35 -m "$memory" -smp "$cpus"
      -kernel "$image_dir/vmlinuz" -initrd "$image_dir/initrd.img"
      -append "root=/dev/vda rw console=ttyS0,115200n8 $append"
      -drive "file=$dir/disk.qcow2,format=qcow2,if=virtio,discard=unmap,detect-zeroes=unmap"
      -drive "file=$dir/seed.vfat,format=raw,if=virtio,readonly=on"
      -netdev "$netdev" -device virtio-net-pci,netdev=net0
      -device virtio-rng-pci
      -display none -serial "file:$dir/console.log"
      -qmp "unix:$qmp_sock,server=on,wait=off"
      -pidfile "$dir/qemu.pid" -daemonize)
    printf '%q ' "${qemu[@]}" >"$dir/qemu.cmdline"
    echo >>"$dir/qemu.cmdline"
    # -daemonize returns once the pidfile is written; setup errors (like a
    # taken port) are printed before that and give a non-zero exit.
    if "${qemu[@]}" 2>"$dir/qemu.err"; then
      break
    fi
    if grep -q 'Could not set up host forwarding rule' "$dir/qemu.err" && [[ $attempt -lt 5 ]]; then
      log "port race ($ssh_port/$docker_port taken), retrying"
      continue
    fi
    cat "$dir/qemu.err" >&2
    die "qemu-system-x86_64 failed to start"
  done

  local pid
  pid=$(cat "$dir/qemu.pid")
  {
    printf 'SSH_HOST=%q\n' 127.0.0.1
    printf 'SSH_PORT=%q\n' "$ssh_port"
    printf 'DOCKER_PORT=%q\n' "$docker_port"
    printf 'SSH_USER=%q\n' "$user"
    printf 'SSH_KEY=%q\n' "$ssh_key"
    printf 'PID=%q\n' "$pid"
    printf 'QMP_SOCK=%q\n' "$qmp_sock"
    printf 'QMP_DIR=%q\n' "$qmp_dir"
    printf 'CONSOLE_LOG=%q\n' "$dir/console.log"
    printf 'VM_NAME=%q\n' "$name"
    printf 'IMAGE=%q\n' "$image"
    printf 'ACCEL=%q\n' "$accel_mode"
    printf 'START_EPOCH=%q\n' "$(date +%s)"
  } >"$dir/env"
  log "started $name pid=$pid accel=$accel_mode ssh=127.0.0.1:$ssh_port docker=127.0.0.1:$docker_port"
}

cmd_wait_ssh() {
  [[ $# -ge 1 ]] || usage
  local dir timeout=${2:-600}
  dir=$(readlink -f "$1")
  load_env "$dir"
  [[ -n $SSH_KEY ]] || die "no private key known for this VM (started with --pubkey without a matching private key)"
  local deadline=$((SECONDS + timeout)) rc
  # hostfwd accepts TCP before the guest listens (slirp answers on the host
  # side), so "port open" means nothing: wait for a real SSH command.
  while :; do
    alive "$dir" || { tail -n 30 "$CONSOLE_LOG" >&2 || true; die "qemu exited"; }
    if timeout 40 ssh "${SSH_OPTS[@]}" -i "$SSH_KEY" -p "$SSH_PORT" \
      "$SSH_USER@$SSH_HOST" true 2>/dev/null; then
      break
    fi
    [[ $SECONDS -lt $deadline ]] || die "no SSH after ${timeout}s (console: $CONSOLE_LOG)"
    sleep 2
  done
  log "ssh up $(($(date +%s) - START_EPOCH)) s after start"
  # cloud-init may still be configuring (users, keys, sshd); provisioning
  # before it finishes races with it. ssh exit 255 = connection problem
  # (e.g. sshd restarted by cloud-init): retry.
  while :; do
    rc=0
    timeout $((deadline - SECONDS > 10 ? deadline - SECONDS : 10)) \
      ssh "${SSH_OPTS[@]}" -i "$SSH_KEY" -p "$SSH_PORT" "$SSH_USER@$SSH_HOST" \
      'cloud-init status --wait >/dev/null' 2>/dev/null || rc=$?
    case $rc in
      0) break ;;
      255 | 124) [[ $SECONDS -lt $deadline ]] || die "cloud-init did not finish within ${timeout}s"
        sleep 2 ;;
      *) ssh_vm "$dir" 'cloud-init status --long' >&2 || true
        die "cloud-init finished with errors (rc=$rc)" ;;
    esac
  done
  log "cloud-init done $(($(date +%s) - START_EPOCH)) s after start"
}

cmd_ssh() {
  [[ $# -ge 2 ]] || usage
  local dir
  dir=$(readlink -f "$1")
  shift
  load_env "$dir"
  [[ -n $SSH_KEY ]] || die "no private key known for this VM"
  ssh_vm "$dir" "$@"
}

cmd_put() {
  [[ $# -eq 3 ]] || usage
  local dir local_file=$2 remote=$3
  dir=$(readlink -f "$1")
  load_env "$dir"
  ssh_vm "$dir" "cat > $(printf '%q' "$remote")" <"$local_file"
}

cmd_status() {
  [[ $# -eq 1 ]] || usage
  local dir
  dir=$(readlink -f "$1")
  if alive "$dir"; then
    echo running
  else
    echo stopped
    return 1
  fi
}

wait_gone() { # DIR SECONDS
  local dir=$1 end=$((SECONDS + $2))
  while alive "$dir"; do
    [[ $SECONDS -lt $end ]] || return 1
    sleep 0.5
  done
}

cmd_stop() {
  [[ $# -ge 1 ]] || usage
  local dir timeout=${2:-90} t0=$SECONDS
  dir=$(readlink -f "$1")
  load_env "$dir"
  if ! alive "$dir"; then
    log "$dir: not running"
    return 0
  fi
  # Clean ACPI shutdown first (QEMU exits by itself when the guest powers
  # off); then a hard QMP quit; then signals.
  if qmp "$QMP_SOCK" system_powerdown >/dev/null 2>&1 && wait_gone "$dir" "$timeout"; then
    log "powered off in $((SECONDS - t0)) s"
    return 0
  fi
  log "no clean powerdown after ${timeout}s, sending QMP quit"
  if qmp "$QMP_SOCK" quit >/dev/null 2>&1 && wait_gone "$dir" 15; then
    return 0
  fi
  log "QMP quit failed, killing pid $PID"
  if alive "$dir"; then kill -TERM "$PID" 2>/dev/null || true; fi
  wait_gone "$dir" 10 && return 0
  if alive "$dir"; then kill -KILL "$PID" 2>/dev/null || true; fi
  wait_gone "$dir" 10 || die "could not kill qemu pid $PID"
}

cmd_rm() {
  [[ $# -eq 1 ]] || usage
  local dir
  dir=$(readlink -f "$1")
  [[ -e $dir ]] || return 0
  [[ -f $dir/.testbed-vm ]] || die "$dir does not look like a vm.sh VM dir; not deleting"
  if [[ -f $dir/env ]]; then
    cmd_stop "$dir" 30
    # shellcheck disable=SC1091
    QMP_DIR=$(source "$dir/env" && echo "$QMP_DIR")
    if [[ -n $QMP_DIR && $QMP_DIR == /tmp/testbed-qmp.* ]]; then rm -rf "$QMP_DIR"; fi
  elif alive "$dir"; then
    die "qemu still running for $dir but no env file"
  fi
  rm -rf "$dir"
}

[[ $# -ge 1 ]] || usage
sub=$1
shift
case $sub in
  start) cmd_start "$@" ;;
  wait-ssh) cmd_wait_ssh "$@" ;;
  ssh) cmd_ssh "$@" ;;
  put) cmd_put "$@" ;;
  status) cmd_status "$@" ;;
  stop) cmd_stop "$@" ;;
  rm) cmd_rm "$@" ;;
  -h | --help | help) usage ;;
  *) die "unknown subcommand $sub" ;;
esac
