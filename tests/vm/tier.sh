#!/usr/bin/env bash
# Runs on the host, started by run.sh once the stock-kernel VM serves ssh
# (guest.sh): the tier's jobs - the stock_kernel pytest tests, and beside
# them, one after the other, each integration target with the alias
# needs/stock-kernel and the lvs_tun molecule scenario. The tests and modules
# run in the guest; Ansible's controller runs here, outside the emulated CPU,
# where its per-task work costs ~30x less. Writes a line per job into
# RESULTS/summary.txt, a log per job and junit.xml; exits non-zero when a job
# failed, after appending the failed jobs' logs to RESULTS/guest.log.
# Usage: tier.sh RESULTS VENV COLL_ROOT
set -uo pipefail

RESULTS=$1 VENV=$2 COLL_ROOT=$3
COLL=$COLL_ROOT/ansible_collections/vnet/linux
# Written by run.sh: host "vnet-vm" is the guest's root namespace; any other
# name is a network namespace of the guest, entered by ssh through vnet-vm.
SSH_CONFIG=$RESULTS/ssh/config
VM_HOST=vnet-vm

# Seconds since the jobs started: shows where the tier's time goes.
summary() { printf '[%3ds] %s\n' "$SECONDS" "$*" >>"$RESULTS/summary.txt"; }

# Every ansible-playbook here (molecule's too) reaches the guest with run.sh's
# ssh_config, under Mitogen's strategy: each host's tasks run in one warm
# Python in the guest instead of a new one per task that imports
# ansible.module_utils.basic and pyroute2 again (~5 s of emulated CPU each).
# The host tiers run every module the stock way (AnsiballZ). Mitogen sets its
# own host key policy, so checking is off here too (the key is this run's).
# Connecting includes starting that Python: in a make test run (host tiers
# beside) one took over Ansible's default 10 s, so the timeout is a minute.
export ANSIBLE_COLLECTIONS_PATH=$COLL_ROOT ANSIBLE_SSH_ARGS="-F $SSH_CONFIG" ANSIBLE_HOST_KEY_CHECKING=False
export ANSIBLE_TIMEOUT=60
export ANSIBLE_STRATEGY=mitogen_linear
ANSIBLE_STRATEGY_PLUGINS=$(echo "$VENV"/lib/python3*/site-packages/ansible_mitogen/plugins/strategy)
export ANSIBLE_STRATEGY_PLUGINS ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks
export PATH=$VENV/bin:$PATH

# Under TCG every import counts: tests/unit is pure Python (no kernel, see
# DESIGN.md) and need not be collected; the hypothesis plugin alone is 2/3 of
# pytest's start (tests can still use hypothesis without it). Runs as root in
# the guest (HOME is a tmp dir there, see guest.sh).
pytest_stock_kernel() {
    local cmd
    cmd=$(printf '%q ' env VNET_VM_TIER=1 "ANSIBLE_COLLECTIONS_PATH=$COLL_ROOT" "PATH=$VENV/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        "$VENV/bin/python" -m pytest -m stock_kernel -p no:cacheprovider -p no:hypothesispytest \
        -rA --durations=5 "--junitxml=$RESULTS/junit.xml" --ignore=tests/unit tests)
    ssh -F "$SSH_CONFIG" "$VM_HOST" "cd $(printf '%q' "$COLL") && $cmd"
}

# A target runs as a role of one play on the guest, the way ansible-test runs
# a role target. No fact gathering: a target that needs facts runs
# ansible.builtin.setup.
integration_target() {
    local playbook=$RESULTS/target-$1.yml
    cat >"$playbook" <<EOF
- hosts: $VM_HOST
  gather_facts: false
  vars: {ansible_python_interpreter: $VENV/bin/python}
  roles: [$1]
EOF
    ANSIBLE_ROLES_PATH=$COLL/tests/integration/targets \
        ansible-playbook -i "$VM_HOST," -e "output_dir=/tmp/output-$1" "$playbook"
}

# The scenario's hosts are namespaces of the guest and its localhost the guest
# itself: the extra inventory makes them ssh hosts (see there).
molecule_scenario() {
    (cd "$COLL" && VNET_MOLECULE_EXTRA_INVENTORY=$COLL/tests/vm/molecule-$1.yml molecule test -s "$1")
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

ansible_jobs() {
    local target
    while read -r target; do
        echo "target-$target integration_target $target"
    done < <("$COLL/tests/vm/list-targets.sh")
    echo "molecule-lvs_tun molecule_scenario lvs_tun"
}

# pytest runs in the guest beside the Ansible jobs, which run one after the
# other: their time is partly this host's (the controller), so the guest's
# second CPU has room for pytest. Failed jobs' logs go into guest.log, which
# run.sh prints on failure.
main() {
    local job pytest failed=0 log
    run_job pytest-stock_kernel pytest_stock_kernel &
    pytest=$!
    while read -r job; do
        # shellcheck disable=SC2086 # a job is words by design
        run_job $job || failed=1
    done < <(ansible_jobs)
    wait "$pytest" || failed=1
    ((failed)) || return 0
    while read -r log; do
        echo "===== $log"
        cat "$log"
    done <"$RESULTS/failed-logs" >>"$RESULTS/guest.log"
    return 1
}

main "$@"; exit
