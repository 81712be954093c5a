# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""veth pairs: the peer (name, namespace, up, mtu) is part of the pair's state."""

from __future__ import annotations

from ansible_collections.vnet.linux.plugins.module_utils._kind import Kind
from ansible_collections.vnet.linux.plugins.module_utils._model import HOST_NETNS, Op, VnetError
from ansible_collections.vnet.linux.plugins.module_utils._spec import check_ifname, check_netns_name


class Veth(Kind):
    name = kernel_kind = "veth"
    fixed = ("peer",)
    netns_options = ("peer_netns",)
    none_is_value = ("peer_netns",)  # None: the peer sits next to the local end
    argument_spec = dict(peer=dict(type="str"), peer_netns=dict(type="str"))
    required_if = [("state", "present", ["peer"])]

    def options(self, params):
        peer_netns = check_netns_name("peer_netns", params["peer_netns"])
        return {
            "peer": check_ifname("peer", params["peer"]) if params["peer"] is not None else None,
            # The peer next to the local end is spelled 'no peer_netns', whatever the user wrote.
            "peer_netns": None if peer_netns == params["netns"] else peer_netns,
        }

    def describe(self, link, view):
        peer_netns = view.peer_netns_of(link)
        peer = view.link_by_index(peer_netns, link.parent)
        return {
            "peer": peer.name if peer else None,
            # Same spelling as the spec: no peer_netns means 'next to the local end'.
            "peer_netns": None if peer_netns == link.netns else (peer_netns or HOST_NETNS),
            "peer_ifindex": link.parent,
            "peer_up": peer.up if peer else None,
            "peer_mtu": peer.mtu if peer else None,
        }

    def preflight(self, spec, view):
        """The peer's name must be free where it goes, unless it already is this pair's peer
        (the kernel would refuse the create with EEXIST after other steps had run)."""
        peer, peer_netns = spec.options["peer"], spec.options.get("peer_netns") or spec.netns
        current = view.link(spec.netns, spec.name)
        if current is not None and current.props.get("peer") == peer:
            return
        holder = view.link(peer_netns, peer)
        if holder is not None and holder.props.get("kind") == "veth" and holder.props.get("peer") in (spec.name, None):
            # The other end of this very pair (or of a pair whose other end the dump did not catch):
            # another writer is creating it. The create meets EEXIST and the race retry re-reads.
            return
        if holder is not None and (current is None or spec.recreate):
            raise VnetError("peer: %s already exists in %s (a %s); choose a free peer name or remove that device"
                            % (peer, "netns %s" % peer_netns if peer_netns else "this namespace",
                               holder.props.get("kind") or holder.kind or "device"))

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
        peer_up = props.get("peer_up")
        if props.get("peer_netns") != want_ns:
            ops.append(Op("move", peer, netns=props.get("peer_netns") or spec.netns, kind="veth",
                          changes={"netns": want_ns or spec.netns or HOST_NETNS}, reason="veth peer"))
            peer_up = False  # the kernel brings a device down when it changes namespace
        changes = {}
        if spec.up is not None and peer_up != spec.up:
            changes["up"] = spec.up
        if spec.mtu is not None and props.get("peer_mtu") != spec.mtu:
            changes["mtu"] = spec.mtu
        if changes:
            ops.append(Op("set", peer, netns=want_ns or spec.netns, kind="veth", changes=changes,
                          reason="veth peer"))
        return ops
