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
import random
import socket
import struct
from contextlib import contextmanager
from itertools import groupby

from ansible_collections.vnet.linux.plugins.module_utils._model import Link, VnetError
from ansible_collections.vnet.linux.plugins.module_utils._pyroute2 import HAS_PYROUTE2

if HAS_PYROUTE2:
    from ansible_collections.vnet.linux.plugins.module_utils._pyroute2 import (
        NetlinkError, link_message_class, new_request_compiler, open_iproute, pyroute2_netns)

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
        self.action, self.code = action, code
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
    return sorted(pyroute2_netns().listnetns())


def create_netns(name):
    with netns_call("create network namespace %r" % name):
        pyroute2_netns().create(name)


def remove_netns(name):
    with netns_call("delete network namespace %r" % name):
        pyroute2_netns().remove(name)


@contextmanager
def netns_call(action):
    """kernel_call() for making and removing named namespaces (unshare, mount): EPERM means no CAP_SYS_ADMIN."""
    try:
        with kernel_call(action):
            yield
    except KernelError as exc:
        if exc.code != errno.EPERM:
            raise
        raise KernelError(action, exc.code, "operation not permitted: a named network namespace needs CAP_SYS_ADMIN "
                                            "to create or delete (run as root, become: true)")


def netns_exists(name):
    """Whether the named namespace has its /run/netns entry (a deleted one may live on in open sockets)."""
    return os.path.exists(netns_path(name))


def netns_path(name):
    return os.path.join(NETNS_RUN_DIR, name)


@contextmanager
def inside_netns(netns):
    """Run the block in ``netns`` (this thread; the namespace must exist): sockets opened meanwhile
    live there. No helper process, unlike pyroute2's netns= sockets (a fork each, ~5 ms on a host)."""
    if netns is None:
        yield
        return
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        enter_netns_at(netns_path(netns))
        try:
            yield
        finally:
            setns(home)
    finally:
        os.close(home)


def enter_netns_at(path):
    target = os.open(path, os.O_RDONLY)
    try:
        setns(target)
    finally:
        os.close(target)


CLONE_NEWNET = 0x40000000


def setns(fd):
    """setns(2) into the network namespace open at ``fd``: os.setns from Python 3.12, libc's before
    (ctypes: basic.py has imported it already). Not pyroute2's setns: to find libc, it runs
    ``ldconfig -p`` in every module run."""
    if hasattr(os, "setns"):
        os.setns(fd, CLONE_NEWNET)
        return
    import ctypes
    if ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWNET) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


# rtnetlink numbers the lean link dump needs (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h).
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
RTM_NEWLINK, RTM_GETLINK = 16, 18
NLMSGHDR = struct.Struct("=IHHII")
IFINFOMSG = struct.Struct("=BxHiII")
NLA = struct.Struct("=HH")
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_MASTER, IFLA_LINKINFO = 1, 3, 4, 5, 10, 18
IFLA_GROUP, IFLA_EXT_MASK, IFLA_LINK_NETNSID = 27, 29, 37
RTEXT_FILTER_SKIP_STATS = 1 << 3
IFLA_INFO_KIND = 1
RTM_GETADDR = 22
IFADDRMSG = struct.Struct("=BBBBI")
IFA_ADDRESS, IFA_LOCAL = 1, 2
NLA_TYPE_MASK = 0x3FFF
U32, S32 = struct.Struct("=I"), struct.Struct("=i")


def parse_link(buf, offset, length):
    """One RTM_NEWLINK message (raw) -> Link. Only the attributes the engine reads are decoded:
    pyroute2's full decode of stats, af_spec etc. costs ~0.4 ms a link, which a 2000-link
    dump cannot afford; IFLA_LINKINFO (kind-specific data) still goes through pyroute2.
    A link message has ~40 attributes and the engine reads 8: the walk is inline and a table
    lookup skips the rest (2000 links: ~26 ms, against ~33 ms through walk_nlas and a chain of ifs)."""
    index, flags = IFINFOMSG.unpack_from(buf, offset + NLMSGHDR.size)[2:4]
    link = Link(name=None, ifindex=index, up=bool(flags & IFF_UP))
    unpack_header, reader_of = NLA.unpack_from, LINK_READERS.get
    position, end = offset + NLMSGHDR.size + IFINFOMSG.size, offset + length
    while position + NLA.size <= end:
        size, nla_type = unpack_header(buf, position)
        if size < NLA.size:
            break
        reader = reader_of(nla_type & NLA_TYPE_MASK)
        if reader is not None:
            reader(link, buf, position + NLA.size, position + size)
        position += (size + 3) & ~3
    return link


