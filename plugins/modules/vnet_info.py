#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: vnet_info
short_description: Report virtual network devices, their relations and the IPVS table, with a topology graph
version_added: 1.0.0
description:
  - Reads every link of one namespace (or of every named namespace) with its kind-specific attributes,
    the way the other vnet.linux modules see them, and returns them as data.
  - Per link - addresses, MTU, MAC, state, parent (macvlan/ipvlan lower device), veth peer and the namespace
    it lives in, tun/tap type, owner, group and flags, bridge membership and port flags (hairpin, isolated,
    learning, flood, neigh_suppress), ifb redirect sources.
  - Also returns the topology as Graphviz DOT and Mermaid text. Render DOT with C(dot -Tsvg graph.dot -o graph.svg);
    paste Mermaid into any Markdown renderer that supports it (GitHub does) or the Mermaid live editor.
  - Read-only. Never changes anything.
author:
  - vnet.linux maintainers (@vnet-linux)
options:
  netns:
    description: Namespace to read (its name under C(/run/netns)). Omit for the namespace Ansible runs in.
    type: str
  all_netns:
    description: Read every named network namespace instead (O(netns) is then ignored).
    type: bool
    default: false
  kinds:
    description:
      - Only links of these kinds, e.g. V(veth), V(tuntap), V(macvlan), V(bridge), V(ifb); kinds the collection does
        not manage use the kernel's name (V(vxlan)), and V(physical)/V(loopback) for links without a kind.
    type: list
    elements: str
  name_pattern:
    description: Only links whose name matches this shell glob, e.g. V(veth-*).
    type: str
  ipvs:
    description:
      - Also read the IPVS table of each namespace read (virtual services, real servers, forwarding method,
        tunnel type, counters), in the shape M(vnet.linux.vnet_ipvs_tun) returns as RV(vnet.linux.vnet_ipvs_tun#module:services).
      - Unset, it is read when the kernel has IPVS. V(true) fails on a kernel without IPVS; V(false) skips it.
    type: bool
requirements:
  - pyroute2 >= 0.9 on the managed host
  - Linux with CAP_NET_ADMIN (run as root or with C(become=true)) to enter other namespaces
attributes:
  check_mode:
    description: Read-only; runs the same in check mode.
    support: full
  diff_mode:
    description: Returns no diff (nothing changes).
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: linux
'''

EXAMPLES = r'''
- name: Every virtual device in every named namespace, as a picture
  vnet.linux.vnet_info:
    all_netns: true
  register: topo

- name: Save the graph for Graphviz (dot -Tsvg /tmp/topo.dot -o topo.svg)
  ansible.builtin.copy:
    content: "{{ topo.graph_dot }}"
    dest: /tmp/topo.dot
    mode: "0644"

- name: The veths of one container namespace
  vnet.linux.vnet_info:
    netns: web
    kinds: [veth]

- name: The IPVS table of a director, with counters
  vnet.linux.vnet_info:
    netns: director
    ipvs: true
    kinds: [ipip]
  register: director

- name: No real server of the director is draining
  ansible.builtin.assert:
    that: director.ipvs.director | map(attribute='realservers') | flatten | selectattr('weight', 'eq', 0) | list == []

- name: Assert a hairpin port is on
  vnet.linux.vnet_info:
    netns: switch
    name_pattern: "sw-*"
  register: sw

- name: Check it
  ansible.builtin.assert:
    that: (sw.links | selectattr('name', 'eq', 'sw-host') | first).bridge_port.hairpin
'''

RETURN = r'''
links:
  description: Every matching link, sorted by namespace and name; each names its namespace in C(netns).
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: Link name., type: str, returned: always}
    netns: {description: Namespace (null for the module's own)., type: str, returned: always}
    ifindex: {description: Interface index in its namespace., type: int, returned: always}
    kind: {description: "Collection kind (veth/tuntap/macvlan...), the kernel's kind, or physical/loopback.", type: str, returned: always}
    mtu: {description: MTU., type: int, returned: always}
    mac: {description: MAC address., type: str, returned: always}
    up: {description: Administratively up., type: bool, returned: always}
    addresses: {description: Addresses (CIDR)., type: list, elements: str, returned: always}
    master: {description: Name of the bridge (or other master) it is enslaved to., type: str, returned: always}
    parent: {description: Lower device of a macvlan/ipvlan/vlan in the same namespace., type: str, returned: when it has one}
    bridge_port: {description: Port flags (hairpin/isolated/learning/flood/neigh_suppress) when it is a bridge port., type: dict, returned: always}
    redirect_from: {description: Devices whose ingress is redirected to this ifb., type: list, elements: str, returned: for ifb}
  sample:
    - name: veth-web
      netns: null
      ifindex: 7
      kind: veth
      peer: eth0
      peer_netns: web
      peer_ifindex: 2
      mtu: 1500
      mac: "6e:a4:a0:dc:a6:ef"
      up: true
      addresses: [192.0.2.1/24]
      master: null
      bridge_port: null
namespaces:
  description: The links per namespace read (key C((host)) for the module's own namespace).
  returned: always
  type: dict
  sample: {"web": [{"name": "eth0", "kind": "veth"}]}
ipvs:
  description:
    - The IPVS table per namespace read (key C((host)) for the module's own namespace), each a list of services
      as M(vnet.linux.vnet_ipvs_tun) returns them (keys, scheduler and options, real servers with forwarding method,
      tunnel type and counters, service counters).
    - Empty when the kernel has no IPVS and O(ipvs) is unset, or O(ipvs=false).
  returned: always
  type: dict
  sample:
    director:
      - {name: "tcp/192.0.2.80:80", protocol: tcp, address: 192.0.2.80, port: 80, fwmark: null, family: ipv4,
         scheduler: wrr, connections: 12, in_packets: 80, out_packets: 0,
         realservers: [{address: 198.51.100.11, port: 80, weight: 1, forward: tunnel, tun_type: ipip,
                        active_connections: 1, inactive_connections: 3}]}
skipped_netns:
  description: With O(all_netns), namespaces listed in C(/run/netns) that could not be entered, with the reason.
  returned: always
  type: dict
  sample: {"stale": "open netlink socket in netns 'stale' failed: the kernel rejected the arguments [EINVAL]"}
graph_dot:
  description: The topology in Graphviz DOT; one cluster per namespace; edges for parent, veth peer, bridge port and ifb redirect.
  returned: always
  type: str
graph_mermaid:
  description: The same topology as a Mermaid flowchart.
  returned: always
  type: str
'''

from ansible.module_utils.basic import AnsibleModule

# First, so that the module_utils imported below compile once per run.
from ansible_collections.vnet.linux.plugins.module_utils import _compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.vnet.linux.plugins.module_utils._converge import check_netns_exists
from ansible_collections.vnet.linux.plugins.module_utils._info import (
    gather, gather_ipvs, graph_dot, graph_mermaid, namespaces_to_read)
from ansible_collections.vnet.linux.plugins.module_utils._model import HOST_NETNS
from ansible_collections.vnet.linux.plugins.module_utils._runner import run
from ansible_collections.vnet.linux.plugins.module_utils._spec import check_netns_name


def read(module):
    params = module.params
    netns = None if params["all_netns"] else check_netns_name("netns", params["netns"])
    check_netns_exists("netns", netns)
    by_ns, skipped = gather(namespaces_to_read(netns, params["all_netns"]), params["kinds"], params["name_pattern"],
                            skip_unreadable=params["all_netns"])
    return dict(
        changed=False,
        skipped_netns=skipped,
        links=[link for ns in sorted(by_ns, key=lambda n: n or "") for link in by_ns[ns]],
        namespaces=dict((ns or HOST_NETNS, links) for ns, links in by_ns.items()),
        ipvs=dict((ns or HOST_NETNS, services) for ns, services in gather_ipvs(list(by_ns), params["ipvs"]).items()),
        graph_dot=graph_dot(by_ns),
        graph_mermaid=graph_mermaid(by_ns),
    )


def main():
    module = AnsibleModule(
        argument_spec=dict(
            netns=dict(type="str"),
            all_netns=dict(type="bool", default=False),
            kinds=dict(type="list", elements="str"),
            name_pattern=dict(type="str"),
            ipvs=dict(type="bool"),
        ),
        supports_check_mode=True,
    )
    run(module, lambda: read(module))


if __name__ == "__main__":
    main()
