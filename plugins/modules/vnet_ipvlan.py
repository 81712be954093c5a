#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: vnet_ipvlan
short_description: Manage ipvlan and ipvtap devices on a parent NIC, optionally inside another namespace
version_added: 1.0.0
description:
  - Creates, changes and deletes ipvlan and ipvtap devices over netlink (pyroute2), idempotently.
  - An ipvlan sits on a parent device (O(link)) and shares its MAC address; the kernel tells the devices apart by
    IP address. Use it where the network allows one MAC per port, or where macvlan's many MACs are a problem.
  - O(mode) and O(flags) change in place. They belong to the parent, not to one device - every ipvlan on one
    parent has the same, and a change through any of them (or a new device with other values) changes them for all.
    Declare the same O(mode) and O(flags) for every ipvlan on a parent.
  - O(link) and O(kind) are fixed when the device is created and need O(recreate=true).
  - With O(move_to_netns) the device is created from the parent's namespace straight into another one (the
    container case).
author:
  - vnet.linux maintainers (@vnet-linux)
options:
  name:
    description: Name of the device (1..15 bytes), in O(move_to_netns) when given, else in O(netns).
    type: str
    required: true
  link:
    description:
      - The parent device, in O(netns). Required with O(state=present).
      - Not an ipvlan/ipvtap itself (the kernel would use that one's parent instead), not a bridge or bond port and
        not a parent that carries macvlan devices (the kernel refuses both, EBUSY).
    type: str
  kind:
    description: V(ipvlan) for a network device; V(ipvtap) also gives a character device C(/dev/tapN) (N = its ifindex).
    type: str
    choices: [ipvlan, ipvtap]
    default: ipvlan
  mode:
    description:
      - V(l2) - the parent switches frames; the devices answer ARP/ND and see broadcasts and multicast.
      - V(l3) - the parent routes packets (no broadcast or multicast, no ARP on the devices); the default.
      - V(l3s) - like V(l3), and traffic passes the netfilter hooks of the device's namespace (conntrack works).
    type: str
    choices: [l2, l3, l3s]
    default: l3
  flags:
    description:
      - V(bridge) - devices on the same parent talk to each other directly; the default.
      - V(private) - devices on the same parent cannot talk to each other.
      - V(vepa) - traffic between devices on the parent goes out to the external switch, which must send it back.
    type: str
    choices: [bridge, private, vepa]
    default: bridge
  move_to_netns:
    description:
      - Named network namespace the device lives in, while its parent O(link) stays in O(netns).
      - It is created there directly; O(up), O(addresses) and O(mtu) apply there.
      - An existing device is looked up in this namespace only; a device of the same name in O(netns) is not touched.
    type: str
  mac:
    description: Not supported - an ipvlan always has its parent's MAC address; giving it fails.
    type: str
extends_documentation_fragment:
  - vnet.linux.vnet.netns
  - vnet.linux.vnet.link
  - vnet.linux.vnet.attributes
notes:
  - O(netns) is the namespace of the parent O(link); without O(move_to_netns) the device lives there too.
  - The kernel needs CONFIG_IPVLAN (and CONFIG_IPVTAP for V(ipvtap)); without it creation fails with a message
    saying the kernel lacks support.
'''

EXAMPLES = r'''
- name: Containers on one NIC with one MAC (l3 mode, the default), each in its own namespace
  vnet.linux.vnet_ipvlan:
    name: eth0
    link: enp1s0
    move_to_netns: "{{ item.netns }}"
    addresses: ["{{ item.address }}"]
  loop:
    - {netns: web, address: 192.0.2.21/24}
    - {netns: db, address: 192.0.2.22/24}

- name: L2 mode, devices see broadcasts and answer ARP themselves
  vnet.linux.vnet_ipvlan:
    name: ipv-l2
    link: enp1s0
    mode: l2

- name: L3S mode, so that iptables/nftables conntrack sees the devices' traffic
  vnet.linux.vnet_ipvlan:
    name: ipv-l3s
    link: enp2s0
    mode: l3s

- name: Isolate tenants sharing a parent from each other
  vnet.linux.vnet_ipvlan:
    name: ipv-tenant1
    link: enp3s0
    mode: l2
    flags: private

- name: Send traffic between devices through the external switch (VEPA)
  vnet.linux.vnet_ipvlan:
    name: ipv-vepa
    link: enp4s0
    flags: vepa

- name: An ipvtap for a VM
  vnet.linux.vnet_ipvlan:
    name: ipvtap-vm1
    kind: ipvtap
    link: enp5s0
    mode: l2
  register: tap

- name: Remove a device that lives in a container namespace
  vnet.linux.vnet_ipvlan:
    name: eth0
    move_to_netns: web
    state: absent
'''

RETURN = r'''
device:
  description: The device as the kernel has it after the run (in check mode, as it will be).
  returned: always
  type: dict
  contains:
    name: {description: Device name., type: str, returned: always}
    ifindex: {description: Interface index in its namespace (null in check mode before creation)., type: int, returned: always}
    netns: {description: "Namespace the device lives in (O(move_to_netns) when given, else O(netns)).", type: str, returned: always}
    kind: {description: C(ipvlan) or C(ipvtap)., type: str, returned: when present}
    mode: {description: "C(l2), C(l3) or C(l3s) (the parent's).", type: str, returned: when present}
    flags: {description: "C(bridge), C(private) or C(vepa) (the parent's).", type: str, returned: when present}
    link: {description: Name of the parent device., type: str, returned: when present}
    link_netns: {description: Namespace of the parent (null for the namespace the module runs in)., type: str, returned: when present}
    link_ifindex: {description: "Interface index of the parent, in its namespace.", type: int, returned: when present}
    tap_device: {description: "ipvtap only: the character device, C(/dev/tapN) with N = ifindex.", type: str, returned: when present}
    tap_major_minor: {description: "ipvtap only: its C(major:minor), null when ambiguous (see vnet_macvlan's notes).", type: str, returned: when present}
    mtu: {description: MTU., type: int, returned: when present}
    mac: {description: MAC address (the parent's)., type: str, returned: when present}
    up: {description: Administrative state., type: bool, returned: when present}
    addresses: {description: Addresses (CIDR)., type: list, elements: str, returned: when present}
  sample:
    name: eth0
    ifindex: 2
    netns: web
    kind: ipvlan
    mode: l3
    flags: bridge
    link: enp1s0
    link_netns: null
    link_ifindex: 2
    mtu: 1500
    mac: "52:54:00:12:34:56"
    up: true
    addresses: [192.0.2.21/24]
ops:
  description: What was done (or, in check mode, would be done), one readable line per kernel step.
  returned: always
  type: list
  elements: str
  sample: ["create ipvlan eth0 in netns web: flags=bridge, link=enp1s0, link_netns=None, mode=l3, up=True"]
'''

from ansible.module_utils.basic import AnsibleModule

# First, so that the module_utils imported below compile once per run.
from ansible_collections.vnet.linux.plugins.module_utils import _compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.vnet.linux.plugins.module_utils._args import link_argument_spec
from ansible_collections.vnet.linux.plugins.module_utils._engine import reconcile_links
from ansible_collections.vnet.linux.plugins.module_utils._kinds import KINDS
from ansible_collections.vnet.linux.plugins.module_utils._runner import run

KIND_CHOICES = ["ipvlan", "ipvtap"]


def converge(module):
    """One device through the same path as a vnet_links item; ``kind`` picks ipvlan or ipvtap."""
    spec = KINDS[module.params["kind"]].spec(module.params)
    changed, ops, diff, devices = reconcile_links([spec], module.check_mode)
    return dict(changed=changed, ops=ops, diff=diff, device=devices[0])


def main():
    kind = KINDS[KIND_CHOICES[0]]  # both kinds take the same options
    module = AnsibleModule(
        argument_spec=link_argument_spec(name=dict(type="str", required=True),
                                         kind=dict(type="str", choices=KIND_CHOICES, default=KIND_CHOICES[0]),
                                         **kind.argument_spec),
        required_if=kind.required_if,
        supports_check_mode=True,
    )
    run(module, lambda: converge(module))


if __name__ == "__main__":
    main()
