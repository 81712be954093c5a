# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bridge ports: membership and the per-port flags next to hairpin (pure planning, no I/O).

Hairpin (reflective relay) lets a bridge send a frame back out of the port it came in
on: what a VEPA (802.1Qbg) adjacent switch must do. The kernel reports each flag as an
IFLA_BRPORT_* attribute in the port's IFLA_INFO_SLAVE_DATA; compare on those.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional

from ansible_collections.vnet.linux.plugins.module_utils._kinds import KINDS
from ansible_collections.vnet.linux.plugins.module_utils._model import LinkSpec, Op, VnetError
from ansible_collections.vnet.linux.plugins.module_utils._plan import plan_link

# The flags users manage, by the attribute the kernel reports them in (hairpin is IFLA_BRPORT_MODE).
PORT_FLAGS = (
    ("hairpin", "IFLA_BRPORT_MODE"),
    ("isolated", "IFLA_BRPORT_ISOLATED"),
    ("learning", "IFLA_BRPORT_LEARNING"),
    ("flood", "IFLA_BRPORT_UNICAST_FLOOD"),
    ("neigh_suppress", "IFLA_BRPORT_NEIGH_SUPPRESS"),
)
# What a device has right after it becomes a port (the kernel's defaults): check mode starts from here.
NEW_PORT_FLAGS = {"hairpin": False, "isolated": False, "learning": True, "flood": True, "neigh_suppress": False}
# Kinds that hook a lower device's receive path, which a bridge port needs for itself (EBUSY).
UPPER_KINDS = ("macvlan", "macvtap", "ipvlan", "ipvtap")


@dataclass
class BridgePortSpec:
    """A bridge port as the user declared it; a flag set to None is left as it is."""

    bridge: str
    port: str
    netns: Optional[str] = None
    flags: Dict[str, Optional[bool]] = field(default_factory=dict)
    create_bridge: bool = False
    enslave: bool = False


def port_flags(link):
    """The port's flags in user terms, or {} when it is not a bridge port."""
    if link is None or link.slave_kind != "bridge":
        return {}
    return dict((name, bool(link.slave_data.get(attr))) for name, attr in PORT_FLAGS)


def port_state(links, name):
    """The port as the kernel has it: its bridge (None if it is no bridge's port) and its flags."""
    link = links.get(name)
    if link is None:
        return {}
    master = next((l for l in links.values() if l.ifindex == link.master), None)
    state = {"bridge": master.name if master is not None and master.kind == "bridge" else None}
    state.update(port_flags(link))
    return state


def projected_port(spec, before):
    """port_state() once the plan for ``spec`` is applied (what check mode predicts)."""
    state = dict(before) if before.get("bridge") == spec.bridge else dict(NEW_PORT_FLAGS)
    state.update((name, value) for name, value in spec.flags.items() if value is not None)
    state["bridge"] = spec.bridge
    return state


def plan_bridge_port(spec, links):
    """Ops that make ``spec.port`` a port of ``spec.bridge`` with the given flags."""
    where = " in netns %s" % spec.netns if spec.netns else ""
    port = links.get(spec.port)
    if port is None:
        raise VnetError("port: device %r does not exist%s" % (spec.port, where))
    if spec.port == spec.bridge:
        raise VnetError("port: %s is the bridge itself; name a device to attach to it" % spec.port)
    bridge = links.get(spec.bridge)
    ops = []
    if bridge is None:
        if not spec.create_bridge:
            raise VnetError("bridge: %r does not exist%s; set create_bridge: true to create it" % (spec.bridge, where))
        ops += plan_link(LinkSpec(name=spec.bridge, kind="bridge", netns=spec.netns), None, KINDS["bridge"])
    elif bridge.kind != "bridge":
        raise VnetError("bridge: %s is a %s device, not a bridge" % (spec.bridge, bridge.kind or "plain"))
    if bridge is not None and port.master == bridge.ifindex:
        have = port_flags(port)
    else:
        ops.append(enslave_op(spec, port, links))
        have = NEW_PORT_FLAGS
    changes = dict((name, value) for name, value in spec.flags.items() if value is not None and have[name] != value)
    if changes:
        ops.append(Op("set", spec.port, spec.netns, "brport", changes=changes))
    return ops


def enslave_op(spec, port, links):
    """Making a device a port is only done when asked, and only to a free device the kernel will take."""
    if port.master is not None:
        master = next((l.name for l in links.values() if l.ifindex == port.master), "ifindex %d" % port.master)
        raise VnetError("port: %s is already enslaved to %s, not to %s; release it there first (enslave only "
                        "adds free devices)" % (spec.port, master, spec.bridge))
    if not spec.enslave:
        raise VnetError("port: %s is not a port of bridge %s; set enslave: true to add it" % (spec.port, spec.bridge))
    uppers = sorted(l.name for l in links.values()
                    if l.parent == port.ifindex and l.link_netnsid is None and l.kind in UPPER_KINDS)
    if uppers:
        raise VnetError("port: %s carries %s (%s); the kernel refuses a device with macvlan/macvtap/ipvlan devices "
                        "on top as a bridge port (EBUSY). Bridge its veth peer instead, or remove those devices first"
                        % (spec.port, ", ".join(uppers), "/".join(sorted(set(links[u].kind for u in uppers)))))
    return Op("enslave", spec.port, spec.netns, "brport", changes={"bridge": spec.bridge})
