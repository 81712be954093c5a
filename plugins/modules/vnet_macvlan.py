#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: vnet_macvlan
short_description: Manage macvlan and macvtap devices on a parent NIC, optionally inside another namespace
version_added: 1.0.0
description:
  - Creates, changes and deletes macvlan and macvtap devices over netlink (pyroute2), idempotently.
  - Each device sits on a parent ethernet device (O(link)) and has its own MAC address. The O(mode) decides
    whether devices on one parent reach each other (see O(mode) and the how-to C(docs/macvlan_ipvlan.md)).
  - O(mode) changes in place, except into or out of V(passthru); O(link), O(kind) and O(nopromisc) are fixed by
    the kernel when the device is created and need O(recreate=true).
  - With O(move_to_netns) the device is created from the parent's namespace straight into another one (the
    container case) - the kernel finds O(link) in O(netns) and registers the device in O(move_to_netns), so its
    name only has to be free there.
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
      - It must be an ethernet device that is not itself a macvlan/macvtap (the kernel would put the new device on
        that one's parent instead) and not a bridge or bond port (the kernel refuses, EBUSY; use the bridge).
    type: str
  kind:
    description:
      - V(macvlan) for a network device; V(macvtap) also gives a character device C(/dev/tapN) (N = its ifindex)
        that a hypervisor such as QEMU reads and writes frames through.
    type: str
    choices: [macvlan, macvtap]
    default: macvlan
  mode:
    description:
      - V(bridge) - devices on the same parent talk to each other directly, inside the kernel.
      - V(vepa) (the kernel's default) - every frame goes out through the parent, even between devices on it;
        they reach each other only if the switch behind the parent sends frames back out the port they came from
        (a Linux bridge port with hairpin on, a VEPA/802.1Qbg switch).
      - V(private) - like V(vepa), and frames between devices on the parent are dropped even when the switch sends
        them back; the devices are isolated from each other, not from the network.
      - V(passthru) - one device takes the whole parent (no other macvlan beside it) and, by default, puts it in
        promiscuous mode; used to hand a NIC (or a VF) to one VM. Changing into or out of it needs O(recreate=true).
      - V(source) - the device receives only frames whose source MAC is listed in O(source_macs).
    type: str
    choices: [bridge, vepa, private, passthru, source]
    default: vepa
  nopromisc:
    description:
      - For O(mode=passthru) only - do not put the parent in promiscuous mode (MACVLAN_FLAG_NOPROMISC).
      - Fixed when the device is created. Left out, an existing device is not compared; a new one gets V(false).
    type: bool
  source_macs:
    description:
      - For O(mode=source), required there - the source MAC addresses whose frames the device receives.
      - Managed as a whole - addresses not listed are removed from the device.
    type: list
    elements: str
  move_to_netns:
    description:
      - Named network namespace the device lives in, while its parent O(link) stays in O(netns).
      - It is created there directly; O(up), O(addresses), O(mtu) and O(mac) apply there.
      - An existing device is looked up in this namespace only; a device of the same name in O(netns) is not touched.
    type: str
extends_documentation_fragment:
  - vnet.linux.vnet.netns
  - vnet.linux.vnet.link
  - vnet.linux.vnet.attributes
notes:
  - O(netns) is the namespace of the parent O(link); without O(move_to_netns) the device lives there too.
  - Returned C(tap_major_minor) is read without entering the device's namespace (C(/sys/dev/char)); it is null
    when two devices with the same name and ifindex in different namespaces make it ambiguous. C(/dev/tapN) is
    named after the ifindex in the device's own namespace, so such twins also compete for the same C(/dev) node.
  - Moving the parent into a bridge or bond after creating macvlans on it fails in the kernel (EBUSY).
'''

EXAMPLES = r'''
- name: Two containers on one NIC that reach each other directly (bridge mode)
  vnet.linux.vnet_macvlan:
    name: eth0
    link: enp1s0
    mode: bridge
    move_to_netns: "{{ item.netns }}"
    addresses: ["{{ item.address }}"]
  loop:
    - {netns: web, address: 192.0.2.11/24}
    - {netns: db, address: 192.0.2.12/24}

- name: VEPA - all traffic goes through the external switch, which must hairpin it back (the kernel's default)
  vnet.linux.vnet_macvlan:
    name: mv-vepa
    link: enp1s0
    mode: vepa

- name: Private - tenants on one parent never reach each other, whatever the switch does
  vnet.linux.vnet_macvlan:
    name: mv-tenant1
    link: enp1s0
    mode: private
    move_to_netns: tenant1

- name: Passthru - hand a whole VF to one VM through macvtap, parent not promiscuous
  vnet.linux.vnet_macvlan:
    name: mvtap-vm1
    kind: macvtap
    link: enp1s0f0v1
    mode: passthru
    nopromisc: true
  register: tap

- name: The VM's tap character device
  ansible.builtin.debug:
    msg: "qemu ... -netdev tap,fd=3 3<>{{ tap.device.tap_device }}"

- name: Source mode - only receive frames from these two hosts
  vnet.linux.vnet_macvlan:
    name: mv-src
    link: enp1s0
    mode: source
    source_macs: ["02:00:00:00:00:01", "02:00:00:00:00:02"]

- name: Change the mode in place (bridge -> private), no recreate needed
  vnet.linux.vnet_macvlan:
    name: mv-vepa
    link: enp1s0
    mode: private

- name: Remove a device that lives in a container namespace
  vnet.linux.vnet_macvlan:
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
    kind: {description: C(macvlan) or C(macvtap)., type: str, returned: when present}
    mode: {description: "C(bridge), C(vepa), C(private), C(passthru) or C(source).", type: str, returned: when present}
    link: {description: Name of the parent device., type: str, returned: when present}
    link_netns: {description: Namespace of the parent (null for the namespace the module runs in)., type: str, returned: when present}
    link_ifindex: {description: "Interface index of the parent, in its namespace.", type: int, returned: when present}
    nopromisc: {description: Whether the passthru device leaves the parent out of promiscuous mode., type: bool, returned: when present}
    source_macs: {description: Source MAC addresses a source-mode device receives from (sorted)., type: list, elements: str, returned: when present}
    tap_device: {description: "macvtap only: the character device, C(/dev/tapN) with N = ifindex.", type: str, returned: when present}
    tap_major_minor: {description: "macvtap only: its C(major:minor), null when ambiguous (see notes).", type: str, returned: when present}
    mtu: {description: MTU., type: int, returned: when present}
    mac: {description: MAC address., type: str, returned: when present}
    up: {description: Administrative state., type: bool, returned: when present}
    addresses: {description: Addresses (CIDR)., type: list, elements: str, returned: when present}
  sample:
    name: mvtap-vm1
    ifindex: 12
    netns: null
    kind: macvtap
    mode: bridge
    link: enp1s0
    link_netns: null
    link_ifindex: 2
    nopromisc: false
    source_macs: []
    tap_device: /dev/tap12
    tap_major_minor: "246:1"
    mtu: 1500
    mac: "6e:a4:a0:dc:a6:ef"
    up: true
    addresses: []
ops:
  description: What was done (or, in check mode, would be done), one readable line per kernel step.
  returned: always
  type: list
  elements: str
  sample: ["create macvlan eth0 in netns web: link=enp1s0, link_netns=None, mode=bridge, up=True",
           "add-address link eth0 in netns web: address=192.0.2.11/24"]
'''

from ansible.module_utils.basic import AnsibleModule

# First, so that the module_utils imported below compile once per run.
from ansible_collections.vnet.linux.plugins.module_utils import _compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.vnet.linux.plugins.module_utils._args import link_argument_spec
from ansible_collections.vnet.linux.plugins.module_utils._engine import reconcile_links
from ansible_collections.vnet.linux.plugins.module_utils._kinds import KINDS
from ansible_collections.vnet.linux.plugins.module_utils._runner import run

KIND_CHOICES = ["macvlan", "macvtap"]


def converge(module):
    """One device through the same path as a vnet_links item; ``kind`` picks macvlan or macvtap."""
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
