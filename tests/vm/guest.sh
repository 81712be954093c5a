#!/usr/bin/env bash
# Runs inside the stock-kernel VM (started by run.sh): loads the modules, runs
# the stock_kernel pytest tests and the needs/stock-kernel integration targets
# of the collection copy under COLL_ROOT (what the host tiers test too), and
# writes guest.log, summary.txt, junit.xml and status into RESULTS.
# Usage: guest.sh RESULTS VENV COLL_ROOT
set -uo pipefail

RESULTS=$1 VENV=$2 COLL_ROOT=$3
COLL=$COLL_ROOT/ansible_collections/vnet/linux
MODULES=(ip_vs ip_vs_rr ip_vs_wrr ipip fou ip_gre ipvlan dummy 8021q)
STATUS=0

exec >"$RESULTS/guest.log" 2>&1

summary() { echo "$*" | tee -a "$RESULTS/summary.txt"; }

# The host's root is read-only in the guest; /tmp is a writable overlay.
prepare_env() {
    export HOME=/tmp/home TMPDIR=/tmp/tmp
    export ANSIBLE_LOCAL_TEMP=/tmp/ansible-local ANSIBLE_REMOTE_TEMP=/tmp/ansible-remote
    mkdir -p "$HOME" "$TMPDIR" "$ANSIBLE_LOCAL_TEMP" "$ANSIBLE_REMOTE_TEMP"
    export VNET_VM_TIER=1 ANSIBLE_COLLECTIONS_PATH=$COLL_ROOT PATH=$VENV/bin:$PATH
    cd "$COLL"
}

# Failures are reported, not fatal: a test needing the module fails anyway.
# ipip before any test netns exists: each new netns gets its tunl0 from it.
load_modules() {
    local mod failed=()
    for mod in "${MODULES[@]}"; do
        modprobe "$mod" || failed+=("$mod")
    done
    summary "kernel $(uname -r); modprobe ${MODULES[*]}: failed: ${failed[*]:-none}"
}

run_pytest() {
    local rc
    echo "===== pytest -m stock_kernel"
    "$VENV/bin/python" -m pytest -m stock_kernel -p no:cacheprovider -rA \
        --junitxml="$RESULTS/junit.xml" tests 2>&1 | tee "$TMPDIR/pytest.out"
    rc=${PIPESTATUS[0]}
    summary "pytest -m stock_kernel: exit $rc: $(tail -n 1 "$TMPDIR/pytest.out")"
    ((rc == 0)) || STATUS=1
}

# All targets in one ansible-playbook process (its start costs ~12 s under
# TCG), as roles the way ansible-test runs a role target.
run_integration_targets() {
    local targets target rc=0 playbook=$TMPDIR/stock-kernel-targets.yml
    mapfile -t targets < <(tests/vm/list-targets.sh)
    if ((${#targets[@]} == 0)); then
        summary "integration: no target has the alias needs/stock-kernel"
        return
    fi
    {
        echo "- hosts: localhost"
        echo "  connection: local"
        echo "  gather_subset: [min]"
        echo "  vars: {ansible_python_interpreter: $VENV/bin/python}"
        echo "  roles:"
        for target in "${targets[@]}"; do echo "    - $target"; done
    } >"$playbook"
    echo "===== integration targets: ${targets[*]}"
    mkdir -p "$TMPDIR/output"
    ANSIBLE_ROLES_PATH=$COLL/tests/integration/targets \
        "$VENV/bin/ansible-playbook" -i localhost, -e "output_dir=$TMPDIR/output" "$playbook" || rc=$?
    summary "integration targets (${targets[*]}): exit $rc"
    ((rc == 0)) || STATUS=1
}

prepare_env
load_modules
run_pytest
run_integration_targets
echo "$STATUS" >"$RESULTS/status"