def read_name(link, buf, start, end):
    link.name = bytes(buf[start:end]).split(b"\0", 1)[0].decode("utf-8", "replace")


def read_mac(link, buf, start, end):
    link.mac = ":".join("%02x" % octet for octet in bytes(buf[start:end]))


def read_u32(field):
    def read(link, buf, start, end):
        setattr(link, field, U32.unpack_from(buf, start)[0])
    return read


def read_netnsid(link, buf, start, end):
    link.link_netnsid = S32.unpack_from(buf, start)[0]


def read_linkinfo_nla(link, buf, start, end):
    read_linkinfo(link, bytes(buf[start - NLA.size:end]))


# IFLA_* -> reader(link, buf, payload start, payload end)
LINK_READERS = {
    IFLA_IFNAME: read_name, IFLA_ADDRESS: read_mac, IFLA_MTU: read_u32("mtu"), IFLA_MASTER: read_u32("master"),
    IFLA_LINK: read_u32("parent"), IFLA_GROUP: read_u32("group"), IFLA_LINK_NETNSID: read_netnsid,
    IFLA_LINKINFO: read_linkinfo_nla,
}


def read_linkinfo(link, raw):
    nested = list(walk_nlas(raw, NLA.size, len(raw)))
    if [attr[0] for attr in nested] == [IFLA_INFO_KIND]:  # veth, ifb...: no data to decode
        link.kind = raw[nested[0][1]:nested[0][2]].split(b"\0", 1)[0].decode("ascii")
        return
    info = link_message_class().ifinfo(raw)
    info.decode()
    link.kind = info.get_attr("IFLA_INFO_KIND")
    link.data = nla_dict(info.get_attr("IFLA_INFO_DATA"))
    link.slave_kind = info.get_attr("IFLA_INFO_SLAVE_KIND")
    link.slave_data = nla_dict(info.get_attr("IFLA_INFO_SLAVE_DATA"))


def walk_nlas(buf, offset, end):
    """(type, payload start, payload end) of each attribute between offset and end."""
    while offset + NLA.size <= end:
        length, nla_type = NLA.unpack_from(buf, offset)
        if length < NLA.size:
            break
        yield nla_type & NLA_TYPE_MASK, offset + NLA.size, offset + length
        offset += (length + 3) & ~3


def walk_messages(buf, size):
    """(type, offset, length) of each netlink message in one datagram."""
    offset = 0
    while offset + NLMSGHDR.size <= size:
        length, msg_type = NLMSGHDR.unpack_from(buf, offset)[:2]
        if length < NLMSGHDR.size:
            break
        yield msg_type, offset, length
        offset += (length + 3) & ~3


def nla_dict(nla):
    """Flatten an NLA container into {IFLA_*: value}; pyroute2 leaves plain values as-is."""
    if nla is None or isinstance(nla, (str, bytes, int)):
        return {}
    return dict((name, value) for name, value in nla.get("attrs", []))


class Pipeline:
    """Keeps queued requests in order across namespaces: at most one client holds unsent
    requests, and it sends them before any other client (or any direct request) goes first."""

    def __init__(self):
        self.holder = None

    def claim(self, client):
        if self.holder is not None and self.holder is not client:
            self.holder.flush()
        self.holder = client

    def flush(self):
        if self.holder is not None:
            holder, self.holder = self.holder, None
            holder.flush()


