#!/usr/bin/env bash
# Runs benchmarks/ipvs_bench.py in the stock-kernel VM that `make test-vm` set up (its
# cached Debian kernel, virtme-ng, TCG), against the collection copy under COLL_ROOT:
#   make COLL_ROOT=/tmp/x/collections collection
#   benchmarks/ipvs_bench_vm.sh /tmp/x/collections [--services N]
# Prints the ratios. One VM at a time on the CI machine: it refuses if qemu runs.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${VM_VENV:-$REPO/.venv}
COLL_ROOT=${1:?usage: $0 COLL_ROOT [--services N]}
shift
BENCH=$COLL_ROOT/ansible_collections/vnet/linux/benchmarks/ipvs_bench.py
KERNEL_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/vnet-linux/kernel

[[ -f $BENCH ]] || { echo "no $BENCH: run make COLL_ROOT=$COLL_ROOT collection" >&2; exit 1; }
version=$(find "$KERNEL_CACHE" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%f\n' | head -n 1)
[[ -n $version ]] || { echo "no kernel in $KERNEL_CACHE: run make test-vm once" >&2; exit 1; }
if pgrep -f qemu-system >/dev/null; then echo "a VM is running already; try again later" >&2; exit 1; fi

out=$(mktemp -d /tmp/ipvs-bench.XXXXXX)
# The guest's root is read-only but /tmp; its stdout does not reach us: it writes into $out.
cat >"$out/guest.sh" <<GUEST
#!/bin/bash
export HOME=/tmp/home TMPDIR=/tmp/tmp
mkdir -p "\$HOME" "\$TMPDIR"
modprobe ip_vs && modprobe ip_vs_wrr
$VENV/bin/python $BENCH $* >$out/result.txt 2>&1
GUEST
chmod +x "$out/guest.sh"
PATH=$VENV/bin:$PATH timeout 1800 vng -r "$KERNEL_CACHE/$version/boot/vmlinuz-$version" --disable-kvm --force-9p \
    --memory 2G --cpus 2 --rwdir "$out" --exec "$out/guest.sh" </dev/null >"$out/console.log" 2>&1 || true
echo "kernel $version (TCG)"
cat "$out/result.txt" 2>/dev/null || { echo "the guest wrote no result; see $out/console.log" >&2; exit 1; }
