# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that talks to the kernel: a thin pyroute2 client.

Everything else in the collection works on the plain data this module returns
(``Link`` records and address strings), so the planner stays pure and testable.
"""

from __future__ import annotations

import errno
import os
import socket
from contextlib import contextmanager

try:
    from pyroute2 import IPRoute, NetlinkError
    from pyroute2 import netns as pyroute2_netns
    HAS_PYROUTE2 = True
    PYROUTE2_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by ansible-test import sanity
    HAS_PYROUTE2 = False
    PYROUTE2_IMPORT_ERROR = exc

from ansible_collections.vnet.linux.plugins.module_utils._model import Ingress, Link, TcFilter, VnetError

IFF_UP = 0x1
NETNS_RUN_DIR = "/run/netns"

# What the kernel means by an errno in the context of link/address/tc work.
ERRNO_HINTS = {
    errno.EEXIST: "it already exists",
    errno.EBUSY: "the device is busy (for example it has macvlan/ipvlan uppers, "
                 "is enslaved elsewhere, or is held open by a process)",
    errno.ENODEV: "no such device (it disappeared or was never there)",
    errno.ENOENT: "no such object",
    errno.EOPNOTSUPP: "the kernel lacks support for this (missing driver or feature)",
    errno.EPERM: "operation not permitted: needs CAP_NET_ADMIN (run as root, become: true)",
    errno.EACCES: "permission denied: needs CAP_NET_ADMIN (run as root, become: true)",
    errno.EINVAL: "the kernel rejected the arguments",
    errno.EADDRNOTAVAIL: "address not available on this interface",
}


def describe_errno(code, hint=None):
    name = errno.errorcode.get(code, str(code))
    return "%s [%s]" % (hint or ERRNO_HINTS.get(code, os.strerror(code)), name)



class KernelError(VnetError):
    """A netlink request failed; carries the errno so callers can react."""

    def __init__(self, action, code, hint=None):
        self.code = code
        super().__init__("%s failed: %s" % (action, describe_errno(code, hint)))


@contextmanager
def kernel_call(action):
    """Translate pyroute2/OS errors raised by one request into KernelError."""
    try:
        yield
    except NetlinkError as exc:
        raise KernelError(action, exc.code)
    except OSError as exc:
        raise KernelError(action, exc.errno or errno.EIO)


def list_netns():
    return sorted(pyroute2_netns.listnetns())


def create_netns(name):
    with kernel_call("create network namespace %r" % name):
        pyroute2_netns.create(name)


def remove_netns(name):
    with kernel_call("delete network namespace %r" % name):
        pyroute2_netns.remove(name)


def netns_path(name):
    return os.path.join(NETNS_RUN_DIR, name)


def parse_link(msg):
    """Turn one RTM_NEWLINK message into a Link (kernel attributes, no strings from tools)."""
    info = msg.get_attr("IFLA_LINKINFO")
    kind, data, slave_kind, slave_data = None, {}, None, {}
    if info is not None:
        kind = info.get_attr("IFLA_INFO_KIND")
        data = nla_dict(info.get_attr("IFLA_INFO_DATA"))
        slave_kind = info.get_attr("IFLA_INFO_SLAVE_KIND")
        slave_data = nla_dict(info.get_attr("IFLA_INFO_SLAVE_DATA"))
    return Link(
        name=msg.get_attr("IFLA_IFNAME"),
        ifindex=msg["index"],
        kind=kind,
        up=bool(msg["flags"] & IFF_UP),
        mtu=msg.get_attr("IFLA_MTU"),
        mac=msg.get_attr("IFLA_ADDRESS"),
        master=msg.get_attr("IFLA_MASTER"),
        parent=msg.get_attr("IFLA_LINK"),
        link_netnsid=msg.get_attr("IFLA_LINK_NETNSID"),
        data=data,
        slave_kind=slave_kind,
        slave_data=slave_data,
    )


def nla_dict(nla):
    """Flatten an NLA container into {IFLA_*: value}; pyroute2 leaves plain values as-is."""
    if nla is None or isinstance(nla, (str, bytes, int)):
        return {}
    return dict((name, value) for name, value in nla.get("attrs", []))


class NetlinkClient:
    """One rtnetlink socket, opened inside ``netns`` when given (never creating it)."""

    def __init__(self, netns=None):
        self.netns = netns
        if netns is not None and not os.path.exists(netns_path(netns)):
            raise VnetError("network namespace %r does not exist (create it first, "
                            "e.g. with vnet.linux.vnet_netns)" % netns)
        with kernel_call("open netlink socket in netns %r" % (netns or "(current)")):
            # flags=0: a namespace that vanished since the check is an error, never re-created.
            self.ipr = IPRoute(netns=netns, flags=0) if netns else IPRoute()

    def close(self):
        self.ipr.close()

    # --- have -----------------------------------------------------------
    def links(self):
        """All links of the namespace by name, addresses attached: one dump per family."""
        with kernel_call("dump links"):
            links = dict((link.name, link) for link in map(parse_link, self.ipr.link("dump")))
        by_index = dict((link.ifindex, link) for link in links.values())
        with kernel_call("dump addresses"):
            for msg in self.ipr.addr("dump"):
                link = by_index.get(msg["index"])
                if link is not None:
                    link.addresses.append(address_of(msg))
        return links

    def netnsid_of(self, name):
        """The nsid this namespace uses for the named netns, or None if it has none yet."""
        fd = os.open(netns_path(name), os.O_RDONLY)
        try:
            with kernel_call("look up the id of netns %r" % name):
                return valid_nsid(self.ipr.get_netnsid(fd=fd))
        finally:
            os.close(fd)

    def own_netnsid(self):
        """The nsid this namespace uses for the namespace the module process runs in."""
        with kernel_call("look up the id of the module's own netns"):
            return valid_nsid(self.ipr.get_netnsid(pid=os.getpid()))

    # --- apply ----------------------------------------------------------
    def ifindex(self, name):
        with kernel_call("look up interface %s" % name):
            return self.ipr.link("get", ifname=name)[0]["index"]

    def link_add(self, action, **request):
        with kernel_call(action):
            self.ipr.link("add", **request)

    def link_set(self, action, ifindex, **changes):
        with kernel_call(action):
            self.ipr.link("set", index=ifindex, **changes)

    def link_del(self, action, ifindex):
        with kernel_call(action):
            self.ipr.link("del", index=ifindex)

    def addr(self, command, ifindex, cidr):
        address, prefixlen = cidr.split("/")
        with kernel_call("%s address %s" % (command, cidr)):
            self.ipr.addr(command, index=ifindex, address=address, prefixlen=int(prefixlen))

    # --- tc: ingress redirects (vnet_ifb) --------------------------------
    def ingress(self):
        """Ingress-side qdiscs with their ingress filters by ifindex: one qdisc dump, then one
        filter dump per device that has such a qdisc."""
        with kernel_call("dump qdiscs"):
            hooks = dict((msg["index"], msg.get_attr("TCA_KIND")) for msg in self.ipr.tc("dump")
                         if msg["parent"] == TC_H_INGRESS and msg.get_attr("TCA_KIND") in INGRESS_PARENTS)
        return dict((ifindex, Ingress(qdisc, self.ingress_filters(ifindex, qdisc)))
                    for ifindex, qdisc in hooks.items())

    def ingress_filters(self, ifindex, qdisc):
        with kernel_call("dump ingress filters of ifindex %d" % ifindex):
            # get_filters(), not tc("dump-filter"): pyroute2 0.9.7's sync wrapper hands back an un-run
            # coroutine for every tc command but "dump".
            return [parse_filter(msg) for msg in self.ipr.get_filters(index=ifindex, parent=INGRESS_PARENTS[qdisc])]

    def ingress_qdisc_add(self, action, ifindex):
        with missing_feature(action, "the ingress qdisc (CONFIG_NET_SCH_INGRESS)"):
            self.ipr.tc("add", "ingress", ifindex, "ffff:")

    def ingress_qdisc_del(self, action, ifindex):
        with kernel_call(action):
            self.ipr.tc("del", "ingress", ifindex, "ffff:")

    def redirect_add(self, action, ifindex, qdisc, prio, to_ifindex):
        """A u32 match-all filter (this kernel has no matchall classifier) whose one action is a
        mirred egress redirect to ``to_ifindex``."""
        with missing_feature(action, "the u32 classifier or the mirred action "
                                     "(CONFIG_NET_CLS_U32, CONFIG_NET_ACT_MIRRED)"):
            self.ipr.tc("add-filter", "u32", ifindex, parent=INGRESS_PARENTS[qdisc], prio=prio, protocol=ETH_P_ALL,
                        target=0, keys=U32_MATCH_ALL, action=dict(MIRRED_EGRESS_REDIRECT, ifindex=to_ifindex))

    def redirect_del(self, action, ifindex, qdisc, prio, handle):
        """Delete one u32 node; when it was the last at ``prio``, also the empty hash table u32 may
        keep there (whether the kernel drops it by itself depends on the other tables on the hook)."""
        parent = INGRESS_PARENTS[qdisc]
        # pyroute2 builds u32 options even for a delete and needs a target to do so; the kernel ignores it.
        request = dict(parent=parent, prio=prio, protocol=ETH_P_ALL, target=0)
        with kernel_call(action):
            self.ipr.tc("del-filter", "u32", ifindex, handle=handle, **request)
        left = [f for f in self.ingress_filters(ifindex, qdisc) if f.prio == prio]
        if left and not any(f.node for f in left):
            with kernel_call("%s: drop the emptied u32 table at prio %d" % (action, prio)):
                self.ipr.tc("del-filter", "u32", ifindex, **request)

    # --- bridge ports (vnet_bridge_hairpin) ------------------------------
    def enslave(self, action, ifindex, master):
        try:
            self.link_set(action, ifindex, master=master)
        except KernelError as exc:
            if exc.code != errno.EBUSY:
                raise
            raise KernelError(action, exc.code, "the device is busy: a device that carries macvlan, macvtap or "
                                                "ipvlan devices (even ones moved to other namespaces) or is held by "
                                                "another master cannot become a bridge port")

    def brport_set(self, action, ifindex, **flags):
        """Set bridge-port flags given in user terms (see BRPORT_KEYWORDS)."""
        with kernel_call(action):
            self.ipr.brport("set", index=ifindex,
                            **dict((BRPORT_KEYWORDS[name], int(value)) for name, value in flags.items()))


def valid_nsid(reply):
    nsid = reply and reply.get("nsid")
    return None if nsid is None or nsid < 0 else nsid


def address_of(msg):
    address = msg.get_attr("IFA_LOCAL") or msg.get_attr("IFA_ADDRESS")
    return "%s/%d" % (address, msg["prefixlen"])


def netns_target(name):
    """How to tell the kernel 'move into this namespace': a name, or our own (pid) namespace."""
    return {"net_ns_fd": name} if name else {"net_ns_pid": os.getpid()}


# --- tc: ingress redirects (vnet_ifb) ------------------------------------
TC_H_INGRESS = 0xFFFFFFF1
# Where each ingress-side qdisc hangs its ingress filters: ingress at ffff:, clsact at its ffff:fff2 hook.
INGRESS_PARENTS = {"ingress": 0xFFFF0000, "clsact": 0xFFFFFFF2}
ETH_P_ALL = 0x0003
U32_MATCH_ALL = ["0x0/0x0+0"]
MIRRED_EGRESS_REDIRECT = {"kind": "mirred", "direction": "egress", "action": "redirect"}
TCA_EGRESS_REDIR = 1  # tc_mirred.h eaction of a mirred egress redirect
U32_NODE_MASK = 0xFFF


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
