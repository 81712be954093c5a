#!/usr/bin/env bash
# Runs inside the stock-kernel VM (see run-lab.sh): loads the IPVS and tunnel
# modules, then runs COMMAND in the collection copy with the environment the
# guest needs. COMMAND's output goes to summary.txt (run.sh prints it), the
# preparation to guest.log; its exit status to status.
# Usage: guest-run.sh RESULTS VENV COLL_ROOT COMMAND [ARG...]
set -uo pipefail

RESULTS=$1 VENV=$2 COLL_ROOT=$3
shift 3
MODULES=(ip_vs ip_vs_rr ip_vs_wrr ip_vs_wlc ipip fou ip_gre)

exec >"$RESULTS/guest.log" 2>&1

# The host's root is read-only in the guest; /tmp is a writable overlay.
export HOME=/tmp/home TMPDIR=/tmp/tmp
export ANSIBLE_LOCAL_TEMP=/tmp/ansible-local ANSIBLE_REMOTE_TEMP=/tmp/ansible-remote
mkdir -p "$HOME" "$TMPDIR" "$ANSIBLE_LOCAL_TEMP" "$ANSIBLE_REMOTE_TEMP"
export VNET_VM_TIER=1 ANSIBLE_COLLECTIONS_PATH=$COLL_ROOT PATH=$VENV/bin:$PATH
# Under TCG every task is slow: show where the time goes.
export ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks
cd "$COLL_ROOT/ansible_collections/vnet/linux"

# Before any namespace exists: ipip gives each new one its tunl0.
failed=()
for mod in "${MODULES[@]}"; do modprobe "$mod" || failed+=("$mod"); done
echo "kernel $(uname -r); modprobe ${MODULES[*]}: failed: ${failed[*]:-none}"

echo "running in the VM: $*"
rc=0
{
    echo "===== in the stock-kernel VM (kernel $(uname -r)): $*"
    "$@"
} >"$RESULTS/summary.txt" 2>&1 || rc=$?
echo "exit status $rc"
echo "$rc" >"$RESULTS/status"
