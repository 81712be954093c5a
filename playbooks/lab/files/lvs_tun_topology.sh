#!/usr/bin/env bash
# Wires the LVS-TUN lab with plain iproute2 (the harness; the roles under test
# configure the rest). The kernel selftest's topology (net/netfilter/ipvs.sh)
# with two real servers:
#   PREFIX-client  br0 10.0.0.2/24, ports c-dir, c-rs1, c-rs2
#   PREFIX-dir     dir-c 10.0.0.1/24 (clients), dir-rsN 172.16.N.1/24
#   PREFIX-rsN     rsN-d 172.16.N.2/24 (tunnels arrive), rsN-c 10.0.0.1N/24 (replies leave)
# The client reaches the VIP on its LAN, so it ARPs for it.
# Usage: lvs_tun_topology.sh PREFIX VIP
set -euo pipefail
prefix=$1 vip=$2
client=$prefix-client director=$prefix-dir

pair() { # ns1 dev1 ns2 dev2: a veth pair, both ends up
    ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
    ip -n "$1" link set "$2" up
    ip -n "$3" link set "$4" up
}

for ns in "$client" "$director" "$prefix-rs1" "$prefix-rs2"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    # ip netns exec bind-mounts this over /etc/sysctl.d: persisted sysctls stay in the lab.
    mkdir -p "/etc/netns/$ns/sysctl.d"
done

ip -n "$client" link add br0 type bridge
ip -n "$client" link set br0 up
ip -n "$client" addr add 10.0.0.2/24 dev br0
ip -n "$client" route add "$vip/32" dev br0

pair "$client" c-dir "$director" dir-c
ip -n "$client" link set c-dir master br0
ip -n "$director" addr add 10.0.0.1/24 dev dir-c

for n in 1 2; do
    rs=$prefix-rs$n
    pair "$client" "c-rs$n" "$rs" "rs$n-c"
    ip -n "$client" link set "c-rs$n" master br0
    ip -n "$rs" addr add "10.0.0.1$n/24" dev "rs$n-c"
    pair "$director" "dir-rs$n" "$rs" "rs$n-d"
    ip -n "$director" addr add "172.16.$n.1/24" dev "dir-rs$n"
    ip -n "$rs" addr add "172.16.$n.2/24" dev "rs$n-d"
done
