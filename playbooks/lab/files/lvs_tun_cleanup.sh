#!/usr/bin/env bash
# Removes what the LVS-TUN lab made: the HTTP servers (processes in the lab
# namespaces), the namespaces and their /etc/netns files.
# Usage: lvs_tun_cleanup.sh NAMESPACE...
for ns in "$@"; do
    if [[ -e /run/netns/$ns ]]; then
        ip netns pids "$ns" | xargs -r kill 2>/dev/null
        ip netns delete "$ns"
    fi
    rm -rf "/etc/netns/$ns"
done
rmdir /etc/netns 2>/dev/null
true
