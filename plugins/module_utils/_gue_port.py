# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GUE receive ports (vnet_iptunnel's ``fou_port``): ``ip fou add port N gue``, a per-namespace UDP
socket that hands the inner packet to tunl0/gre0.

Apart from _kind_iptunnel so that the link modules, which import every kind, do not load the
generic-netlink client (parsed and compiled on every module run).
"""

from __future__ import annotations

from ansible_collections.vnet.linux.plugins.module_utils._model import Op
from ansible_collections.vnet.linux.plugins.module_utils._netlink_ipvs import FouClient

GUE_PORT = "gue-port"


class FouView:
    """have: the GUE ports of one namespace, read once (converge's view)."""

    def __init__(self, netns):
        self.netns = netns
        self.client = FouClient(netns)
        self._ports = None

    def namespaces(self):
        return [self.netns]

    def ports(self):
        if self._ports is None:
            self._ports = self.client.gue_ports()
        return self._ports

    def forget(self):
        self._ports = None

    def close(self):
        self.client.close()


def plan_gue_port(netns, port, state, ports):
    if state == "present" and port not in ports:
        return [Op("create", str(port), netns, GUE_PORT, reason="ip fou add port %d gue" % port)]
    if state == "absent" and port in ports:
        return [Op("delete", str(port), netns, GUE_PORT)]
    return []


def apply_gue_ops(view, plan, ops):
    """converge's apply step for GUE ports (at most one op: a failure means nothing was applied)."""
    for op in ops:
        write = view.client.add_gue_port if op.verb == "create" else view.client.del_gue_port
        write(str(op), int(op.name))
    return [str(op) for op in ops]


def predicted_gue_ports(port, state, ports):
    if state == "absent":
        return [p for p in ports if p != port]
    return sorted(set(ports) | {port})
