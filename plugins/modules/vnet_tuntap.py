#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: vnet_tuntap
short_description: Manage persistent TUN/TAP devices
version_added: 1.0.0
description:
  - Creates, changes and deletes persistent TUN (layer 3) and TAP (layer 2) devices, idempotently,
    through pyroute2 (the TUNSETIFF/TUNSETPERSIST ioctls, inside O(netns) when given).
  - O(owner) and O(group) change in place. O(mode), O(pi), O(vnet_hdr) and O(multi_queue) are fixed
    by the kernel when the device is created; changing them needs O(recreate=true).
  - Options left out are not compared on an existing device; a new device gets V(false) for each flag.
author:
  - vnet.linux maintainers (@vnet-linux)
options:
  name:
    description: Device name (1..15 bytes).
    type: str
    required: true
  mode:
    description: V(tun) for an IP (layer 3) device, V(tap) for an ethernet (layer 2) device. Required with O(state=present).
    type: str
    choices: [tun, tap]
  owner:
    description:
      - User (name or uid) allowed to attach to the device without CAP_NET_ADMIN.
      - Without O(owner) and O(group) a new device is owned by root (uid 0), so only root and CAP_NET_ADMIN processes
        can attach; the kernel would let any user who can open C(/dev/net/tun) attach to a device with neither set.
    type: str
  group:
    description: Group (name or gid) allowed to attach to the device without CAP_NET_ADMIN.
    type: str
  multi_queue:
    description: Create a multi-queue device (IFF_MULTI_QUEUE).
    type: bool
  vnet_hdr:
    description: Prepend a virtio-net header to packets (IFF_VNET_HDR), as QEMU/vhost expect.
    type: bool
  pi:
    description: Prepend the 4-byte packet information header (the kernel's default is no header, IFF_NO_PI).
    type: bool
extends_documentation_fragment:
  - vnet.linux.vnet.netns
  - vnet.linux.vnet.link
  - vnet.linux.vnet.attributes
'''

EXAMPLES = r'''
- name: A tap for a QEMU guest, usable by the qemu user, with virtio headers
  vnet.linux.vnet_tuntap:
    name: tap-vm1
    mode: tap
    owner: libvirt-qemu
    vnet_hdr: true
    multi_queue: true

- name: A tun device for a VPN daemon, with an address
  vnet.linux.vnet_tuntap:
    name: tun-vpn
    mode: tun
    group: vpn
    addresses: [198.51.100.1/31]

- name: Turn a tun into a tap (the kernel cannot do that in place)
  vnet.linux.vnet_tuntap:
    name: tun-vpn
    mode: tap
    recreate: true
'''

RETURN = r'''
device:
  description: The device as the kernel has it after the run (in check mode, as it will be).
  returned: always
  type: dict
  contains:
    name: {description: Device name., type: str, returned: always}
    ifindex: {description: Interface index (null in check mode before creation)., type: int, returned: always}
    kind: {description: Always C(tuntap)., type: str, returned: when present}
    mode: {description: C(tun) or C(tap)., type: str, returned: when present}
    owner: {description: Owning uid (null when unset)., type: int, returned: when present}
    group: {description: Owning gid (null when unset)., type: int, returned: when present}
    multi_queue: {description: IFF_MULTI_QUEUE., type: bool, returned: when present}
    vnet_hdr: {description: IFF_VNET_HDR., type: bool, returned: when present}
    pi: {description: Packet information header on., type: bool, returned: when present}
    persist: {description: Whether the device is persistent (always true for devices this module creates)., type: bool, returned: when present}
    netns: {description: Namespace of the device., type: str, returned: always}
    mtu: {description: MTU., type: int, returned: when present}
    mac: {description: MAC address (tap only)., type: str, returned: when present}
    up: {description: Administrative state., type: bool, returned: when present}
    addresses: {description: Addresses (CIDR)., type: list, elements: str, returned: when present}
  sample:
    name: tap-vm1
    ifindex: 9
    kind: tuntap
    mode: tap
    owner: 64055
    group: null
    multi_queue: true
    vnet_hdr: true
    pi: false
    persist: true
    netns: null
    mtu: 1500
    mac: "6e:a4:a0:dc:a6:ef"
    up: true
    addresses: []
ops:
  description: What was done (or, in check mode, would be done), one readable line per kernel step.
  returned: always
  type: list
  elements: str
  sample: ["create tuntap tap-vm1: mode=tap, multi_queue=True, owner=64055, up=True, vnet_hdr=True"]
'''

# First, so that the module_utils imported below compile once per run.
from ansible_collections.vnet.linux.plugins.module_utils import _compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.vnet.linux.plugins.module_utils._kinds import KINDS
from ansible_collections.vnet.linux.plugins.module_utils._runner import run_link_module


def main():
    run_link_module(KINDS["tuntap"])


if __name__ == "__main__":
    main()
