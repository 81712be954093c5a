#!/usr/bin/env bash
# Runs inside the stock-kernel VM (started by run.sh) on the collection copy
# under COLL_ROOT (what the host tiers test too).
# Without COMMAND: the guest's side of the tier - loads the kernel modules,
# times Python's start here, then serves ssh to run.sh's tier.sh, which runs
# the jobs from the host, until the host says "done". Writes summary.txt and
# guest.log into RESULTS (the host writes the status).
# With COMMAND (make lab, make molecule-lvs-tun, make bench): runs it, its output into
# summary.txt, which run.sh always prints.
# Usage: guest.sh RESULTS VENV COLL_ROOT [COMMAND [ARG...]]
set -uo pipefail

RESULTS=$1 VENV=$2 COLL_ROOT=$3
shift 3
COLL=$COLL_ROOT/ansible_collections/vnet/linux
MODULES=(ip_vs ip_vs_rr ip_vs_wrr ip_vs_wlc ipip fou ip_gre ipvlan dummy 8021q tun)
# QEMU's user-mode network forwards to this address (its default guest address).
SSH_GUEST_ADDRESS=10.0.2.15/24
ROOT_HOME=/tmp/root-home

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

# What one Python start costs here, bare and with what every module imports:
# the emulated CPU's speed follows the host's load, so runs compare by these.
time_python_starts() {
    local what start
    for what in "pass" "import ansible.module_utils.basic"; do
        start=${EPOCHREALTIME/./}
        "$VENV/bin/python" -c "$what"
        summary "python -c '$what': $(((${EPOCHREALTIME/./} - start) / 1000)) ms"
    done
}

# The tier's jobs run on the host (tier.sh) and reach the guest by ssh: a
# user-mode NIC whose port 22 QEMU forwards from the host's loopback (run.sh),
# and dropbear with run.sh's keys. dropbear reads authorized_keys from root's
# home, the host's read-only /root here: root's home becomes a tmp dir, in this
# guest's view of /etc/passwd only. The guest then waits for the host's "done".
serve_ssh() {
    modprobe virtio_net &&
        ip link set lo up && ip link set eth0 up && ip addr add "$SSH_GUEST_ADDRESS" dev eth0 || return
    mkdir -p -m 700 "$ROOT_HOME/.ssh" && cp "$RESULTS/ssh/id.pub" "$ROOT_HOME/.ssh/authorized_keys" &&
        sed "s#^\(root:[^:]*:0:0:[^:]*:\)[^:]*:#\1$ROOT_HOME:#" /etc/passwd >/tmp/passwd &&
        mount --bind /tmp/passwd /etc/passwd || return
    dropbear -s -r "$RESULTS/ssh/host_key" -p 22 || return
    summary "serving ssh for the tier's jobs (tier.sh on the host)"
    touch "$RESULTS/ready"
    until [[ -e $RESULTS/done ]]; do sleep 1; done
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
        echo "$status" >"$RESULTS/status"
    else
        time_python_starts
        serve_ssh
    fi
}

# bash reads a script while running it: with the call and the exit on one
# line, editing or checking out this file during a run changes nothing.
main "$@"; exit
