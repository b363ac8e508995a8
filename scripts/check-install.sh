#!/usr/bin/env bash
# Proves that the install scripts work on a fresh machine, from any machine: builds the
# dpkg state of a new machine (scripts/image-packages.txt: this machine's status limited
# to the image's packages), lets scripts/install-user-deps.sh (the main command's) and
# scripts/install-deps.sh (the tests', which runs the former) each resolve their install
# against that state with apt-get -s, and checks that what each would install, with what
# the image has, owns every file the main command (USER_NEEDS) or the tests and the main
# command (USER_NEEDS and TEST_NEEDS) need, found through `dpkg -S` on this machine,
# where the install has really run. Prints how many packages and megabytes each would
# download. A dropped package, a package from the wrong suite or an unresolvable set
# fails here.
#
#   scripts/check-install.sh                        after scripts/install-deps.sh (as root)
#                                                   (which runs install-user-deps.sh)
#   DM_APT_DROP="ipxe-qemu" scripts/check-install.sh   must fail: shows the check bites
set -euo pipefail
cd "$(dirname "$0")/.."

# What needs each file: the commands and data the main command and the tests run, stated
# apart from the package lists so that a list that loses a package is caught.
USER_NEEDS=(
  /usr/bin/qemu-system-x86_64            # the qemu driver and the VM test bed
  /usr/bin/qemu-img                      # overlays, image import
  /usr/bin/vde_switch                    # the qemu driver's --qemu-network (vde-switch)
  /usr/share/seabios/bios-256k.bin       # the VM's firmware
  /usr/lib/ipxe/qemu/efi-virtio.rom      # virtio-net-pci's option ROM, even with -kernel
  /usr/sbin/debootstrap                  # build-image.sh (quickstart.sh --local-image)
  /usr/share/keyrings/debian-archive-keyring.gpg
  /usr/sbin/mkfs.ext4                    # the image's file system without mounting
  /usr/bin/ssh /usr/bin/ssh-keygen
  /usr/bin/docker                        # the docker CLI
  /usr/bin/python3 /usr/bin/flock /usr/bin/dpkg-deb   # busybox-image.sh
)
TEST_NEEDS=(
  /usr/sbin/mkfs.fat /usr/bin/mcopy      # the test bed's NoCloud seed
  /usr/bin/scp
  /usr/sbin/sshd /usr/lib/openssh/sftp-server   # the sshd fixture
  /usr/bin/sshfs /usr/bin/fusermount3 /usr/bin/rsync   # mount and scp -d
  /usr/sbin/dockerd                      # a real dockerd over TLS
  /usr/bin/zsh /usr/bin/fish /usr/bin/tcsh   # shells `env` output is evaluated by
  /usr/bin/sudo /usr/bin/curl
  /usr/bin/time /usr/bin/openssl /usr/bin/ss /usr/bin/pkill /usr/bin/unshare
  /usr/lib/python3.11/ensurepip/__init__.py   # the venv moto is installed into
  /usr/bin/go                            # the test driver plugins (Go's net/rpc + gob)
  /usr/bin/x86_64-w64-mingw32-gcc /usr/bin/nasm   # cross-building the Windows binary
  /usr/bin/wine /usr/lib/wine/wine64     # running it
)

log() { echo "check-install.sh: $*" >&2; }
[[ $(id -u) -eq 0 ]] || { log "must run as root (apt-get -s with another dpkg state)"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The fresh machine's dpkg state: this machine's stanzas of the image's packages only.
awk -F'\t' '!/^#/ { print $1 }' scripts/image-packages.txt >"$tmp/image"
awk 'NR == FNR { keep[$1] = 1; next }
     /^Package: / { on = ($2 in keep) }
     on' "$tmp/image" /var/lib/dpkg/status >"$tmp/status"
missing_from_host=$(grep -c . "$tmp/image")
kept=$(grep -c '^Package: ' "$tmp/status")
log "fresh state: $kept of $missing_from_host image packages (from this machine's dpkg status)"

# MB apt would download for the packages in file $1 (their candidates' sizes).
download_mb() {
  # shellcheck disable=SC2046
  apt-cache show --no-all-versions $(cat "$1") 2>/dev/null |
    awk '/^Size: / { s += $2 } END { printf "%.0f", s / 1e6 }'
}

# The install of script $2, simulated against that state, as $1.sim (the Inst lines each
# script prints), $1.would (the packages) and $1.after (with the image's).
simulate() {
  if ! DM_APT_ADMINDIR=$tmp "$2" >"$tmp/$1.sim" 2>"$tmp/$1.err"; then
    log "$2 does not resolve on a fresh machine:"
    cat "$tmp/$1.err" >&2
    exit 1
  fi
  awk '/^Inst / { print $2 }' "$tmp/$1.sim" | sort -u >"$tmp/$1.would"
  cat "$tmp/image" "$tmp/$1.would" | sort -u >"$tmp/$1.after"
  log "$2: a fresh machine would install $(wc -l <"$tmp/$1.would") packages, $(download_mb "$tmp/$1.would") MB to download"
}
simulate user scripts/install-user-deps.sh
simulate all scripts/install-deps.sh

# dpkg knows a file under the path its package ships (/bin or /usr/bin, merged /usr),
# and an alternative (/usr/bin/wine) by the file the link ends at.
owner() {
  local f
  for f in "$1" "$(readlink -f "$1")"; do
    dpkg -S "$f" 2>/dev/null && return
    case $f in
      /usr/bin/* | /usr/sbin/* | /usr/lib/*) dpkg -S "${f#/usr}" 2>/dev/null && return ;;
    esac
  done
  true
}

bad=0
: >"$tmp/owners"
# Each file of "${@:2}" must be owned by a package of $1.after.
check_needs() {
  local sim=$1 f pkgs
  shift
  for f in "$@"; do
    pkgs=$(owner "$f" | awk -F': ' '{ print $1 }' | tr ',' '\n' | sed 's/:.*//; s/ //g' | sort -u)
    if [[ -z $pkgs ]]; then
      log "$f: not installed here (run scripts/install-deps.sh first), or no package has it"
      bad=1
      continue
    fi
    echo "$pkgs" >>"$tmp/owners"
    if ! grep -qxF -f <(echo "$pkgs") "$tmp/$sim.after"; then
      log "$f ($(echo "$pkgs" | tr '\n' ' ')) would be missing on a fresh machine after $sim's install"
      bad=1
    fi
  done
}
check_needs user "${USER_NEEDS[@]}"
# The main command's install stays lean: nothing only the tests use.
for p in wine golang-go gcc-mingw-w64-x86-64 nasm xorriso zsh fish tcsh openssh-server sshfs; do
  if grep -qxF "$p" "$tmp/user.would"; then
    log "scripts/install-user-deps.sh would install $p, which only the tests use"
    bad=1
  fi
done
check_needs all "${USER_NEEDS[@]}" "${TEST_NEEDS[@]}"

# A needed package must come in the version that works here (the same suite).
while read -r name ver; do
  grep -qxF "$name" "$tmp/owners" || continue
  have=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null || true)
  if [[ -n $have && $have != "$ver" ]]; then
    log "$name: a fresh machine would get $ver, this machine has $have"
    bad=1
  fi
done < <(awk '/^Inst / { for (i = 3; i <= NF; i++) if ($i ~ /^\(/) { v = substr($i, 2); break }
                          print $2, v }' "$tmp/all.sim" | sort -u)

if [[ $bad -ne 0 ]]; then
  exit 1
fi
log "ok: a fresh machine gets every file the main command needs from scripts/install-user-deps.sh, and every file the tests need from scripts/install-deps.sh"
