#!/usr/bin/env bash
# Boots the current stock Debian kernel once with virtme-ng (TCG) and runs
# tests/vm/guest.sh inside it. Without COMMAND, the tier: the guest serves ssh
# and tier.sh runs the jobs from this host. With COMMAND (the LVS-TUN lab, a
# molecule scenario, the IPVS benchmark), the guest runs it. Exits with the
# jobs' or the command's status. See README.md.
# Usage: run.sh [COMMAND [ARG...]]
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Paths come from the Makefile (tests/vm/vm.mk): `make test-vm` runs this.
VENV=${VM_VENV:?} RESULTS=${VM_RESULTS:?} COLL_ROOT=${VM_COLL_ROOT:?}
VM_TIMEOUT=${VM_TIMEOUT:-3600}
# Kept out of /var: the guest sees a fresh /var, but the host's ~ and /tmp.
KERNEL_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/vnet-linux/kernel
read -ra DEB_PACKAGES <<<"${VM_DEB_PACKAGES:?}"
VIRTME_NG=virtme-ng==1.42
VNG_NIC=()

# The guest tests the collection copy (tests/conftest.py insists on one).
require_collection() {
    [[ -d $COLL_ROOT/ansible_collections/vnet/linux ]] ||
        { echo "vm: no collection under $COLL_ROOT: run make collection" >&2; exit 1; }
}

apt_updated=
apt_update_once() {
    [[ -n $apt_updated ]] || apt-get update -qq
    apt_updated=1
}

