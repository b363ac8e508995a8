#!/usr/bin/env bash
# Proves that the install scripts work on a fresh machine, from any machine: builds the
# dpkg state of a new machine (scripts/image-packages.txt: this machine's status limited
# to the image's packages), lets scripts/install-deps.sh resolve its install against that
# state with apt-get -s, and checks that what it would install, with what the image has,
# owns every file the tests and the main command need (NEEDS below, found through
# `dpkg -S` on this machine, where the install has really run).
# A dropped package, a package from the wrong suite or an unresolvable set fails here.
#
#   scripts/check-install.sh                        after scripts/install-deps.sh (as root)
#   DM_APT_DROP="ipxe-qemu" scripts/check-install.sh   must fail: shows the check bites
set -euo pipefail
cd "$(dirname "$0")/.."

# What needs each file: the commands and data the tests and scripts run, stated apart
# from the package lists so that a list that loses a package is caught.
NEEDS=(
  /usr/bin/qemu-system-x86_64            # the qemu driver and the VM test bed
  /usr/bin/qemu-img                      # overlays, image import
  /usr/bin/vde_switch                    # the qemu driver's --qemu-network (vde-switch)
  /usr/share/seabios/bios-256k.bin       # the VM's firmware
  /usr/lib/ipxe/qemu/efi-virtio.rom      # virtio-net-pci's option ROM, even with -kernel
  /usr/sbin/debootstrap                  # build-image.sh
  /usr/share/keyrings/debian-archive-keyring.gpg
  /usr/sbin/mkfs.ext4                    # the image's file system without mounting
  /usr/sbin/mkfs.fat /usr/bin/mcopy      # the test bed's NoCloud seed
  /usr/bin/ssh /usr/bin/ssh-keygen /usr/bin/scp
  /usr/sbin/sshd /usr/lib/openssh/sftp-server   # the sshd fixture
  /usr/bin/sshfs /usr/bin/fusermount3 /usr/bin/rsync   # mount and scp -d
  /usr/bin/docker /usr/sbin/dockerd      # the docker CLI and a real dockerd over TLS
  /usr/bin/zsh /usr/bin/fish /usr/bin/tcsh   # shells `env` output is evaluated by
  /usr/bin/sudo /usr/bin/python3 /usr/bin/curl /usr/bin/flock
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

# The install, simulated against that state. Both scripts print the Inst lines.
if ! DM_APT_ADMINDIR=$tmp scripts/install-deps.sh >"$tmp/sim" 2>"$tmp/sim.err"; then
  log "the install does not resolve on a fresh machine:"
  cat "$tmp/sim.err" >&2
  exit 1
fi
awk '/^Inst / { print $2 }' "$tmp/sim" | sort -u >"$tmp/would"
cat "$tmp/image" "$tmp/would" | sort -u >"$tmp/after"
log "a fresh machine would install $(wc -l <"$tmp/would") packages"

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
for f in "${NEEDS[@]}"; do
  pkgs=$(owner "$f" | awk -F': ' '{ print $1 }' | tr ',' '\n' | sed 's/:.*//; s/ //g' | sort -u)
  if [[ -z $pkgs ]]; then
    log "$f: not installed here (run scripts/install-deps.sh first), or no package has it"
    bad=1
    continue
  fi
  echo "$pkgs" >>"$tmp/owners"
  if ! grep -qxF -f <(echo "$pkgs") "$tmp/after"; then
    log "$f ($(echo "$pkgs" | tr '\n' ' ')) would be missing on a fresh machine"
    bad=1
  fi
done

# A needed package must come in the version that works here (the same suite).
while read -r name ver; do
  grep -qxF "$name" "$tmp/owners" || continue
  have=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null || true)
  if [[ -n $have && $have != "$ver" ]]; then
    log "$name: a fresh machine would get $ver, this machine has $have"
    bad=1
  fi
done < <(awk '/^Inst / { for (i = 3; i <= NF; i++) if ($i ~ /^\(/) { v = substr($i, 2); break }
                          print $2, v }' "$tmp/sim" | sort -u)

if [[ $bad -ne 0 ]]; then
  exit 1
fi
log "ok: a fresh machine gets every needed file"
