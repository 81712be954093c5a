#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: vnet_veth
short_description: Manage veth pairs, optionally with the peer in another network namespace
version_added: 1.0.0
description:
  - Creates, changes and deletes virtual ethernet (veth) pairs over netlink (pyroute2), idempotently.
  - The peer can be created directly inside another named namespace, or moved there if the pair exists.
  - O(up) and O(mtu) apply to both ends (an MTU mismatch or a half-down pair silently breaks traffic);
    O(mac) and O(addresses) apply to the O(name) end.
  - Deleting either end deletes the pair.
author:
  - vnet.linux maintainers (@vnet-linux)
options:
  name:
    description: Name of the local end (1..15 bytes).
    type: str
    required: true
  peer:
    description:
      - Name of the other end. Required with O(state=present).
      - A different peer name on an existing pair needs O(recreate=true).
    type: str
  peer_netns:
    description:
      - Named network namespace the peer lives in. Omit to keep the peer next to O(name).
      - An existing pair whose peer is elsewhere is moved (in place, no recreate).
    type: str
extends_documentation_fragment:
  - vnet.linux.vnet.netns
  - vnet.linux.vnet.link
  - vnet.linux.vnet.attributes
notes:
  - "The two ends of a pair often have consecutive ifindexes, but not always: both are returned, never guessed."
'''

EXAMPLES = r'''
- name: A veth pair whose peer is the eth0-like end of a container namespace
  vnet.linux.vnet_veth:
    name: veth-web
    peer: veth-web-c
    peer_netns: web
    mtu: 1450
    addresses: [192.0.2.1/24]

- name: Both ends in one namespace
  vnet.linux.vnet_veth:
    name: left
    peer: right
    netns: lab

- name: Remove the pair (either end's name works)
  vnet.linux.vnet_veth:
    name: veth-web
    state: absent
'''

RETURN = r'''
device:
  description: The pair as the kernel has it after the run (in check mode, as it will be).
  returned: always
  type: dict
  contains:
    name: {description: Local end name., type: str, returned: always}
    ifindex: {description: Interface index of the local end (null in check mode before creation)., type: int, returned: always}
    kind: {description: Always C(veth)., type: str, returned: when present}
    peer: {description: Peer name., type: str, returned: when present}
    peer_ifindex: {description: Interface index of the peer in its own namespace., type: int, returned: when present}
    peer_netns: {description: Namespace of the peer (null when next to the local end)., type: str, returned: when present}
    netns: {description: Namespace of the local end., type: str, returned: always}
    mtu: {description: MTU., type: int, returned: when present}
    mac: {description: MAC address of the local end., type: str, returned: when present}
    up: {description: Administrative state of the local end., type: bool, returned: when present}
    addresses: {description: Addresses on the local end (CIDR)., type: list, elements: str, returned: when present}
  sample:
    name: veth-web
    ifindex: 7
    kind: veth
    peer: veth-web-c
    peer_ifindex: 2
    peer_netns: web
    netns: null
    mtu: 1450
    mac: "6e:a4:a0:dc:a6:ef"
    up: true
    addresses: [192.0.2.1/24]
ops:
  description: What was done (or, in check mode, would be done), one readable line per kernel step.
  returned: always
  type: list
  elements: str
  sample: ["create veth veth-web: mtu=1450, peer=veth-web-c, peer_netns=web, up=True"]
'''

# First, so that the module_utils imported below compile once per run.
from ansible_collections.vnet.linux.plugins.module_utils import _compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.vnet.linux.plugins.module_utils._kinds import KINDS
from ansible_collections.vnet.linux.plugins.module_utils._runner import run_link_module


def main():
    run_link_module(KINDS["veth"])


if __name__ == "__main__":
    main()