class NetlinkClient:
    """rtnetlink sockets inside ``netns`` when given (never creating it), opened on first use:
    pyroute2 forks to open a socket in another namespace, and read-only work needs one only.

    Link and address writes are queued and sent in batches (many requests per send, acks read
    in bulk): one request with a blocking ack each costs ~1.4 ms in pyroute2, a batched one ~0.1.
    Every direct request (``self.ipr``) sends the queue first, so the kernel sees program order."""

    def __init__(self, netns=None, pipeline=None):
        self.netns = netns
        if netns is not None and not netns_exists(netns):
            raise VnetError("network namespace %r does not exist (create it first, "
                            "e.g. with vnet.linux.vnet_netns)" % netns)
        self._ipr = None
        self._raw = None
        self._compiler = None
        self.pipeline = pipeline or Pipeline()
        self.queued = []        # (action, encoded request, name of the device it deletes or None)
        self.known = {}         # name -> ifindex, from the last dump and lookups since
        self.groups = None      # the device groups in use at the last dump (None: no dump yet)

    @property
    def ipr(self):
        self.pipeline.flush()
        if self._ipr is None:
            with kernel_call("open netlink socket in netns %r" % (self.netns or "(current)")):
                # a namespace that vanished since the check is an error, never re-created.
                self._ipr = open_iproute(self.netns)
        return self._ipr

    def close(self):
        for sock in (self._ipr, self._raw, self._compiler):
            if sock is not None:
                sock.close()

    def raw_socket(self):
        """A plain rtnetlink socket in the same namespace, for dumps parsed without pyroute2's full
        decoder and for batched writes."""
        if self._raw is None:
            with kernel_call("open netlink socket in netns %r" % (self.netns or "(current)")), inside_netns(self.netns):
                self._raw = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
                self._raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
                self._raw.bind((0, 0))
        return self._raw

    def dump(self, msg_type, body):
        """Raw messages of one dump request: yields (buffer, offset, length) per message."""
        self.pipeline.flush()  # a dump must see every write queued before it
        sock = self.raw_socket()
        sock.send(NLMSGHDR.pack(NLMSGHDR.size + len(body), msg_type, NLM_F_REQUEST | NLM_F_DUMP, 1, 0) + body)
        buf = bytearray(1 << 20)
        while True:
            size = sock.recv_into(buf)
            for reply_type, offset, length in walk_messages(buf, size):
                if reply_type == NLMSG_DONE:
                    return
                if reply_type == NLMSG_ERROR:
                    raise NetlinkError(-S32.unpack_from(buf, offset + NLMSGHDR.size)[0])
                yield buf, offset, length

    # --- have -----------------------------------------------------------
    def links(self):
        """All links of the namespace by name, addresses attached: one dump per family."""
        with kernel_call("dump links"):
            links = dict((link.name, link) for link in (
                parse_link(buf, offset, length)
                for buf, offset, length in self.dump(RTM_GETLINK, LINK_DUMP_REQUEST)))
        self.known = dict((name, link.ifindex) for name, link in links.items())
        self.groups = set(link.group for link in links.values())
        by_index = dict((link.ifindex, link) for link in links.values())
        with kernel_call("dump addresses"):
            for buf, offset, length in self.dump(RTM_GETADDR, IFADDRMSG.pack(0, 0, 0, 0, 0)):
                index, cidr = parse_address(buf, offset, length)
                if index in by_index:
                    by_index[index].addresses.append(cidr)
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
        if name not in self.known:
            with kernel_call("look up interface %s" % name):
                self.known[name] = self.ipr.link("get", ifname=name)[0]["index"]
        return self.known[name]

    def link_add(self, action, **request):
        if queueable(request):
            self.queue(action, encode_newlink(request) or self.compile("add", request))
            return
        with kernel_call(action):
            self.ipr.link("add", **request)

    def link_set(self, action, ifindex, **changes):
        if not queueable(changes):
            with kernel_call(action):
                self.ipr.link("set", index=ifindex, **changes)
            if "net_ns_fd" in changes or "net_ns_pid" in changes:
                self.forget_index(ifindex)
            return
        self.queue(action, self.compile("set", dict(changes, index=ifindex)))

    def link_set_by_name(self, action, name, **changes):
        if set(changes) <= set(SETLINK_FIELDS):  # the common case, encoded without pyroute2's request layer
            self.queue(action, encode_setlink(name, **changes))
        else:
            self.queue(action, self.compile("set", dict(changes, ifname=name)))

    def link_del_by_name(self, action, name):
        self.known.pop(name, None)
        self.queue(action, encode_dellink(name=name), deletes=name)

    def forget_index(self, ifindex):
        for name in [name for name, index in self.known.items() if index == ifindex]:
            del self.known[name]

    # --- batching ---------------------------------------------------------
    def compile(self, command, request, family="link"):
        """Encode one request with pyroute2 without sending it (its IPBatch compiler)."""
        if self._compiler is None:
            self._compiler = new_request_compiler()
        self._compiler.reset()
        getattr(self._compiler, family)(command, **request)
        return bytes(self._compiler.batch)

    def queue(self, action, data, deletes=None):
        self.pipeline.claim(self)
        self.queued.append((action, data, deletes))

    def flush(self):
        """Send queued requests in chunks, then read their acks; the first refusal raises."""
        queued, self.queued = group_deletes(self.queued, self.groups), []
        if self.pipeline.holder is self:
            self.pipeline.holder = None
        sock = self.raw_socket()
        for start in range(0, len(queued), BATCH_CHUNK):
            chunk = queued[start:start + BATCH_CHUNK]
            payload = bytearray()
            for seq, request in enumerate(chunk, start + 1):
                message = bytearray(request[1])
                NLMSGHDR_SEQ.pack_into(message, 8, seq)
                payload += message
            sock.send(payload)
            failures = read_acks(sock, start + 1, start + len(chunk))
            if failures:
                seq, code = failures[0]
                raise KernelError(queued[seq - 1][0], code)

    def addr(self, command, ifindex, cidr):
        address, prefixlen = cidr.split("/")
        request = {"index": ifindex, "address": address, "prefixlen": int(prefixlen)}
        self.queue("%s address %s" % (command, cidr), self.compile(command, request, family="addr"))


