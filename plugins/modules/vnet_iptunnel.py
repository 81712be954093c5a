#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: vnet_iptunnel
short_description: Manage ipip and gre tunnels and GUE receive ports (the real server side of LVS-TUN)
version_added: 1.0.0
description:
  - Manages the receive side of each IPVS tunnel type on a real server, over netlink (pyroute2), idempotently
    (see M(vnet.linux.vnet_ipvs_tun)) - ipip is received on C(tunl0); GUE on a GUE receive port (O(fou_port))
    plus C(tunl0); gre on C(gre0).
  - Without O(name) the module manages the kind's fallback device, C(tunl0) or C(gre0), which the kernel creates
    in every namespace once the C(ipip) or C(ip_gre) module is loaded. Put the VIP on it with O(addresses)
    (a /32), keep it up.
  - The kernel cannot delete or reconfigure a fallback device, so O(state=absent) on one brings it down and
    removes all its addresses instead; O(local), O(remote) and O(ttl) are refused for it.
  - A named tunnel is a point-to-point one; O(local), O(remote) and O(ttl) change in place.
author:
  - vnet.linux maintainers (@vnet-linux)
options:
  name:
    description:
      - Device name (1..15 bytes). Defaults to the fallback device of O(kind), C(tunl0) or C(gre0).
    type: str
  kind:
    description: Tunnel type.
    type: str
    choices: [ipip, gre]
    default: ipip
  local:
    description: Local IPv4 address of a named tunnel. Left as is when omitted; a new tunnel then takes any.
    type: str
  remote:
    description: Remote IPv4 address of a named tunnel. Left as is when omitted; a new tunnel then takes any.
    type: str
  ttl:
    description: TTL of the outer header of a named tunnel, 1..255, or 0 to copy the inner packet's.
    type: int
  fou_port:
    description:
      - A GUE receive port to have in the namespace (C(ip fou add port N gue)); it delivers to the fallback
        device, so real servers of GUE tunnel services need it and the VIP on C(tunl0).
      - It follows O(state) - V(absent) removes it. Other GUE ports are left alone.
    type: int
extends_documentation_fragment:
  - vnet.linux.vnet.netns
  - vnet.linux.vnet.link
  - vnet.linux.vnet.attributes
notes:
  - O(mac) is refused, tunnels have no MAC address.
  - Tunnel keys, encapsulation and IPv6 tunnels are not managed. Changing O(local), O(remote) or O(ttl) keeps the
    tunnel's tos, path MTU discovery and bound device.
seealso:
  - module: vnet.linux.vnet_ipvs_tun
'''

EXAMPLES = r'''
- name: Real server of an ipip LVS-TUN service - the VIP on tunl0
  vnet.linux.vnet_iptunnel:
    addresses: [192.0.2.80/32]

- name: Real server of a GUE service - receive port 6080 and the VIP on tunl0
  vnet.linux.vnet_iptunnel:
    kind: ipip
    fou_port: 6080
    addresses: [192.0.2.80/32]

- name: Real server of a gre service
  vnet.linux.vnet_iptunnel:
    kind: gre
    addresses: [192.0.2.80/32]

- name: A point-to-point ipip tunnel
  vnet.linux.vnet_iptunnel:
    name: ipip-dc2
    local: 198.51.100.1
    remote: 203.0.113.1
    ttl: 64
    addresses: [10.255.0.1/30]

- name: Retire the VIP (tunl0 stays, down, without addresses)
  vnet.linux.vnet_iptunnel:
    state: absent
'''

RETURN = r'''
device:
  description: The tunnel device as the kernel has it after the run (in check mode, as it will be).
  returned: always
  type: dict
  contains:
    name: {description: Device name., type: str, returned: always}
    ifindex: {description: Interface index (null in check mode before creation)., type: int, returned: always}
    kind: {description: C(ipip) or C(gre)., type: str, returned: when present}
    local: {description: "Local address, null for any.", type: str, returned: when present}
    remote: {description: "Remote address, null for any.", type: str, returned: when present}
    ttl: {description: Outer TTL (0 copies the inner one)., type: int, returned: when present}
    fallback: {description: "Whether this is the kind's fallback device (tunl0, gre0).", type: bool, returned: when present}
    tos: {description: Outer TOS (0 copies the inner one)., type: int, returned: when present}
    pmtudisc: {description: Path MTU discovery (1 on)., type: int, returned: when present}
    bound_ifindex: {description: Device the tunnel is bound to (0 none)., type: int, returned: when present}
    netns: {description: Namespace of the device., type: str, returned: always}
    mtu: {description: MTU., type: int, returned: when present}
    up: {description: Administrative state., type: bool, returned: when present}
    addresses: {description: Addresses (CIDR)., type: list, elements: str, returned: when present}
  sample:
    name: tunl0
    ifindex: 2
    kind: ipip
    local: null
    remote: null
    ttl: 0
    fallback: true
    netns: rs1
    mtu: 1480
    up: true
    addresses: [192.0.2.80/32]
