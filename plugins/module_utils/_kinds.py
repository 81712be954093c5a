# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What differs per link kind: how to read it, how to create it, what can change in place.

A Kind translates between the kernel's attributes (IFLA_*) and the user's option
names. The planner only ever sees the user's terms (``Link.props`` vs
``LinkSpec.options``), which keeps it pure.
"""

from __future__ import annotations

from ansible_collections.vnet.linux.plugins.module_utils._model import Op


class Kind:
    name = ""           # the kind users write (vnet_links ``kind``)
    kernel_kind = ""    # IFLA_INFO_KIND the kernel reports
    fixed = ()          # options the kernel cannot change on an existing link
    in_place = ()       # options changed on the existing link by set_options()
    netns_options = ()  # options naming a namespace that must exist

    def describe(self, link, view):
        """Fill ``link.props`` (user terms) from kernel attributes; ``view`` reads other netns."""
        return {}

    def created_props(self, spec):
        """The props a link has right after create_request(spec): what companion_ops start from."""
        return {}

    def create_request(self, spec):
        """pyroute2 ``link('add')`` keyword arguments for a new link."""
        return {"ifname": spec.name, "kind": self.kernel_kind}

    def companion_ops(self, spec, props):
        """Ops on objects other than the link itself (a veth peer), given the link's props."""
        return []

    def set_options(self, client, spec):
        """Apply ``in_place`` options to an existing link (spec options complete, from plan)."""
        raise NotImplementedError(self.name)


class Veth(Kind):
    name = kernel_kind = "veth"
    fixed = ("peer",)
    netns_options = ("peer_netns",)

    def describe(self, link, view):
        peer_netns = view.peer_netns_of(link)
        peer = view.link_by_index(peer_netns, link.parent)
        return {
            "peer": peer.name if peer else None,
            # Same spelling as the spec: no peer_netns means 'next to the local end'.
            "peer_netns": None if peer_netns == link.netns else peer_netns,
            "peer_ifindex": link.parent,
            "peer_up": peer.up if peer else None,
            "peer_mtu": peer.mtu if peer else None,
        }

    def created_props(self, spec):
        return {"peer_netns": spec.options.get("peer_netns"), "peer_up": False, "peer_mtu": spec.mtu}

    def create_request(self, spec):
        request = super().create_request(spec)
        peer = {"ifname": spec.options["peer"]}
        if spec.options.get("peer_netns"):
            peer["net_ns_fd"] = spec.options["peer_netns"]
        if spec.mtu is not None:
            peer["mtu"] = spec.mtu
        request["peer"] = peer
        return request

    def companion_ops(self, spec, props):
        """The peer follows the pair's netns choice, ``up`` and ``mtu`` (a half-up veth has no carrier)."""
        ops = []
        peer, want_ns = spec.options["peer"], spec.options.get("peer_netns")
        if props.get("peer_netns") != want_ns:
            ops.append(Op("move", peer, netns=props.get("peer_netns") or spec.netns, kind="veth",
                          changes={"netns": want_ns or spec.netns or "(host)"}, reason="veth peer"))
        changes = {}
        if spec.up is not None and props.get("peer_up") != spec.up:
            changes["up"] = spec.up
        if spec.mtu is not None and props.get("peer_mtu") != spec.mtu:
            changes["mtu"] = spec.mtu
        if changes:
            ops.append(Op("set", peer, netns=want_ns or spec.netns, kind="veth", changes=changes,
                          reason="veth peer"))
        return ops


TUN_TYPES = {1: "tun", 2: "tap"}
TUN_FLAGS = ("pi", "vnet_hdr", "multi_queue")


class TunTap(Kind):
    name = "tuntap"
    kernel_kind = "tun"
    fixed = ("mode",) + TUN_FLAGS
    in_place = ("owner", "group")

    def describe(self, link, view):
        data = link.data
        props = {"mode": TUN_TYPES.get(data.get("IFLA_TUN_TYPE")),
                 "owner": data.get("IFLA_TUN_OWNER"),
                 "group": data.get("IFLA_TUN_GROUP"),
                 "persist": bool(data.get("IFLA_TUN_PERSIST"))}
        for flag in TUN_FLAGS:
            props[flag] = bool(data.get("IFLA_TUN_" + flag.upper()))
        return props

    def create_request(self, spec):
        # pyroute2 creates 'tun' links with the TUNSETIFF/TUNSETPERSIST ioctls, in the target netns.
        opts = spec.options
        request = super().create_request(spec)
        request["tun_type"] = 1 if opts["mode"] == "tun" else 2
        for flag in TUN_FLAGS:
            request["tun_" + flag] = int(bool(opts.get(flag)))
        for key in self.in_place:
            if opts.get(key) is not None:
                request["tun_" + key] = opts[key]
        return request

    def set_options(self, client, spec):
        # Re-attaching with TUNSETIFF (same flags) then TUNSETOWNER/GROUP changes them in place.
        client.link_add("change owner/group of tuntap %s" % spec.name, **self.create_request(spec))


KINDS = dict((kind.name, kind) for kind in (Veth(), TunTap()))
KERNEL_KIND_NAMES = dict((kind.kernel_kind, kind.name) for kind in KINDS.values())
