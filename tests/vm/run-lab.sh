#!/usr/bin/env bash
# Runs one command inside the stock-kernel VM that run.sh boots - e.g. the
# LVS-TUN lab playbook or a molecule scenario, which need IPVS and IPIP - in
# the collection copy under VM_COLL_ROOT, and exits with its status. Its output
# is printed afterwards (the guest's stdout does not reach the host).
# Usage: run-lab.sh COMMAND [ARG...]   (env as for run.sh: VM_VENV, VM_COLL_ROOT,
#        VM_RESULTS - default build/vm-lab - and VM_TIMEOUT)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
(($#)) || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }

# run.sh boots the VM and runs the guest.sh beside it (with RESULTS VENV
# COLL_ROOT). It has no option for another guest command yet, so a scratch copy
# of it runs beside a guest.sh that hands over to guest-run.sh with COMMAND.
stage=$(mktemp -d "$REPO/build/vm-lab-stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/tests/vm"
cp "$HERE/run.sh" "$stage/tests/vm/run.sh"
{
    echo '#!/usr/bin/env bash'
    printf 'exec %q "$@"' "$HERE/guest-run.sh"
    printf ' %q' "$@"
    echo
} >"$stage/tests/vm/guest.sh"
chmod +x "$stage/tests/vm/guest.sh"

VM_VENV=${VM_VENV:-$REPO/.venv} \
VM_COLL_ROOT=${VM_COLL_ROOT:-$REPO/build/collections} \
VM_RESULTS=${VM_RESULTS:-$REPO/build/vm-lab} \
    "$stage/tests/vm/run.sh"
