# shellcheck shell=bash disable=SC2016
# Shared by the install scripts (sourced): "is it installed" and "install these", both of
# which can be pointed at another dpkg state to simulate the install there instead of doing
# it. scripts/check-install.sh uses that to prove the scripts resolve on a fresh machine.
#
#   DM_APT_ADMINDIR=DIR  read DIR/status instead of /var/lib/dpkg/status and only simulate
#                        (apt-get -s); the resolved `Inst` lines go to stdout
#   DM_APT_DROP="a b"    simulation only: leave these packages out of every list, to show
#                        that the check fails when a needed package is dropped

DM_APT=(apt-get -o DPkg::Lock::Timeout=1200 -o Acquire::Retries=3 -o Acquire::Languages=none)
if [[ -n ${DM_APT_ADMINDIR:-} ]]; then
  DM_APT+=(-o "Dir::State::status=$DM_APT_ADMINDIR/status" -o APT::Get::Simulate=true)
fi

dm_installed() {
  [[ $(dpkg-query ${DM_APT_ADMINDIR:+--admindir="$DM_APT_ADMINDIR"} -W \
    -f='${db:Status-Status}' "$1" 2>/dev/null || true) == installed ]]
}

dm_version() {
  dpkg-query ${DM_APT_ADMINDIR:+--admindir="$DM_APT_ADMINDIR"} -W -f='${Version}' "$1" 2>/dev/null || true
}

# The packages of "$@" that are not installed (and not dropped), one a line.
dm_missing() {
  local p
  for p in "$@"; do
    [[ -n ${DM_APT_ADMINDIR:-} && " ${DM_APT_DROP:-} " == *" $p "* ]] && continue
    dm_installed "$p" || echo "$p"
  done
}

# apt-get install, never removing a host package; quiet unless simulating.
dm_apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [[ -n ${DM_APT_ADMINDIR:-} ]]; then
    local out rc=0
    out=$("${DM_APT[@]}" install -y --no-install-recommends --no-remove "$@" 2>&1) || rc=$?
    if [[ $rc -ne 0 ]]; then
      printf '%s\n' "$out" >&2
      return "$rc"
    fi
    printf '%s\n' "$out" | grep '^Inst ' || true
    return 0
  fi
  "${DM_APT[@]}" install -y -qq --no-install-recommends --no-remove "$@" >/dev/null
}

# Refresh the package lists unless they are recent (a fresh machine has none).
dm_apt_update_if_old() {
  if [[ -z $(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -720 2>/dev/null | head -n1) ]]; then
    "${DM_APT[@]}" update -qq
  fi
}
