#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: vnet_bridge_hairpin
short_description: Manage hairpin (reflective relay) and related flags of a Linux bridge port
version_added: 1.0.0
description:
  - Sets hairpin mode on a bridge port over netlink (pyroute2), idempotently. Hairpin lets the bridge send a frame
    back out of the port it arrived on, which is what the adjacent switch of a VEPA (802.1Qbg) host must do.
    Macvlan devices in C(vepa) mode send all traffic, even between each other, out of their lower device and
    reach each other only if the bridge on the other side reflects it.
  - Also manages the port flags users set next to hairpin, each only when given - O(isolated), O(learning),
    O(flood) and O(neigh_suppress).
  - Can create the bridge (O(create_bridge)) and make the port a member of it (O(enslave)); without those the
    bridge must exist and the port must already be one of its ports.
  - Every flag is verified by reading the port back (IFLA_BRPORT_* attributes) after the change.
author:
  - vnet.linux maintainers (@vnet-linux)
options:
  bridge:
    description: Name of the bridge.
    type: str
    required: true
  port:
    description: Name of the bridge port (a veth end, a tap...).
    type: str
    required: true
  hairpin:
    description: Reflect frames back out of the port they came in on (IFLA_BRPORT_MODE, C(hairpin) in C(bridge link)).
    type: bool
    default: true
  create_bridge:
    description: Create O(bridge) (up, default settings) when it does not exist. An existing bridge is not changed.
    type: bool
    default: false
  enslave:
    description:
      - Make O(port) a port of O(bridge) when it is not one yet.
      - A device enslaved to another master is never moved; the module fails instead.
      - A device carrying macvlan, macvtap or ipvlan devices cannot become a bridge port (the kernel answers EBUSY).
    type: bool
    default: false
  isolated:
    description: Isolated ports forward only to non-isolated ports (IFLA_BRPORT_ISOLATED). Left as is when omitted.
    type: bool
  learning:
    description: Learn source MAC addresses on this port (IFLA_BRPORT_LEARNING). Left as is when omitted.
    type: bool
  flood:
    description: Flood unknown unicast to this port (IFLA_BRPORT_UNICAST_FLOOD). Left as is when omitted.
    type: bool
  neigh_suppress:
    description: Answer ARP/ND for this port from the bridge's neighbour entries (IFLA_BRPORT_NEIGH_SUPPRESS). Left as is when omitted.
    type: bool
  netns:
    description:
      - Name of the network namespace (as in C(/run/netns/NAME)) of the bridge and the port.
      - When omitted the module works in the namespace Ansible runs in. The namespace must exist.
    type: str
extends_documentation_fragment:
  - vnet.linux.vnet.attributes
requirements:
  - pyroute2 >= 0.9 on the managed host
  - Linux with CAP_NET_ADMIN (run as root or with C(become=true))
notes:
  - "The oracle for the result is C(bridge -d link show): C(hairpin on), C(isolated on), C(learning off),
    C(flood off), C(neigh_suppress on)."
seealso:
  - module: vnet.linux.vnet_ifb
'''

EXAMPLES = r'''
- name: Be the reflective relay for a VEPA host attached through veth-h1
  vnet.linux.vnet_bridge_hairpin:
    bridge: br-vepa
    port: veth-h1
    create_bridge: true
    enslave: true

- name: Hairpin on an isolated port that does not learn
  vnet.linux.vnet_bridge_hairpin:
    bridge: br0
    port: tap-vm1
    isolated: true
    learning: false
    netns: lab

- name: Turn hairpin off again
  vnet.linux.vnet_bridge_hairpin:
    bridge: br0
    port: tap-vm1
    hairpin: false
'''

RETURN = r'''
port:
  description: The port as the kernel has it after the run (in check mode, as it will be).
  returned: always
  type: dict
  contains:
    name: {description: Port name., type: str, returned: always}
    bridge: {description: The bridge it is a port of., type: str, returned: always}
    hairpin: {description: Hairpin (reflective relay) on., type: bool, returned: always}
    isolated: {description: Isolated., type: bool, returned: always}
    learning: {description: MAC learning on., type: bool, returned: always}
    flood: {description: Unknown-unicast flooding on., type: bool, returned: always}
    neigh_suppress: {description: ARP/ND suppression on., type: bool, returned: always}
  sample: {name: veth-h1, bridge: br-vepa, hairpin: true, isolated: false, learning: true, flood: true, neigh_suppress: false}
ops:
  description: What was done (or, in check mode, would be done), one readable line per kernel step.
  returned: always
  type: list
  elements: str
  sample:
    - "create bridge br-vepa: up=True"
    - "enslave brport veth-h1: bridge=br-vepa"
    - "set brport veth-h1: hairpin=True"
'''

from ansible.module_utils.basic import AnsibleModule

# First, so that the module_utils imported below compile once per run.
from ansible_collections.vnet.linux.plugins.module_utils import _compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.vnet.linux.plugins.module_utils._brport import PORT_FLAGS, BridgePortSpec
from ansible_collections.vnet.linux.plugins.module_utils._engine_side import reconcile_bridge_port
from ansible_collections.vnet.linux.plugins.module_utils._runner import run
from ansible_collections.vnet.linux.plugins.module_utils._spec import check_ifname, check_netns_name


def port_spec(params):
    return BridgePortSpec(
        bridge=check_ifname("bridge", params["bridge"]),
        port=check_ifname("port", params["port"]),
        netns=check_netns_name("netns", params["netns"]),
        flags=dict((name, params[name]) for name, _attr in PORT_FLAGS),
        create_bridge=params["create_bridge"],
        enslave=params["enslave"],
    )


def converge(module):
    changed, ops, diff, port = reconcile_bridge_port(port_spec(module.params), module.check_mode)
    return dict(changed=changed, ops=ops, diff=diff, port=port)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            bridge=dict(type="str", required=True),
            port=dict(type="str", required=True),
            hairpin=dict(type="bool", default=True),
            create_bridge=dict(type="bool", default=False),
            enslave=dict(type="bool", default=False),
            isolated=dict(type="bool"),
            learning=dict(type="bool"),
            flood=dict(type="bool"),
            neigh_suppress=dict(type="bool"),
            netns=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    run(module, lambda: converge(module))


if __name__ == "__main__":
    main()