BATCH_CHUNK = 256  # requests per send: their acks fit the receive buffer with room to spare
NLMSGHDR_SEQ = struct.Struct("=I")


SETLINK_FIELDS = ("mtu", "address", "flags", "change")
RTM_DELLINK, RTM_SETLINK = 17, 19
NLM_F_ACK = 0x4


def encode_setlink(name, mtu=None, address=None, flags=0, change=0, group=None):
    """RTM_SETLINK by name (index 0): up/down, mtu, MAC and group, as iproute2 sends it."""
    body = IFINFOMSG.pack(0, 0, 0, flags, change) + link_attrs(name, mtu, address, group)
    return NLMSGHDR.pack(NLMSGHDR.size + len(body), RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK, 0, 0) + body


def group_deletes(queued, groups):
    """The (action, request) list to send for a queue: each run of two or more deletes by name
    becomes one group delete, when the namespace's groups in use are known.

    The kernel deletes devices one request at a time in ~20 ms each (every delete waits for RCU
    grace periods), and a whole device group in one pass that waits once: 1000 veth pairs in
    ~1 s instead of ~20 s. The run's devices move into a group no device of the namespace was
    in at the last dump, then that group is deleted. A device another writer deleted meanwhile
    fails its move with ENODEV, as its delete would have."""
    requests = []
    for deleting, run in groupby(queued, key=lambda entry: entry[2] is not None):
        run = list(run)
        if deleting and len(run) > 1 and groups is not None:
            group = unused_group(groups)
            requests.extend((action, encode_setlink(name, group=group)) for action, _request, name in run)
            requests.append(("%s, and %d more deletes in the same request" % (run[0][0], len(run) - 1),
                             encode_dellink(group=group)))
        else:
            requests.extend((action, data) for action, data, _name in run)
    return requests


def unused_group(groups):
    """A device group not in ``groups``, picked at random so that two runs at once pick different ones
    (0 is every device's default; low numbers are the ones people assign)."""
    while True:
        group = random.randrange(1 << 16, 1 << 32)
        if group not in groups:
            return group


def encode_dellink(name=None, group=None):
    """RTM_DELLINK by name, or of every device in ``group`` (index 0, no name), as iproute2 sends them."""
    body = IFINFOMSG.pack(0, 0, 0, 0, 0) + link_attrs(name, group=group)
    return NLMSGHDR.pack(NLMSGHDR.size + len(body), RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, 0, 0) + body


RTM_NEWLINK_FLAGS = NLM_F_REQUEST | NLM_F_ACK | 0x400 | 0x200  # NLM_F_CREATE | NLM_F_EXCL
IFLA_INFO_DATA, VETH_INFO_PEER = 2, 1
NEWLINK_FIELDS = ("ifname", "kind", "mtu", "address", "flags", "change", "peer")


