#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: vnet_ifb
short_description: Manage IFB devices and the ingress redirects that feed them
version_added: 1.0.0
description:
  - Creates, changes and deletes IFB (Intermediate Functional Block) devices over netlink (pyroute2), idempotently.
  - An IFB exists to shape ingress traffic, which Linux can only police, not queue. Packets arriving on each
    device of O(redirect_from) are redirected to the IFB, where egress qdiscs (tbf, htb, fq_codel...) apply;
    the IFB then hands them back to the device's receive path.
  - A redirect is an C(ingress) qdisc on the source (or the ingress hook of an existing C(clsact) qdisc) holding
    a u32 match-all filter at priority (tc C(pref)) 49152, protocol all, whose only action is
    C(mirred egress redirect) to the IFB. The module owns exactly the filters of that shape at that priority and
    leaves every other filter alone.
  - All through pyroute2's tc API; no C(tc) command runs.
author:
  - vnet.linux maintainers (@vnet-linux)
options:
  name:
    description: Name of the IFB device (1..15 bytes).
    type: str
    required: true
  redirect_from:
    description:
      - Devices, in the same namespace as the IFB, whose ingress traffic is redirected to it.
      - The list is complete when given; a source left out loses the redirect this module added (and its
        C(ingress) qdisc, when that holds no other filter). Omit it to leave redirects as they are.
      - A source that already redirects its ingress to another device at priority 49152 is refused, since only
        the first such redirect would ever see a packet.
      - A stale redirect on a listed source (its IFB was deleted without this module, so it drops every packet)
        is removed.
    type: list
    elements: str
extends_documentation_fragment:
  - vnet.linux.vnet.netns
  - vnet.linux.vnet.link
  - vnet.linux.vnet.attributes
notes:
  - O(state=absent) removes the redirects pointing to the IFB before the IFB itself; the kernel would otherwise
    keep them, redirecting to nothing, and drop all ingress traffic of their sources.
  - The kernel must have the C(ingress) qdisc, the u32 classifier and the mirred action (C(CONFIG_NET_SCH_INGRESS),
    C(CONFIG_NET_CLS_U32), C(CONFIG_NET_ACT_MIRRED)); the module says which one is missing.
  - The IFB must be up (the default) for redirected packets to pass.
seealso:
  - module: vnet.linux.vnet_bridge_hairpin
'''

EXAMPLES = r'''
- name: Redirect the ingress of eth0 to ifb0 (then shape on ifb0's egress)
  vnet.linux.vnet_ifb:
    name: ifb0
    redirect_from: [eth0]

- name: One IFB for the ingress of two container uplinks, in a namespace
  vnet.linux.vnet_ifb:
    name: ifb-in
    netns: edge
    redirect_from: [veth-web, veth-db]

- name: Stop redirecting, keep the IFB
  vnet.linux.vnet_ifb:
    name: ifb0
    redirect_from: []

- name: Remove the IFB and every redirect pointing to it
  vnet.linux.vnet_ifb:
    name: ifb0
    state: absent
'''

RETURN = r'''
device:
  description: The IFB as the kernel has it after the run (in check mode, as it will be).
  returned: always
  type: dict
  contains:
    name: {description: Device name., type: str, returned: always}
    ifindex: {description: Interface index (null in check mode before creation)., type: int, returned: always}
    kind: {description: Always C(ifb)., type: str, returned: when present}
    netns: {description: Namespace of the device., type: str, returned: always}
    mtu: {description: MTU., type: int, returned: when present}
    mac: {description: MAC address., type: str, returned: when present}
    up: {description: Administrative state., type: bool, returned: when present}
    addresses: {description: Addresses (CIDR)., type: list, elements: str, returned: when present}
    redirect_from: {description: "Devices whose ingress is redirected to the IFB, sorted.", type: list, elements: str, returned: when present}
  sample:
    name: ifb0
    ifindex: 12
    kind: ifb
    netns: null
    mtu: 1500
    mac: "8a:3c:51:0e:9d:27"
    up: true
    addresses: []
    redirect_from: [eth0]
redirects:
  description: The redirect filters pointing to the IFB, one per source device, sorted by source.
  returned: always
  type: list
  elements: dict
  contains:
    dev: {description: Source device., type: str}
    prio: {description: Filter priority (tc C(pref)); always 49152., type: int}
    handle: {description: u32 handle as tc prints it (null in check mode before creation)., type: str}
    qdisc: {description: "C(ingress), or C(clsact) when the source had one.", type: str}
  sample: [{dev: eth0, prio: 49152, handle: "800::800", qdisc: ingress}]
ops:
  description: What was done (or, in check mode, would be done), one readable line per kernel step.
  returned: always
  type: list
  elements: str
  sample:
    - "create ifb ifb0: up=True"
    - "create ingress-qdisc eth0"
    - "create redirect eth0: prio=49152, qdisc=ingress, to=ifb0"
'''

from ansible.module_utils.basic import AnsibleModule

# First, so that the module_utils imported below compile once per run.
from ansible_collections.vnet.linux.plugins.module_utils import _compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.vnet.linux.plugins.module_utils._args import link_argument_spec
from ansible_collections.vnet.linux.plugins.module_utils._engine_side import reconcile_ifb
from ansible_collections.vnet.linux.plugins.module_utils._runner import run
from ansible_collections.vnet.linux.plugins.module_utils._spec import check_ifname, link_spec


def redirect_sources(params):
    if params["redirect_from"] is None:
        return None
    return list(dict.fromkeys(check_ifname("redirect_from", name) for name in params["redirect_from"]))


def converge(module):
    spec = link_spec(module.params, "ifb")
    changed, ops, diff, device, redirects = reconcile_ifb(spec, redirect_sources(module.params), module.check_mode)
    return dict(changed=changed, ops=ops, diff=diff, device=device, redirects=redirects)


def main():
    module = AnsibleModule(
        argument_spec=link_argument_spec(
            name=dict(type="str", required=True),
            redirect_from=dict(type="list", elements="str"),
        ),
        supports_check_mode=True,
    )
    run(module, lambda: converge(module))


if __name__ == "__main__":
    main()
