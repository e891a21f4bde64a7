#!/usr/bin/env bash
# scripts/copy-modules.sh SRC DST VERSION MODULE...: copy each named kernel
# module and every module it depends on (SRC's modules.dep) from
# SRC/lib/modules/VERSION to the same place under DST. Names match with '-'
# and '_' alike, as modprobe's do. Fails, naming it, on a module SRC lacks.
set -euo pipefail
src=$1/lib/modules/$3 dst=$2/lib/modules/$3
shift 3
for m in "$@"; do
    line=$(grep -E "/${m//_/[-_]}\.ko:" "$src/modules.dep") || { echo "no module $m in $src" >&2; exit 1; }
    for f in ${line/:/}; do
        mkdir -p "$dst/$(dirname "$f")"
        cp "$src/$f" "$dst/$f"
    done
done
