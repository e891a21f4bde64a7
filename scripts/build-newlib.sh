#!/usr/bin/env bash
# Builds the hypervisor's libc from Debian's newlib-source package.
#
# Usage: build-newlib.sh OUTDIR
# Produces OUTDIR/lib/libc.a and OUTDIR/include/. newlib is compiled with the
# hypervisor's own code-generation flags (no SSE/x87/MMX, no red zone), so the
# floating-point parts of stdlib/time/libm cannot be compiled: they are left out
# by building with `make -k` and archiving only the objects that were produced.
# Anything the hypervisor really needs and that failed shows up as a link error.
set -euo pipefail
out=$(realpath -m "$1")
src_tar=/usr/src/newlib/newlib-3.3.0.tar.xz
[ -f "$src_tar" ] || { echo "build-newlib: $src_tar missing (apt-get install newlib-source)" >&2; exit 1; }
work="$out/work"
rm -rf "$work" "$out/lib" "$out/include"
mkdir -p "$work/src" "$work/build" "$out/lib" "$out/include"
tar -C "$work/src" -xf "$src_tar"
srcdir=$(echo "$work"/src/*)
cflags="-O2 -g -ffreestanding -fno-pie -fno-stack-protector -mno-red-zone -mno-sse -mno-sse2 -mno-mmx -mno-80387 -mcmodel=kernel -fno-tree-vectorize"
cd "$work/build"
"$srcdir/configure" --target=x86_64-elf --prefix="$out" --disable-multilib \
    --disable-newlib-io-float --enable-newlib-nano-formatted-io \
    --disable-newlib-supplied-syscalls --enable-newlib-reent-small \
    --disable-newlib-fvwrite-in-streamio --disable-newlib-wide-orient \
    --enable-lite-exit --disable-newlib-multithread --disable-newlib-mb \
    CC_FOR_TARGET=gcc AR_FOR_TARGET=ar AS_FOR_TARGET=as LD_FOR_TARGET=ld \
    RANLIB_FOR_TARGET=ranlib NM_FOR_TARGET=nm OBJDUMP_FOR_TARGET=objdump \
    CFLAGS_FOR_TARGET="$cflags" >configure.log 2>&1
make configure-target-newlib >>configure.log 2>&1
nl="$work/build/x86_64-elf/newlib"
# Float code cannot compile without SSE: -k keeps going past those files.
make -k -j"$(nproc)" -C "$nl" stmp-targ-include >build.log 2>&1 || true
make -k -j"$(nproc)" -C "$nl/libc" >>build.log 2>&1 || true
# newlib's own libc.a is not assembled, since stdlib's float files failed:
# archive every object that was produced, the machine (x86_64) versions of
# memcpy/memset replacing the generic ones of the same name.
mkdir -p "$work/objs"
find "$nl/libc" \( -path "$nl/libc/machine" -o -path "$nl/libc/tmp" \) -prune -o -name 'lib_a-*.o' -print0 |
    xargs -0 cp -t "$work/objs"
find "$nl/libc/machine" -name 'lib_a-*.o' -print0 | xargs -0 -r cp -t "$work/objs"
cd "$work/objs"
ar rcs "$out/lib/libc.a" ./*.o
cp -r "$srcdir/newlib/libc/include/." "$out/include/"
cp "$nl"/targ-include/newlib.h "$nl"/targ-include/_newlib_version.h "$out/include/"
syms=$(nm "$out/lib/libc.a" 2>/dev/null)
for sym in memcpy memset strlen snprintf vsnprintf strtoul strtoull qsort bsearch isdigit; do
    grep -qw "T $sym" <<<"$syms" || { echo "build-newlib: $sym missing from libc.a; see $work/build/build.log" >&2; exit 1; }
done
rm -rf "$work"
echo "newlib: $out/lib/libc.a"
