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
from contextlib import contextmanager

try:
    from pyroute2 import IPRoute, NetlinkError
    from pyroute2 import netns as pyroute2_netns
    HAS_PYROUTE2 = True
    PYROUTE2_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by ansible-test import sanity
    HAS_PYROUTE2 = False
    PYROUTE2_IMPORT_ERROR = exc

from ansible_collections.vnet.linux.plugins.module_utils._model import Link, VnetError

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


def describe_errno(code):
    name = errno.errorcode.get(code, str(code))
    return "%s [%s]" % (ERRNO_HINTS.get(code, os.strerror(code)), name)


class KernelError(VnetError):
    """A netlink request failed; carries the errno so callers can react."""

    def __init__(self, action, code):
        self.code = code
        super().__init__("%s failed: %s" % (action, describe_errno(code)))


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


def valid_nsid(reply):
    nsid = reply and reply.get("nsid")
    return None if nsid is None or nsid < 0 else nsid


def address_of(msg):
    address = msg.get_attr("IFA_LOCAL") or msg.get_attr("IFA_ADDRESS")
    return "%s/%d" % (address, msg["prefixlen"])


def netns_target(name):
    """How to tell the kernel 'move into this namespace': a name, or our own (pid) namespace."""
    return {"net_ns_fd": name} if name else {"net_ns_pid": os.getpid()}
