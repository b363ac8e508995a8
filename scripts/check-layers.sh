#!/usr/bin/env bash
# Fails when a module of libmachine uses a module of its own layer or a higher one, so
# the library stays a one-way graph (docs/architecture.md), or when a command of the CLI
# uses another command (what two commands share goes to commands/mod.rs or the library). Each top-level module of
# crates/libmachine/src has a rank below; a file may name `crate::X` only for an X of a
# lower rank. A module missing from the list fails too: place a new module on purpose.
# Unit-test files (`tests.rs`) may use anything: they are not part of the graph.
set -euo pipefail
cd "$(dirname "$0")/../crates/libmachine/src"

declare -A RANK=(
  # leaves: no knowledge of machines
  [log]=0 [testpoint]=0
  [fsutil]=1 [gourl]=1 [jsonfmt]=1 [state]=1 [mcnflag]=1 [options]=1 [shell]=1 [gob]=1
  [runner]=1
  [template]=2 [download]=2 [dial]=2
  # certificates, then what speaks to a machine
  [cert]=3
  [ssh]=4 [tlsconfig]=4
  [dockerclient]=5 [cloud]=5 [boot2docker]=5 [cidata]=5
  # what a machine is made of, and how it is set up
  [drivers]=6
  [provision]=7
  [host]=8
  [migrate]=9
  [store]=10
  [create]=11 [remove]=11 [listing]=11
)

# The modules a lib.rs or mod.rs declares.
declared() { sed -n 's/^pub mod \([a-z_0-9]*\);.*/\1/p; s/^mod \([a-z_0-9]*\);.*/\1/p' "$1"; }
# The names a file uses through the given paths (`crate`, `super`, ...).
used_in() { grep -ohE "($2)::[a-z_0-9]+" "$1" | sed -E 's/.*:://' | sort -u; }

modules=$(declared lib.rs)
bad=0
for m in $modules; do
  if [[ -z ${RANK[$m]:-} ]]; then
    echo "check-layers: module '$m' has no layer in scripts/check-layers.sh" >&2
    bad=1
  fi
done
[[ $bad -eq 0 ]] || exit 1

for f in $(find . -name '*.rs' ! -name tests.rs | sort); do
  m=${f#./}
  m=${m%%/*}
  m=${m%.rs}
  [[ $m == lib ]] && continue
  for used in $(used_in "$f" crate); do
    [[ $used == "$m" || -z ${RANK[$used]:-} ]] && continue # macros and items of lib.rs
    if ((RANK[$used] >= RANK[$m])); then
      echo "check-layers: $f ($m, layer ${RANK[$m]}) uses $used (layer ${RANK[$used]})" >&2
      bad=1
    fi
  done
done
[[ $bad -eq 0 ]] || exit 1
echo "check-layers: libmachine's $(echo "$modules" | wc -w) modules form a one-way graph"

cd ../../docker-machine/src/commands
commands=$(declared mod.rs)
for f in $(find . -name '*.rs' ! -name mod.rs | sort); do
  for used in $(used_in "$f" 'super|crate::commands'); do
    if grep -qx "$used" <<<"$commands"; then
      echo "check-layers: commands/${f#./} uses the $used command; share through commands/mod.rs or the library" >&2
      bad=1
    fi
  done
done
[[ $bad -eq 0 ]] || exit 1
echo "check-layers: the CLI's $(echo "$commands" | wc -w) commands do not use one another"
