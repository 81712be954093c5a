#!/usr/bin/env bash
# Runs inside the stock-kernel VM (started by run.sh): loads the modules, runs
# the stock_kernel pytest tests and the needs/stock-kernel integration targets
# of the collection copy under COLL_ROOT (what the host tiers test too), and
# writes guest.log, summary.txt, junit.xml and status into RESULTS.
# Usage: guest.sh RESULTS VENV COLL_ROOT
set -uo pipefail

RESULTS=$1 VENV=$2 COLL_ROOT=$3
COLL=$COLL_ROOT/ansible_collections/vnet/linux
MODULES=(ip_vs ip_vs_rr ip_vs_wrr ipip fou ip_gre ipvlan dummy 8021q tun)
STATUS=0

exec >"$RESULTS/guest.log" 2>&1

# Seconds since the guest script started: shows where the tier's time goes.
summary() { printf '[%3ds] %s\n' "$SECONDS" "$*" | tee -a "$RESULTS/summary.txt"; }

# The host's root is read-only in the guest; /tmp is a writable overlay.
prepare_env() {
    export HOME=/tmp/home TMPDIR=/tmp/tmp
    export ANSIBLE_LOCAL_TEMP=/tmp/ansible-local ANSIBLE_REMOTE_TEMP=/tmp/ansible-remote
    mkdir -p "$HOME" "$TMPDIR" "$ANSIBLE_LOCAL_TEMP" "$ANSIBLE_REMOTE_TEMP"
    export VNET_VM_TIER=1 ANSIBLE_COLLECTIONS_PATH=$COLL_ROOT PATH=$VENV/bin:$PATH
    cd "$COLL"
}

# virtme mounts its 9p exports uncached, so under TCG each of the many stat()
# and open() calls of a Python import is a round trip to the host. The
# read-only exports (run.sh's --rodir: venv, Python, collection) do not change
# while the VM runs: remounted with cache=loose, Python and Ansible run ~4x
# faster. A failed mount leaves the uncached view of the root underneath.
cache_readonly_exports() {
    local tag dir
    while read -r tag dir; do
        umount "$dir" &&
            mount -t 9p -o ro,cache=loose,version=9p2000.L,trans=virtio,access=any,msize=512000 "$tag" "$dir"
    done < <(awk -v rw="$RESULTS" '$1 ~ /^virtme\.initmount/ && $2 != rw { print $1, $2 }' /proc/mounts)
    grep -w 9p /proc/mounts
}

# Failures are reported, not fatal: a test needing the module fails anyway.
# ipip before any test netns exists: each new netns gets its tunl0 from it.
# tun: without udev, /dev/net/tun only appears once the module is loaded.
load_modules() {
    local mod failed=()
    for mod in "${MODULES[@]}"; do
        modprobe "$mod" || failed+=("$mod")
    done
    summary "kernel $(uname -r); modprobe ${MODULES[*]}: failed: ${failed[*]:-none}"
}

# Under TCG every import counts: tests/unit is pure Python (no kernel, see
# DESIGN.md) and need not be collected; the hypothesis plugin alone is 2/3 of
# pytest's start (tests can still use hypothesis without it).
run_pytest() {
    local rc
    echo "===== pytest -m stock_kernel"
    "$VENV/bin/python" -m pytest -m stock_kernel -p no:cacheprovider -p no:hypothesispytest \
        -rA --durations=5 --junitxml="$RESULTS/junit.xml" --ignore=tests/unit tests 2>&1 | tee "$TMPDIR/pytest.out"
    rc=${PIPESTATUS[0]}
    summary "pytest -m stock_kernel: exit $rc: $(tail -n 1 "$TMPDIR/pytest.out")"
    ((rc == 0)) || STATUS=1
}

# All targets in one ansible-playbook process (its start costs ~12 s under
# TCG), each imported as a role the way ansible-test runs a role target, in a
# block whose rescue notes the failure and moves on, so one red target does not
# hide the others. No fact gathering (30-70 s here): a target that needs facts
# runs ansible.builtin.setup. Pipelining saves the temp-file round trips of
# each task (~15% here). profile_tasks (ansible bundle) times each task.
write_targets_playbook() {
    local target
    echo "- hosts: localhost"
    echo "  connection: local"
    echo "  gather_facts: false"
    echo "  vars: {ansible_python_interpreter: $VENV/bin/python, vm_failed: []}"
    echo "  tasks:"
    for target in "$@"; do
        echo "    - name: Target $target"
        echo "      block:"
        echo "        - ansible.builtin.import_role: {name: $target}"
        echo "      rescue:"
        echo "        - ansible.builtin.set_fact:"
        echo "            vm_failed: \"{{ vm_failed + ['$target: ' ~ ansible_failed_task.name] }}\""
    done
    echo "    - ansible.builtin.fail: {msg: \"failed targets: {{ vm_failed | join('; ') }}\"}"
    echo "      when: vm_failed | length > 0"
}

run_integration_targets() {
    local targets rc playbook=$TMPDIR/stock-kernel-targets.yml
    mapfile -t targets < <(tests/vm/list-targets.sh)
    if ((${#targets[@]} == 0)); then
        summary "integration: no target has the alias needs/stock-kernel"
        return
    fi
    write_targets_playbook "${targets[@]}" >"$playbook"
    echo "===== integration targets: ${targets[*]}"
    mkdir -p "$TMPDIR/output"
    ANSIBLE_ROLES_PATH=$COLL/tests/integration/targets \
        ANSIBLE_PIPELINING=1 ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks \
        "$VENV/bin/ansible-playbook" -i localhost, -e "output_dir=$TMPDIR/output" "$playbook" 2>&1 |
        tee "$TMPDIR/ansible.out"
    rc=${PIPESTATUS[0]}
    summary "integration targets (${targets[*]}): exit $rc" \
        "$(grep -o 'failed targets: [^"]*' "$TMPDIR/ansible.out" | head -n 1)"
    ((rc == 0)) || STATUS=1
}

main() {
    cache_readonly_exports
    prepare_env
    load_modules
    run_pytest
    run_integration_targets
    echo "$STATUS" >"$RESULTS/status"
}

# bash reads a script while running it: with the call and the exit on one
# line, editing or checking out this file during a run changes nothing.
main; exit
