# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the engine does beside links, through a NetlinkClient's pyroute2 socket: tc ingress
redirects (vnet_ifb) and bridge-port flags (vnet_bridge_hairpin).

Apart from _netlink because only those modules (and vnet_info) run it: every module run
compiles what it imports (see _kinds.py)."""

from __future__ import annotations

import errno
import socket
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import List, Optional

from ansible_collections.vnet.linux.plugins.module_utils._netlink import KernelError, kernel_call


# --- tc: ingress redirects (vnet_ifb) ------------------------------------
@dataclass
class TcFilter:
    """One entry of a tc filter dump (the 'have' side of ingress redirects)."""

    prio: int
    handle: int
    kind: Optional[str]
    protocol: int
    # False for a classifier's own bookkeeping entries (a u32 hash table), which match no packet.
    node: bool = True
    # ifindex a filter whose only action is a mirred egress redirect sends to (0: that device is gone).
    redirect: Optional[int] = None


@dataclass
class Ingress:
    """A device's ingress-side qdisc (``ingress`` or ``clsact``) and the filters on its ingress hook."""

    qdisc: str
    filters: List[TcFilter] = field(default_factory=list)


TC_H_INGRESS = 0xFFFFFFF1
# Where each ingress-side qdisc hangs its ingress filters: ingress at ffff:, clsact at its ffff:fff2 hook.
INGRESS_PARENTS = {"ingress": 0xFFFF0000, "clsact": 0xFFFFFFF2}
ETH_P_ALL = 0x0003
U32_MATCH_ALL = ["0x0/0x0+0"]
MIRRED_EGRESS_REDIRECT = {"kind": "mirred", "direction": "egress", "action": "redirect"}
TCA_EGRESS_REDIR = 1  # tc_mirred.h eaction of a mirred egress redirect
U32_NODE_MASK = 0xFFF


def apply_side_op(client, op):
    """Execute one op on an object beside links (the engine's apply_op hands over those of SIDE_KINDS)."""
    SIDE_APPLY[op.kind](client, op)


def apply_redirect_op(client, op):
    source = client.ifindex(op.name)
    if op.kind == "ingress-qdisc":
        (ingress_qdisc_add if op.verb == "create" else ingress_qdisc_del)(client, str(op), source)
    elif op.verb == "create":
        redirect_add(client, str(op), source, op.changes["qdisc"], op.changes["prio"], client.ifindex(op.changes["to"]))
    else:  # delete: the planner put the filter it read in op.spec
        redirect_del(client, str(op), source, op.changes["qdisc"], op.spec.prio, op.spec.handle)


def ingress(client):
    """Ingress-side qdiscs with their ingress filters by ifindex: one qdisc dump, then one
    filter dump per device that has such a qdisc."""
    with kernel_call("dump qdiscs"):
        hooks = dict((msg["index"], msg.get_attr("TCA_KIND")) for msg in client.ipr.tc("dump")
                     if msg["parent"] == TC_H_INGRESS and msg.get_attr("TCA_KIND") in INGRESS_PARENTS)
    return dict((ifindex, Ingress(qdisc, ingress_filters(client, ifindex, qdisc)))
                for ifindex, qdisc in hooks.items())


def ingress_filters(client, ifindex, qdisc):
    with kernel_call("dump ingress filters of ifindex %d" % ifindex):
        # get_filters(), not tc("dump-filter"): pyroute2 0.9.7's sync wrapper hands back an un-run
        # coroutine for every tc command but "dump".
        return [parse_filter(msg) for msg in client.ipr.get_filters(index=ifindex, parent=INGRESS_PARENTS[qdisc])]


def ingress_qdisc_add(client, action, ifindex):
    with missing_feature(action, "the ingress qdisc (CONFIG_NET_SCH_INGRESS)"):
        client.ipr.tc("add", "ingress", ifindex, "ffff:")


def ingress_qdisc_del(client, action, ifindex):
    with kernel_call(action):
        client.ipr.tc("del", "ingress", ifindex, "ffff:")


def redirect_add(client, action, ifindex, qdisc, prio, to_ifindex):
    """A u32 match-all filter (this kernel has no matchall classifier) whose one action is a
    mirred egress redirect to ``to_ifindex``."""
    with missing_feature(action, "the u32 classifier or the mirred action "
                                 "(CONFIG_NET_CLS_U32, CONFIG_NET_ACT_MIRRED)"):
        client.ipr.tc("add-filter", "u32", ifindex, parent=INGRESS_PARENTS[qdisc], prio=prio, protocol=ETH_P_ALL,
                      target=0, keys=U32_MATCH_ALL, action=dict(MIRRED_EGRESS_REDIRECT, ifindex=to_ifindex))


