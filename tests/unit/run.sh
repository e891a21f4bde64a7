#!/usr/bin/env bash
# Runs the unit-test binaries given, prints each suite's cmocka summary and
# "unit: N passed, N failed" (counting test cases).
set -uo pipefail
pass=0 fail=0 bad=0
for t in "$@"; do
    out=$("$t" 2>&1); rc=$?
    p=$(grep -oE '^\[  PASSED  \] [0-9]+' <<<"$out" | grep -oE '[0-9]+$' || echo 0)
    f=$(grep -oE '^\[  FAILED  \] [0-9]+' <<<"$out" | grep -oE '[0-9]+$' || echo 0)
    pass=$((pass + p)); fail=$((fail + f))
    if [ $rc -ne 0 ]; then
        bad=1
        echo "$out" | grep -vE '^\[ +(RUN|OK) +\]' | tail -30
        [ "$f" -eq 0 ] && fail=$((fail + 1))   # crashed (sanitizer) without a cmocka verdict
    fi
    printf '  %-4s unit/%-12s %s passed, %s failed\n' "$([ $rc -eq 0 ] && echo PASS || echo FAIL)" "$(basename "$t" | sed 's/^test_//')" "$p" "$f"
done
echo "unit: $pass passed, $fail failed"
[ $bad -eq 0 ]
