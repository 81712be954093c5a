#!/usr/bin/env bash
# The vnet.linux.netns connection, through ansible-playbook: two namespaces play
# two hosts; what each task sees (links, /sys/class/net, sysctls, /etc/netns
# files) is checked with iproute2 from outside; missing or malformed namespace
# names make the host unreachable with a clear message.
set -eux

cleanup() {
    for ns in vnet-it-conn-a vnet-it-conn-b; do ip netns delete "$ns" 2>/dev/null || true; done
    rm -rf /etc/netns/vnet-it-conn-a /etc/netns/vnet-it-conn-b
    rmdir /etc/netns 2>/dev/null || true
}
CONN_OUTPUT_DIR=$(mktemp -d)
export CONN_OUTPUT_DIR
trap 'cleanup; rm -rf "$CONN_OUTPUT_DIR"' EXIT
cleanup

ansible-playbook -i inventory.ini test.yml "$@"