def encode_newlink(request):
    """RTM_NEWLINK for the kinds with no data of their own (bridge, ifb, dummy) and veth (the peer's
    name and mtu), as iproute2 sends it; None for anything else (pyroute2 encodes those)."""
    peer = request.get("peer")
    if not set(request) <= set(NEWLINK_FIELDS) or (peer is not None and (request["kind"] != "veth"
                                                                         or not set(peer) <= {"ifname", "mtu"})):
        return None
    info = nla_bytes(IFLA_INFO_KIND, request["kind"].encode("ascii") + b"\0")
    if peer is not None:
        peer_msg = IFINFOMSG.pack(0, 0, 0, 0, 0) + link_attrs(peer["ifname"], peer.get("mtu"))
        info += nla_bytes(IFLA_INFO_DATA, nla_bytes(VETH_INFO_PEER, peer_msg))
    body = (IFINFOMSG.pack(0, 0, 0, request.get("flags", 0), request.get("change", 0))
            + link_attrs(request["ifname"], request.get("mtu"), request.get("address"))
            + nla_bytes(IFLA_LINKINFO, info))
    return NLMSGHDR.pack(NLMSGHDR.size + len(body), RTM_NEWLINK, RTM_NEWLINK_FLAGS, 0, 0) + body


def link_attrs(name, mtu=None, address=None, group=None):
    """The attributes of a link request; no name (None) for a request about a whole group."""
    attrs = nla_bytes(IFLA_IFNAME, name.encode("utf-8") + b"\0") if name is not None else b""
    if mtu is not None:
        attrs += nla_bytes(IFLA_MTU, U32.pack(mtu))
    if address is not None:
        attrs += nla_bytes(IFLA_ADDRESS, bytes(int(octet, 16) for octet in address.split(":")))
    if group is not None:
        attrs += nla_bytes(IFLA_GROUP, U32.pack(group))
    return attrs


def nla_bytes(nla_type, payload):
    length = NLA.size + len(payload)
    return NLA.pack(length, nla_type) + payload + b"\0" * ((4 - length % 4) % 4)


# Without the per-link IPv6 counters (inside IFLA_AF_SPEC) nobody reads: a quarter less of each message to
# build and receive (a kernel that predates the flag ignores it).
LINK_DUMP_REQUEST = IFINFOMSG.pack(0, 0, 0, 0, 0) + nla_bytes(IFLA_EXT_MASK, U32.pack(RTEXT_FILTER_SKIP_STATS))


def queueable(request):
    """Requests the kernel takes over netlink as they are: not tun/tap (pyroute2 creates those by
    ioctl) and not ones naming a namespace by fd (pyroute2 opens the fd while encoding)."""
    if request.get("kind") in ("tuntap", "tun"):
        return False
    peer = request.get("peer")
    moves = ("net_ns_fd", "net_ns_pid")
    return not any(key in request for key in moves) and not (isinstance(peer, dict) and any(k in peer for k in moves))


def read_acks(sock, first, last):
    """Read the acks of requests first..last; returns [(seq, errno)] of the refused ones."""
    pending, failures = set(range(first, last + 1)), []
    buf = bytearray(1 << 20)
    while pending:
        size = sock.recv_into(buf)
        for msg_type, offset in (message[:2] for message in walk_messages(buf, size)):
            if msg_type != NLMSG_ERROR:
                continue
            seq = NLMSGHDR.unpack_from(buf, offset)[3]
            code = -S32.unpack_from(buf, offset + NLMSGHDR.size)[0]
            if seq in pending:
                pending.discard(seq)
                if code:
                    failures.append((seq, code))
    return sorted(failures)


def valid_nsid(reply):
    nsid = reply and reply.get("nsid")
    return None if nsid is None or nsid < 0 else nsid


def parse_address(buf, offset, length):
    """One RTM_NEWADDR message (raw) -> (ifindex, 'address/prefixlen'). IFA_LOCAL is the
    interface's own address where present (point-to-point), IFA_ADDRESS otherwise (IPv6)."""
    header = IFADDRMSG.unpack_from(buf, offset + NLMSGHDR.size)
    family, prefixlen, index = header[0], header[1], header[4]
    found = {}
    for nla_type, start, end in walk_nlas(buf, offset + NLMSGHDR.size + IFADDRMSG.size, offset + length):
        if nla_type in (IFA_ADDRESS, IFA_LOCAL):
            found[nla_type] = socket.inet_ntop(family, bytes(buf[start:end]))
    return index, "%s/%d" % (found.get(IFA_LOCAL) or found.get(IFA_ADDRESS), prefixlen)


def netns_target(name):
    """How to tell the kernel 'move into this namespace': a name, or our own (pid) namespace."""
    return {"net_ns_fd": name} if name else {"net_ns_pid": os.getpid()}
