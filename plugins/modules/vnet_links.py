#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: vnet_links
short_description: Reconcile many virtual links of any kind in one task, with scoped purge
version_added: 1.0.0
description:
  - Declares a list of links of any kind this collection manages and converges all of them in one task,
    through the same engine and the same per-kind code as the single-link modules (M(vnet.linux.vnet_veth),
    M(vnet.linux.vnet_tuntap), M(vnet.linux.vnet_macvlan)...) - one kernel dump per namespace, one plan, then
    apply and verify.
  - Links are ordered by dependency - deletions first with children before parents, then creations with
    parents (for example a veth used as a macvlan's C(link)) before children.
  - Use it instead of a loop over a per-kind module once you manage more than a handful of links; a loop pays
    the Ansible task overhead (and a kernel dump) per item.
author:
  - vnet.linux maintainers (@vnet-linux)
options:
  links:
    description:
      - The links. Each item has C(kind), C(name), optional C(state) and C(netns) (default O(netns)), the shared
        link options (C(mtu), C(mac), C(up), C(addresses), C(purge_addresses), C(recreate)) and the options of that
        kind, named as in its module (for example C(peer) and C(peer_netns) for V(veth); C(mode), C(owner) for V(tuntap);
        C(link), C(mode) for V(macvlan)).
      - C(kind) is one of the kinds the collection registers, for example V(veth), V(tuntap), V(macvlan),
        V(macvtap), V(ipvlan), V(ipvtap), V(ifb), V(bridge).
    type: list
    elements: dict
    required: true
  netns:
    description: Default namespace of the items, and the only namespace O(purge) looks in. It must exist.
    type: str
  purge:
    description:
      - Delete links of managed kinds in O(netns) that are not listed, but only inside the scope set by
        O(purge_prefix) and/or O(purge_kinds) (both must match when both are set). Refused without a scope.
      - A listed veth's peer beside it counts as listed. Devices of kinds the collection does not manage
        (physical NICs, loopback, vxlan...) are never touched.
      - A device whose deletion would take along one that may not be purged is kept - a veth whose peer is
        outside the scope, listed, or in another namespace, and a parent of stacked devices (macvlan, ipvlan)
        that may not be purged. Devices stacked on it from other namespaces cannot be seen from O(netns).
    type: bool
    default: false
  purge_prefix:
    description: Only links whose name starts with this prefix may be purged.
    type: str
  purge_kinds:
    description: Only links of these kinds may be purged.
    type: list
    elements: str
requirements:
  - pyroute2 >= 0.9 on the managed host
  - Linux with CAP_NET_ADMIN (run as root or with C(become=true))
extends_documentation_fragment:
  - vnet.linux.vnet.attributes
'''

EXAMPLES = r'''
- name: Pod veths with their peers in one namespace, and no other pod- device left over
  vnet.linux.vnet_links:
    links:
      - {kind: veth, name: pod-web, peer: web0, peer_netns: pods}
      - {kind: veth, name: pod-db, peer: db0, peer_netns: pods}
    purge: true
    purge_prefix: pod-

- name: A host's virtual NICs, parents before children
  vnet.linux.vnet_links:
    links:
      - {kind: macvlan, name: mv-web, link: uplink0, mode: bridge}
      - {kind: veth, name: uplink0, peer: uplink0-sw, mtu: 9000}
      - {kind: tuntap, name: tap-vm1, mode: tap, owner: libvirt-qemu, vnet_hdr: true}
      - {kind: ifb, name: ifb-in}
'''

RETURN = r'''
links:
  description: Each declared link as the kernel has it after the run (in check mode, as it will be), in apply order.
  returned: always
  type: list
  elements: dict
  sample:
    - {name: uplink0, kind: veth, ifindex: 7, peer: uplink0-sw, peer_ifindex: 6, mtu: 9000, up: true, netns: null}
purged:
  description: Names of the links O(purge) deleted (or would delete in check mode).
  returned: always
  type: list
  elements: str
  sample: [ct-old1]
ops:
  description: What was done (or, in check mode, would be done), one readable line per kernel step.
  returned: always
  type: list
  elements: str
  sample: ["create veth uplink0: mtu=9000, peer=uplink0-sw, peer_netns=None, up=True"]
'''

from ansible.module_utils.basic import AnsibleModule

# First, so that the module_utils imported below compile once per run.
from ansible_collections.vnet.linux.plugins.module_utils import _compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.vnet.linux.plugins.module_utils._bulk import check_purge_scope, item_specs, purge_specs
from ansible_collections.vnet.linux.plugins.module_utils._converge import check_netns_exists
from ansible_collections.vnet.linux.plugins.module_utils._engine import reconcile_links
from ansible_collections.vnet.linux.plugins.module_utils._runner import run
from ansible_collections.vnet.linux.plugins.module_utils._spec import check_netns_name


def converge(module):
    params = module.params
    netns = check_netns_name("netns", params["netns"])
    check_netns_exists("netns", netns)
    check_purge_scope(params["purge"], params["purge_prefix"], params["purge_kinds"])
    specs = item_specs(params["links"], netns)
    more = None
    if params["purge"]:
        def more(view):
            return purge_specs(view, netns, specs, params["purge_prefix"], params["purge_kinds"])
    changed, ops, diff, devices = reconcile_links(specs, module.check_mode, more_specs=more)
    purged = [device["name"] for device in devices[:len(devices) - len(specs)]]
    listed = devices[len(devices) - len(specs):]
    return dict(changed=changed, ops=ops, diff=diff, links=listed, purged=purged)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            links=dict(type="list", elements="dict", required=True),
            netns=dict(type="str"),
            purge=dict(type="bool", default=False),
            purge_prefix=dict(type="str"),
            purge_kinds=dict(type="list", elements="str"),
        ),
        supports_check_mode=True,
    )
    run(module, lambda: converge(module))


if __name__ == "__main__":
    main()
