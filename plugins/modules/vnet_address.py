#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: vnet_address
short_description: Manage IPv4/IPv6 addresses on an existing interface
version_added: 1.0.0
description:
  - Ensures addresses (CIDR) are on, or off, any existing interface, e.g. a VIP C(/32) on C(lo) or C(tunl0).
  - Compares on the kernel's own address list, normalised (V(2001:DB8::1/64) equals V(2001:db8::1/64)).
author:
  - vnet.linux maintainers (@vnet-linux)
options:
  interface:
    description: The interface holding the addresses. It must exist.
    type: str
    required: true
  addresses:
    description: Addresses in CIDR form, e.g. V(192.0.2.10/32) or V(2001:db8::10/128).
    type: list
    elements: str
    required: true
  purge:
    description:
      - With O(state=present), also remove addresses of the interface that are not listed.
        IPv6 link-local addresses are the kernel's and are kept.
    type: bool
    default: false
  state:
    description: V(present) adds the listed addresses that are missing; V(absent) removes the listed addresses that are there.
    type: str
    choices: [present, absent]
    default: present
  netns:
    description:
      - Named network namespace the interface lives in. It must exist.
    type: str
requirements:
  - pyroute2 >= 0.9 on the managed host
  - Linux with CAP_NET_ADMIN (run as root or with C(become=true))
extends_documentation_fragment:
  - vnet.linux.vnet.attributes
'''

EXAMPLES = r'''
- name: VIP on loopback of a direct-routing real server
  vnet.linux.vnet_address:
    interface: lo
    addresses: [203.0.113.10/32]

- name: Exactly these addresses on eth0 of a namespace
  vnet.linux.vnet_address:
    interface: eth0
    netns: web
    addresses: [192.0.2.10/24, 2001:db8::10/64]
    purge: true

- name: Withdraw the VIP
  vnet.linux.vnet_address:
    interface: lo
    addresses: [203.0.113.10/32]
    state: absent
'''

RETURN = r'''
addresses:
  description: The interface's addresses after the run (in check mode, as they will be), sorted.
  returned: always
  type: list
  elements: str
  sample: [192.0.2.10/24, "2001:db8::10/64", "fe80::1c2b:3ff:fe4d:5e6f/64"]
ops:
  description: What was done (or, in check mode, would be done).
  returned: always
  type: list
  elements: str
  sample: ["add-address link eth0 in netns web: address=192.0.2.10/24"]
'''

from ansible.module_utils.basic import AnsibleModule

# First, so that the module_utils imported below compile once per run.
from ansible_collections.vnet.linux.plugins.module_utils import _compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.vnet.linux.plugins.module_utils._engine import reconcile_addresses
from ansible_collections.vnet.linux.plugins.module_utils._runner import run
from ansible_collections.vnet.linux.plugins.module_utils._spec import check_cidrs, check_ifname, check_netns_name


def converge(module):
    params = module.params
    changed, ops, diff, addresses = reconcile_addresses(
        netns=check_netns_name("netns", params["netns"]),
        interface=check_ifname("interface", params["interface"]),
        addresses=check_cidrs("addresses", params["addresses"]),
        purge=params["purge"],
        state=params["state"],
        check_mode=module.check_mode,
    )
    return dict(changed=changed, ops=ops, diff=diff, addresses=addresses)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            interface=dict(type="str", required=True),
            addresses=dict(type="list", elements="str", required=True),
            purge=dict(type="bool", default=False),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            netns=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    run(module, lambda: converge(module))


if __name__ == "__main__":
    main()