install_host_tools() {
    local missing=() pkg
    for pkg in "${DEB_PACKAGES[@]}"; do
        dpkg-query -W -f '${Status}\n' "$pkg" 2>/dev/null | grep -qx 'install ok installed' ||
            missing+=("$pkg")
    done
    if ((${#missing[@]})); then
        apt_update_once
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
    [[ -x $VENV/bin/vng ]] || "$VENV/bin/pip" install -q "$VIRTME_NG"
}

# The version linux-image-amd64 currently depends on: the full flavour, which
# has 9p (the -cloud flavour does not).
current_kernel_version() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/^ *Depends: linux-image-\([0-9].*-amd64\)$/\1/p' | head -n 1
}

# Unpacks into a temporary dir renamed at the end, so a crash never leaves a
# half kernel that later runs would reuse. depmod because a .deb ships no
# modules.dep (its postinst makes it), and modprobe in the guest needs it.
# Then drops older kernels and leftovers: each takes ~400 MB.
unpack_kernel() {
    local ver=$1 tmp
    mkdir -p "$KERNEL_CACHE"
    tmp=$(mktemp -d "$KERNEL_CACHE/.unpack.XXXXXX")
    (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "linux-image-$ver")
    dpkg -x "$tmp"/linux-image-"$ver"_*.deb "$tmp/root"
    depmod -b "$tmp/root" "$ver"
    mv "$tmp/root" "$KERNEL_CACHE/$ver"
    find "$KERNEL_CACHE" -mindepth 1 -maxdepth 1 ! -name "$ver" -exec rm -rf {} +
}

# Sets KERNEL_VERSION and VMLINUZ; downloads only when the version is not cached.
# virtme-ng finds the modules next to vmlinuz (<cache>/<ver>/lib/modules/<ver>)
# and links them at /lib/modules/<ver> inside the guest.
fetch_kernel() {
    KERNEL_VERSION=$(current_kernel_version)
    if [[ -z $KERNEL_VERSION || ! -d $KERNEL_CACHE/$KERNEL_VERSION ]]; then
        apt_update_once
        KERNEL_VERSION=$(current_kernel_version)
        [[ -n $KERNEL_VERSION ]] || { echo "vm: linux-image-amd64 names no kernel" >&2; exit 1; }
        [[ -d $KERNEL_CACHE/$KERNEL_VERSION ]] || unpack_kernel "$KERNEL_VERSION"
    fi
    VMLINUZ=$KERNEL_CACHE/$KERNEL_VERSION/boot/vmlinuz-$KERNEL_VERSION
}

# TCG: KVM fails on the CI machine (nested under Firecracker): QEMU aborts
# setting MSR 0x10a, and with arch-capabilities=off the kernel hangs right
# after decompression. The guest's stdout does not reach us: it writes its
# results into the --rwdir, and -v puts the kernel log in console.log, which
# explains a crash or a hang. vng's own exit status says nothing about the
# guest's (255 here even on success). The --rodir exports are what Python
# reads (venv, its base Python, the collection): guest.sh caches them.
# Arguments go to guest.sh (a COMMAND); VNG_NIC, when set, gives the guest a NIC.
boot_vm() {
    local guest_cmd python_prefix rc=0
    python_prefix=$("$VENV/bin/python" -c 'import sys; print(sys.base_prefix)')
    guest_cmd=$(printf '%q ' "$REPO/tests/vm/guest.sh" "$RESULTS" "$VENV" "$COLL_ROOT" "$@")
    echo "vm: booting $KERNEL_VERSION (TCG, timeout ${VM_TIMEOUT}s)"
    # vng runs virtme-run from PATH.
    PATH=$VENV/bin:$PATH timeout -k 30 "$VM_TIMEOUT" vng -v -r "$VMLINUZ" --disable-kvm \
        --force-9p --memory 2G --cpus 2 --rwdir "$RESULTS" \
        --rodir "$VENV" --rodir "$python_prefix" --rodir "$COLL_ROOT" "${VNG_NIC[@]}" --exec "$guest_cmd" \
        </dev/null >"$RESULTS/console.log" 2>&1 || rc=$?
    ((rc != 124)) || echo "vm: timed out after ${VM_TIMEOUT}s"
}

# A free TCP port on the host's loopback for QEMU to forward to the guest's ssh.
free_local_port() {
    "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# This run's client key, the guest's host key (dropbear) and the ssh_config
# every ssh and Ansible connection of tier.sh uses: host vnet-vm is the guest
# (its root namespace); any other host name is a network namespace of the
# guest, reached through vnet-vm (socat gives dropbear's inetd mode a socket).
# Nothing goes to ~/.ssh: the keys are new each run, so known_hosts is off.
prepare_ssh() {
    local dir=$RESULTS/ssh
    mkdir -m 700 "$dir"
    ssh-keygen -q -t ed25519 -N '' -C vnet-vm-tier -f "$dir/id"
    dropbearkey -t ed25519 -f "$dir/host_key" >/dev/null
    SSH_PORT=$(free_local_port)
    cat >"$dir/config" <<EOF
Host vnet-vm
    HostName 127.0.0.1
    Port $SSH_PORT
Host * !vnet-vm
    ProxyCommand ssh -F $dir/config vnet-vm exec socat STDIO "EXEC:'ip netns exec %h dropbear -i -s -r $dir/host_key'"
Host *
    User root
    IdentityFile $dir/id
    IdentitiesOnly yes
    StrictHostKeyChecking no
    UserKnownHostsFile /dev/null
    LogLevel ERROR
EOF
}

# The tier: the guest serves ssh (guest.sh) on a user-mode NIC that reaches
# nothing but this forward (restrict=on), and tier.sh runs the jobs from here.
# "done" tells the guest to power off; the host writes the status.
run_tier() {
    local vm rc=0
    prepare_ssh
    VNG_NIC=("--qemu-opts=-device virtio-net-pci,netdev=ssh -netdev user,id=ssh,restrict=on,hostfwd=tcp:127.0.0.1:$SSH_PORT-:22")
    boot_vm &
    vm=$!
    while [[ ! -e $RESULTS/ready ]] && kill -0 "$vm" 2>/dev/null; do sleep 1; done
    if [[ -e $RESULTS/ready ]]; then
        echo "vm: the guest serves ssh on 127.0.0.1:$SSH_PORT after ${SECONDS}s; the jobs run from here (tier.sh)"
        "$REPO/tests/vm/tier.sh" "$RESULTS" "$VENV" "$COLL_ROOT" || rc=$?
        echo "$rc" >"$RESULTS/status"
        touch "$RESULTS/done"
    fi
    wait "$vm"
}

# Prints the summary; on failure also the guest log and the VM console, so a
# red CI run explains itself. No status file means the guest crashed or hung.
report() {
    local status=1
    [[ -f $RESULTS/status ]] && status=$(<"$RESULTS/status")
    cat "$RESULTS/summary.txt" 2>/dev/null || echo "vm: the guest wrote no summary"
    if [[ $status != 0 ]]; then
        echo "===== guest log ($RESULTS/guest.log) ====="
        cat "$RESULTS/guest.log" 2>/dev/null || echo "(none)"
        echo "===== VM console, last 100 lines ($RESULTS/console.log) ====="
        tail -n 100 "$RESULTS/console.log"
        # The status is the tier's jobs' (tier.sh) or the guest's command's.
        echo "vm: FAILED (status: $(cat "$RESULTS/status" 2>/dev/null || echo none))"
        exit "$status"
    fi
    echo "vm: passed in ${SECONDS}s"
}

main() {
    require_collection
    install_host_tools
    fetch_kernel
    rm -rf "$RESULTS"
    mkdir -p "$RESULTS"
    if (($#)); then
        boot_vm "$@"
    else
        run_tier
    fi
    report
}

# bash reads a script while running it: with the call and the exit on one
# line, editing or checking out this file during a run changes nothing.
main "$@"; exit
