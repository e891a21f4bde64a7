#!/usr/bin/env bash
# gen-syms.sh ELF OUT.S: the text symbols of ELF as the table arch/x86/cpu/symbols.c
# reads. With ELF "-", an empty table (for the first link pass).
set -euo pipefail
{
    echo '    .section .keel_syms, "a"'
    echo '    .balign 8'
    echo '    .global keel_nr_syms, keel_syms'
    if [ "$1" = - ]; then
        echo 'keel_nr_syms: .quad 0'
        echo 'keel_syms:'
    else
        nm -n --defined-only "$1" | awk '$2 ~ /^[tT]$/ && $3 !~ /^\.L/ { a[n] = $1; s[n++] = $3 }
            END {
                printf "keel_nr_syms: .quad %d\nkeel_syms:\n", n
                for (i = 0; i < n; i++) printf "    .quad 0x%s, .Ls%d\n", a[i], i
                for (i = 0; i < n; i++) printf ".Ls%d: .asciz \"%s\"\n", i, s[i]
            }'
    fi
} > "$2"