gue_ports:
  description: The namespace's GUE receive ports after the run.
  returned: when O(fou_port) is given
  type: list
  elements: int
  sample: [6080]
ops:
  description: What was done (or, in check mode, would be done), one readable line per kernel step.
  returned: always
  type: list
  elements: str
  sample: ["add-address link tunl0 in netns rs1: address=192.0.2.80/32", "create gue-port 6080 in netns rs1 (ip fou add port 6080 gue)"]
'''

from dataclasses import replace

from ansible.module_utils.basic import AnsibleModule

# First, so that the module_utils imported below compile once per run.
from ansible_collections.vnet.linux.plugins.module_utils import _compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.vnet.linux.plugins.module_utils._args import link_argument_spec
from ansible_collections.vnet.linux.plugins.module_utils._converge import PartialApply, check_netns_exists, converge
from ansible_collections.vnet.linux.plugins.module_utils._engine import KernelView, reconcile_links
from ansible_collections.vnet.linux.plugins.module_utils._gue_port import (
    FouView, apply_gue_ops, plan_gue_port, predicted_gue_ports)
from ansible_collections.vnet.linux.plugins.module_utils._kind_iptunnel import FALLBACK_DEVICES, IpTunnel
from ansible_collections.vnet.linux.plugins.module_utils._kinds import KINDS
from ansible_collections.vnet.linux.plugins.module_utils._model import VnetError
from ansible_collections.vnet.linux.plugins.module_utils._runner import run
from ansible_collections.vnet.linux.plugins.module_utils._spec import in_range


def tunnel_spec(params):
    """The kind's own spec (what a vnet_links item of that kind gets), the name defaulting to the fallback device."""
    kind = KINDS[params["kind"]]
    return kind.spec(dict(params, name=params["name"] or FALLBACK_DEVICES[kind.name]))


def fallback_exists(spec):
    view = KernelView()
    try:
        return view.link(spec.netns, spec.name) is not None
    finally:
        view.close()


def converge_link(spec, check_mode):
    if spec.state == "absent" and spec.name == FALLBACK_DEVICES[spec.kind]:
        if not fallback_exists(spec):
            return False, [], {"before": {}, "after": {}}, {"name": spec.name, "netns": spec.netns, "state": "absent"}
        # The kernel keeps a fallback device while its module is loaded: down, without addresses.
        spec = replace(spec, state="present", up=False, mtu=None, addresses=[], purge_addresses=True)
    changed, ops, diff, devices = reconcile_links([spec], check_mode)
    return changed, ops, diff, devices[0]


def converge_gue_port(netns, port, state, check_mode):
    check_netns_exists("netns", netns)
    view = FouView(netns)
    try:
        before = list(view.ports())
        changed, ops = converge(view, lambda v: plan_gue_port(netns, port, state, v.ports()), check_mode,
                                apply=apply_gue_ops)
        after = predicted_gue_ports(port, state, before) if check_mode else view.ports()
        return changed, ops, before, after
    finally:
        view.close()


def converge_all(module):
    params = module.params
    spec = tunnel_spec(params)
    fou_port = None if params["fou_port"] is None else in_range("fou_port", params["fou_port"], 1, 65535)
    changed, ops, diff, device = converge_link(spec, module.check_mode)
    result = dict(changed=changed, ops=ops, diff=diff, device=device)
    if fou_port is not None:
        try:
            gue_changed, gue_ops, before, after = converge_gue_port(spec.netns, fou_port, spec.state, module.check_mode)
        except VnetError as exc:
            if module.check_mode or not ops:
                raise
            raise PartialApply(exc, ops)
        result.update(changed=changed or gue_changed, ops=ops + gue_ops, gue_ports=after)
        diff["before"] = dict(diff["before"], gue_ports=before)
        diff["after"] = dict(diff["after"], gue_ports=after)
    return result


def main():
    module = AnsibleModule(
        argument_spec=link_argument_spec(
            name=dict(type="str"),
            kind=dict(type="str", choices=["ipip", "gre"], default="ipip"),
            fou_port=dict(type="int"),
            **IpTunnel.argument_spec
        ),
        supports_check_mode=True,
    )
    run(module, lambda: converge_all(module))


if __name__ == "__main__":
    main()
