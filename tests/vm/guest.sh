#!/usr/bin/env bash
# Runs inside the stock-kernel VM (started by run.sh) on the collection copy
# under COLL_ROOT (what the host tiers test too).
# Without COMMAND: the tier - the stock_kernel pytest tests, each integration
# target with the alias needs/stock-kernel and the lvs_tun molecule scenario,
# one job each. Writes summary.txt, a log per job, guest.log, junit.xml and
# status into RESULTS.
# With COMMAND (make lab, make molecule-lvs-tun, make bench): runs it, its output into
# summary.txt, which run.sh always prints.
# Usage: guest.sh RESULTS VENV COLL_ROOT [COMMAND [ARG...]]
set -uo pipefail

RESULTS=$1 VENV=$2 COLL_ROOT=$3
shift 3
COLL=$COLL_ROOT/ansible_collections/vnet/linux
MODULES=(ip_vs ip_vs_rr ip_vs_wrr ip_vs_wlc ipip fou ip_gre ipvlan dummy 8021q tun)

exec >"$RESULTS/guest.log" 2>&1

# Seconds since the guest script started: shows where the tier's time goes.
summary() { printf '[%3ds] %s\n' "$SECONDS" "$*" | tee -a "$RESULTS/summary.txt"; }

# The host's root is read-only in the guest; /tmp is a writable overlay.
prepare_env() {
    export HOME=/tmp/home TMPDIR=/tmp/tmp
    export ANSIBLE_LOCAL_TEMP=/tmp/ansible-local ANSIBLE_REMOTE_TEMP=/tmp/ansible-remote
    mkdir -p "$HOME" "$TMPDIR" "$ANSIBLE_LOCAL_TEMP" "$ANSIBLE_REMOTE_TEMP"
    export VNET_VM_TIER=1 ANSIBLE_COLLECTIONS_PATH=$COLL_ROOT PATH=$VENV/bin:$PATH
    # Pipelining saves each task's temp-file round trips (~15% here); profile_tasks times each task.
    export ANSIBLE_PIPELINING=1 ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks
    cd "$COLL"
}

# virtme mounts its 9p exports uncached, so under TCG each of the many stat()
# and open() calls of a Python import or a program start is a round trip to
# the host. The read-only exports (run.sh's --rodir: venv, Python, collection)
# do not change while the VM runs: remounted with cache=loose, Python and
# Ansible run ~4x faster. A failed mount leaves the uncached view underneath.
# (The root cannot be remounted so: 9p allows one mount per export.)
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

# What one Python start costs here: bare, and with what a module task imports
# (compiled, as AnsiballZ's zip does, since the collection has no .pyc).
time_python_starts() {
    local what start
    for what in "pass" "import ansible.module_utils.basic" \
        "import ansible_collections.vnet.linux.plugins.modules.vnet_ipvs_tun"; do
        start=${EPOCHREALTIME/./}
        PYTHONPATH=$COLL_ROOT "$VENV/bin/python" -c "$what"
        summary "python -c '$what': $(((${EPOCHREALTIME/./} - start) / 1000)) ms"
    done
}

# Under TCG every import counts: tests/unit is pure Python (no kernel, see
# DESIGN.md) and need not be collected; the hypothesis plugin alone is 2/3 of
# pytest's start (tests can still use hypothesis without it).
pytest_stock_kernel() {
    "$VENV/bin/python" -m pytest -m stock_kernel -p no:cacheprovider -p no:hypothesispytest \
        -rA --durations=5 --junitxml="$RESULTS/junit.xml" --ignore=tests/unit tests
}

# A target runs as a role of one play, the way ansible-test runs a role
# target. No fact gathering (30-70 s here): a target that needs facts runs
# ansible.builtin.setup.
# Under Mitogen's strategy: each task runs in one warm Python rather than a
# new one that imports ansible.module_utils.basic and pyroute2 again, ~3 s of
# emulated CPU per task (the three targets: 1089 s -> 342 s). The host tiers
# and the molecule scenario below run every module the stock way (Mitogen
# leaves the netns connection alone, and made that scenario slower: 444 s ->
# 739 s), so both ways of running a module stay tested.
integration_target() {
    local playbook=$TMPDIR/target-$1.yml
    cat >"$playbook" <<EOF
- hosts: localhost
  connection: local
  gather_facts: false
  vars: {ansible_python_interpreter: $VENV/bin/python}
  roles: [$1]
EOF
    mkdir -p "$TMPDIR/output-$1"
    ANSIBLE_ROLES_PATH=$COLL/tests/integration/targets ANSIBLE_STRATEGY=mitogen_linear \
        ANSIBLE_STRATEGY_PLUGINS=$(echo "$VENV"/lib/python3*/site-packages/ansible_mitogen/plugins/strategy) \
        "$VENV/bin/ansible-playbook" -i localhost, -e "output_dir=$TMPDIR/output-$1" "$playbook"
}

molecule_scenario() {
    "$VENV/bin/molecule" test -s "$1"
}

# The task (Ansible: the last failure not ignored) or the tests (pytest) that failed.
failure_in() {
    awk '/^TASK \[/ { task = $0 } /^fatal:/ { failed = task " " substr($0, 1, 300) } /^\.\.\.ignoring/ { failed = "" }
         /^(FAILED|ERROR) tests\// { print } END { if (failed != "") print failed }' "$1" | head -n 5
}

# Runs one job (NAME FUNCTION ARG...) with its output in RESULTS/NAME.log.
run_job() {
    local name=$1 log=$RESULTS/$1.log start=$SECONDS rc=0
    shift
    "$@" </dev/null >"$log" 2>&1 || rc=$?
    if ((rc == 0)); then
        summary "$name: passed in $((SECONDS - start))s"
    else
        summary "$name: FAILED (exit $rc) in $((SECONDS - start))s: $(failure_in "$log")"
        echo "$log" >>"$RESULTS/failed-logs"
    fi
    return "$rc"
}

tier_jobs() {
    local target
    echo "pytest-stock_kernel pytest_stock_kernel"
    while read -r target; do
        echo "target-$target integration_target $target"
    done < <(tests/vm/list-targets.sh)
    echo "molecule-lvs_tun molecule_scenario lvs_tun"
}

# One job after the other: under TCG two at a time finished only ~10% sooner
# (QEMU's threads for the two CPUs scale poorly). Failed jobs' logs go into
# guest.log, which run.sh prints on failure.
run_tier() {
    local job failed=0 log
    while read -r job; do
        # shellcheck disable=SC2086 # a job is words by design
        run_job $job || failed=1
    done < <(tier_jobs)
    ((failed)) || return 0
    while read -r log; do
        echo "===== $log"
        cat "$log"
    done <"$RESULTS/failed-logs"
    return 1
}

run_command() {
    echo "===== in the stock-kernel VM (kernel $(uname -r)): $*" >>"$RESULTS/summary.txt"
    "$@" >>"$RESULTS/summary.txt" 2>&1
}

main() {
    local status=0
    cache_readonly_exports
    prepare_env
    load_modules
    if (($#)); then
        run_command "$@" || status=$?
    else
        time_python_starts
        run_tier || status=1
    fi
    echo "$status" >"$RESULTS/status"
}

# bash reads a script while running it: with the call and the exit on one
# line, editing or checking out this file during a run changes nothing.
main "$@"; exit
