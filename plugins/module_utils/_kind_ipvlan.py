# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ipvlan and ipvtap: devices stacked on a parent that share its MAC address.

Mode and flags belong to the parent (the kernel's ipvlan port): every ipvlan on one parent
has the same, and changing them on one device changes them for all. The parent handling
(``link``, ``link_netns``, creating straight into another namespace) is macvlan's.
"""

from __future__ import annotations

from ansible_collections.vnet.linux.plugins.module_utils._kind_macvlan import IPVLAN_KINDS, MACVLAN_KINDS, StackedKind
from ansible_collections.vnet.linux.plugins.module_utils._model import VnetError

IPVLAN_MODES = {0: "l2", 1: "l3", 2: "l3s"}
IPVLAN_F_PRIVATE = 0x1
IPVLAN_F_VEPA = 0x2
IPVLAN_FLAGS = {"bridge": 0, "private": IPVLAN_F_PRIVATE, "vepa": IPVLAN_F_VEPA}


class IpVlan(StackedKind):
    name = kernel_kind = "ipvlan"
    family = "ipvlan"
    in_place = ("mode", "flags")
    argument_spec = dict(
        StackedKind.argument_spec,
        mode=dict(type="str", choices=["l2", "l3", "l3s"], default="l3"),
        flags=dict(type="str", choices=["bridge", "private", "vepa"], default="bridge"),
    )

    def options(self, params):
        if params["mac"] is not None:
            raise VnetError("mac: an ipvlan always has its parent's MAC address and cannot have its own; "
                            "drop mac (vnet.linux.vnet_macvlan gives each device its own)")
        options = super().options(params)
        if params["state"] == "present":
            options.update(mode=params["mode"], flags=params["flags"])
        return options

    def describe(self, link, view):
        props = super().describe(link, view)
        flags = link.data.get("IFLA_IPVLAN_FLAGS") or 0
        props.update(mode=IPVLAN_MODES.get(link.data.get("IFLA_IPVLAN_MODE")),
                     flags="private" if flags & IPVLAN_F_PRIVATE else "vepa" if flags & IPVLAN_F_VEPA else "bridge")
        return props

    def create_request(self, spec):
        request = super().create_request(spec)
        request.update(self.mode_request(spec))
        return request

    def mode_request(self, spec):
        # The keywords of _netlink's IFLA_IPVLAN_* definition, registered for ipvlan and ipvtap alike.
        modes = dict((mode, number) for number, mode in IPVLAN_MODES.items())
        return {"ipvlan_mode": modes[spec.options["mode"]], "ipvlan_flags": IPVLAN_FLAGS[spec.options["flags"]]}

    def set_options(self, client, spec):
        client.link_set("set %s %s mode %s, flags %s (and of every ipvlan on its parent)"
                        % (self.name, spec.name, spec.options["mode"], spec.options["flags"]),
                        client.ifindex(spec.name), kind=self.kernel_kind, **self.mode_request(spec))

    def stacking_kinds(self):
        return IPVLAN_KINDS

    def rival_kinds(self):
        return MACVLAN_KINDS


class IpVtap(IpVlan):
    name = kernel_kind = "ipvtap"