def redirect_del(client, action, ifindex, qdisc, prio, handle):
    """Delete one u32 node; when it was the last at ``prio``, also the empty hash table u32 may
    keep there (whether the kernel drops it by itself depends on the other tables on the hook)."""
    parent = INGRESS_PARENTS[qdisc]
    # pyroute2 builds u32 options even for a delete and needs a target to do so; the kernel ignores it.
    request = dict(parent=parent, prio=prio, protocol=ETH_P_ALL, target=0)
    with kernel_call(action):
        client.ipr.tc("del-filter", "u32", ifindex, handle=handle, **request)
    left = [f for f in ingress_filters(client, ifindex, qdisc) if f.prio == prio]
    if left and not any(f.node for f in left):
        with kernel_call("%s: drop the emptied u32 table at prio %d" % (action, prio)):
            client.ipr.tc("del-filter", "u32", ifindex, **request)


class MissingFeature(KernelError):
    """The kernel lacks a qdisc, classifier or action (it answers ENOENT or EOPNOTSUPP)."""

    def __init__(self, action, code, feature):
        super().__init__(action, code, "the kernel lacks " + feature)
        self.code = errno.EOPNOTSUPP  # not a racing writer: re-reading and re-planning cannot help


@contextmanager
def missing_feature(action, feature):
    try:
        with kernel_call(action):
            yield
    except KernelError as exc:
        if exc.code not in (errno.ENOENT, errno.EOPNOTSUPP):
            raise
        raise MissingFeature(action, exc.code, feature)


def parse_filter(msg):
    """One RTM_NEWTFILTER message as a TcFilter; tcm_info holds the priority and the protocol."""
    kind = msg.get_attr("TCA_KIND")
    handle = msg["handle"]
    options = msg.get_attr("TCA_OPTIONS")
    actions = options.get_attr("TCA_U32_ACT") if kind == "u32" and options is not None else None
    return TcFilter(
        prio=msg["info"] >> 16,
        handle=handle,
        kind=kind,
        protocol=socket.ntohs(msg["info"] & 0xFFFF),
        # A classifier reports itself with handle 0; u32 reports its hash tables with node id 0.
        node=handle != 0 and not (kind == "u32" and handle & U32_NODE_MASK == 0),
        redirect=sole_redirect(actions),
    )


def sole_redirect(actions):
    """ifindex of a filter's action list that is exactly one mirred egress redirect, else None."""
    if actions is None or len(actions.get("attrs", [])) != 1:
        return None
    action = actions["attrs"][0][1]
    if action.get_attr("TCA_ACT_KIND") != "mirred":
        return None
    parms = action.get_attr("TCA_ACT_OPTIONS").get_attr("TCA_MIRRED_PARMS")
    return parms["ifindex"] if parms and parms["eaction"] == TCA_EGRESS_REDIR else None


# --- bridge ports (vnet_bridge_hairpin) ----------------------------------
# pyroute2's brport() keywords for the flags users name (it ignores unknown keywords silently: hairpin is "mode").
BRPORT_KEYWORDS = {"hairpin": "mode", "isolated": "isolated", "learning": "learning",
                   "flood": "unicast_flood", "neigh_suppress": "neigh_suppress"}
# Why the kernel refuses a bridge port, by errno (enslave).
ENSLAVE_HINTS = {
    errno.EBUSY: "the device is busy: a device that carries macvlan, macvtap or ipvlan devices (even ones moved to "
                 "other namespaces) or is held by another master cannot become a bridge port",
    errno.EINVAL: "the kernel refused it as a port of that bridge: the bridge is gone (deleted meanwhile), or the "
                  "device is not an ethernet device (a tun device, loopback...)",
}


def apply_brport_op(client, op):
    port = client.ifindex(op.name)
    if op.verb == "enslave":
        enslave(client, str(op), port, client.ifindex(op.changes["bridge"]))
    else:
        brport_set(client, str(op), port, **op.changes)


# How each op kind beside links is executed, by Op.kind (the engine's SIDE_KINDS; a unit test holds them equal).
SIDE_APPLY = {"ingress-qdisc": apply_redirect_op, "redirect": apply_redirect_op, "brport": apply_brport_op}


def enslave(client, action, ifindex, master):
    try:
        client.link_set(action, ifindex, master=master)
        client.pipeline.flush()  # sent now: a refusal needs the hints below, not the generic ones
    except KernelError as exc:
        if exc.action != action or exc.code not in ENSLAVE_HINTS:
            raise
        raise KernelError(action, exc.code, ENSLAVE_HINTS[exc.code])


def brport_set(client, action, ifindex, **flags):
    """Set bridge-port flags given in user terms (see BRPORT_KEYWORDS)."""
    with kernel_call(action):
        client.ipr.brport("set", index=ifindex,
                          **dict((BRPORT_KEYWORDS[name], int(value)) for name, value in flags.items()))
