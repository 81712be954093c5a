# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The generic-netlink families of IPVS and FOU (GUE receive ports): the other place touching pyroute2.

Each socket is opened inside its namespace (``_netlink.inside_netns``: setns(2), never
creating it). IPVS messages are packed and read here with ``struct`` on that plain
netlink socket, not with pyroute2: its NLA objects cost ~0.2 ms to encode and
~0.5 ms to read per message, its socket wrapper adds work to every send and
receive, and its netns sockets fork a helper process; together an order of
magnitude slower than ``ipvsadm -R`` for a 1000 services x 4 real servers table
(more under TCG). The IPVS family's id is looked up on that
socket too: pyroute2's generic-netlink socket imports asyncio and ssl (54 modules,
~60 ms of every vnet_ipvs_tun run, seconds under TCG) for that one request.
The layout is the kernel's uapi (include/uapi/linux/ip_vs.h); attribute values
are exchanged under their kernel names, so callers compare on kernel attributes:
``{"IPVS_*_ATTR_*": value}`` dicts, and for dumped real servers (the bulk of a
table) tuples of the values of the attributes the caller names. Writes go out
in batches in one send each: only failures and each batch's last request are
acked, so a batch costs one send and one receive.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
from collections import namedtuple
from operator import itemgetter

from ansible_collections.vnet.linux.plugins.module_utils._model import VnetError
from ansible_collections.vnet.linux.plugins.module_utils._netlink import KernelError, inside_netns, kernel_call
from ansible_collections.vnet.linux.plugins.module_utils._pyroute2 import HAS_PYROUTE2, genlmsg

if HAS_PYROUTE2:
    from ansible_collections.vnet.linux.plugins.module_utils._pyroute2 import (
        NetlinkError, open_generic_socket)

IPVS_MISSING = "IPVS is not available in this kernel (load ip_vs)"
FOU_MISSING = "FOU/GUE is not available in this kernel (load fou)"

NETLINK_GENERIC = 16
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK = 0x1, 0x2, 0x4
NLM_F_DUMP = 0x300
NLM_F_EXCL, NLM_F_CREATE = 0x200, 0x400
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLMSG_HDR = struct.Struct("=IHHII")
GENL_HDR = struct.Struct("=BBH")
NLA_HDR = struct.Struct("=HH")
NLA_TYPE_MASK = 0x3FFF  # without NLA_F_NESTED / NLA_F_NET_BYTEORDER

IPVS_CMD = {"new_service": 1, "set_service": 2, "del_service": 3, "get_service": 4,
            "new_dest": 5, "set_dest": 6, "del_dest": 7, "get_dest": 8}
IPVS_CMD_ATTR_SERVICE, IPVS_CMD_ATTR_DEST = 1, 2
IPVS_GENL_VERSION = 1
# nlctrl, the generic-netlink controller (include/uapi/linux/genetlink.h): family name -> id
GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_VERSION = 0x10, 3, 1
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2

Attr = namedtuple("Attr", "id codec")

# uapi enum values; the codec says how the kernel lays the payload out.
SERVICE_ATTRS = {
    "IPVS_SVC_ATTR_AF": Attr(1, "u16"),
    "IPVS_SVC_ATTR_PROTOCOL": Attr(2, "u16"),
    "IPVS_SVC_ATTR_ADDR": Attr(3, "bytes"),       # union nf_inet_addr, 16 bytes
    "IPVS_SVC_ATTR_PORT": Attr(4, "be16"),
    "IPVS_SVC_ATTR_FWMARK": Attr(5, "u32"),
    "IPVS_SVC_ATTR_SCHED_NAME": Attr(6, "str"),
    "IPVS_SVC_ATTR_FLAGS": Attr(7, "flags"),      # struct ip_vs_flags {flags, mask}
    "IPVS_SVC_ATTR_TIMEOUT": Attr(8, "u32"),
    "IPVS_SVC_ATTR_NETMASK": Attr(9, "bytes"),    # __be32 mask (IPv4) or prefix length (IPv6)
    "IPVS_SVC_ATTR_STATS64": Attr(12, "stats"),
}
DEST_ATTRS = {
    "IPVS_DEST_ATTR_ADDR": Attr(1, "bytes"),
    "IPVS_DEST_ATTR_PORT": Attr(2, "be16"),
    "IPVS_DEST_ATTR_FWD_METHOD": Attr(3, "u32"),
    "IPVS_DEST_ATTR_WEIGHT": Attr(4, "u32"),
    "IPVS_DEST_ATTR_U_THRESH": Attr(5, "u32"),
    "IPVS_DEST_ATTR_L_THRESH": Attr(6, "u32"),
    "IPVS_DEST_ATTR_ACTIVE_CONNS": Attr(7, "u32"),
    "IPVS_DEST_ATTR_INACT_CONNS": Attr(8, "u32"),
    "IPVS_DEST_ATTR_PERSIST_CONNS": Attr(9, "u32"),
    "IPVS_DEST_ATTR_ADDR_FAMILY": Attr(11, "u16"),
    "IPVS_DEST_ATTR_STATS64": Attr(12, "stats"),
    "IPVS_DEST_ATTR_TUN_TYPE": Attr(13, "u8"),
    "IPVS_DEST_ATTR_TUN_PORT": Attr(14, "be16"),  # __be16 (pyroute2 declares it uint16: its htons trap)
    "IPVS_DEST_ATTR_TUN_FLAGS": Attr(15, "u16"),
}
STATS_ATTRS = {
    "IPVS_STATS_ATTR_CONNS": Attr(1, "u64"),
    "IPVS_STATS_ATTR_INPKTS": Attr(2, "u64"),
    "IPVS_STATS_ATTR_OUTPKTS": Attr(3, "u64"),
    "IPVS_STATS_ATTR_INBYTES": Attr(4, "u64"),
    "IPVS_STATS_ATTR_OUTBYTES": Attr(5, "u64"),
}
SCALARS = {"u8": struct.Struct("=B"), "u16": struct.Struct("=H"), "u32": struct.Struct("=I"),
           "u64": struct.Struct("=Q"), "be16": struct.Struct("!H"), "flags": struct.Struct("=II")}

# A real-server dump request, packed whole (a table read sends one per service): netlink and
# generic-netlink headers, the service nest's header, then its key attributes (header, value, padding;
# the port is big-endian on the wire, packed here as the native u16 htons gives).
DUMP_HEADERS_SIZE = NLMSG_HDR.size + GENL_HDR.size
NLA_U16_SIZE, NLA_U32_SIZE, NLA_ADDR_SIZE = NLA_HDR.size + 2, NLA_HDR.size + 4, NLA_HDR.size + 16  # unpadded
DEST_DUMP_BY_ADDRESS = struct.Struct("=IHHIIBBHHH" + "HHH2x" + "HHH2x" + "HH16s" + "HHH2x")
DEST_DUMP_BY_FWMARK = struct.Struct("=IHHIIBBHHH" + "HHH2x" + "HHI")

# Failures are acked one datagram each (with the request echoed): a batch's worth must fit the
# receive buffer (rmem_max is 208 KiB by default, an error costs ~1 KiB of it), or the kernel drops them.
BATCH_SIZE = 128
SOCKET_BUFFER = 1 << 20
RECV_SIZE = 1 << 16  # the kernel's dump datagrams are at most 32 KiB
REPLY_TIMEOUT_S = 120  # generous: the VM tier emulates the CPU

# What an errno means for an IPVS request.
IPVS_ERRNO_HINTS = {
    errno.ESRCH: "no such virtual service",
    errno.ENOENT: "no such real server, or the kernel has no module for the scheduler",
    errno.EEXIST: "it already exists",
    errno.ERANGE: "a weight or threshold is out of range",
    errno.EAFNOSUPPORT: "the address family is not supported (IPv6 disabled?)",
    errno.EINVAL: "the kernel rejected the arguments",
    errno.EPERM: "operation not permitted: needs CAP_NET_ADMIN (run as root, become: true)",
}


class IpvsError(VnetError):
    """One IPVS request failed; carries the errno so callers can react (races, hints)."""

    def __init__(self, action, code, hint=None):
        self.code = code
        hint = hint or IPVS_ERRNO_HINTS.get(code, os.strerror(code))
        super().__init__("%s failed: %s [%s]" % (action, hint, errno.errorcode.get(code, str(code))))


class KernelFeatureMissing(VnetError):
    """The kernel has no such generic-netlink family (IPVS, FOU): its module is not loaded or not built."""


# --- codec ---------------------------------------------------------------

def nla(attr_id, payload):
    length = NLA_HDR.size + len(payload)
    return NLA_HDR.pack(length, attr_id) + payload + b"\0" * (-length % 4)


def encode_attrs(table, attrs):
    parts = []
    for name, value in attrs.items():
        attr = table[name]
        if attr.codec == "bytes":
            payload = value
        elif attr.codec == "str":
            payload = value.encode("ascii") + b"\0"
        elif attr.codec == "flags":
            payload = SCALARS["flags"].pack(*value)
        elif attr.codec == "stats":
            payload = encode_attrs(STATS_ATTRS, value)
        else:
            payload = SCALARS[attr.codec].pack(value)
        parts.append(nla(attr.id, payload))
    return b"".join(parts)


def decoder(table):
    """{attr id: (name, codec)} for decode_attrs."""
    return dict((attr.id, (name, attr.codec)) for name, attr in table.items())


SERVICE_DECODER, DEST_DECODER, STATS_DECODER = decoder(SERVICE_ATTRS), decoder(DEST_ATTRS), decoder(STATS_ATTRS)
CTRL_DECODER = {CTRL_ATTR_FAMILY_ID: ("CTRL_ATTR_FAMILY_ID", "u16")}


def decode_attrs(data, offset, end, table):
    """{name: value} for the attributes in data[offset:end] that ``table`` knows; others skipped. The
    counters of the record's stats nest (one per record) are flattened in: {"IPVS_STATS_ATTR_CONNS": n}."""
    attrs = {}
    unpack_header = NLA_HDR.unpack_from
    while offset + 4 <= end:
        length, attr_type = unpack_header(data, offset)
        if length < 4:
            break
        known = table.get(attr_type & NLA_TYPE_MASK)
        if known is not None:
            name, codec = known
            start, stop = offset + 4, offset + length
            if codec == "bytes":
                attrs[name] = bytes(data[start:stop])
            elif codec == "str":
                attrs[name] = bytes(data[start:stop]).split(b"\0", 1)[0].decode("ascii")
            elif codec == "stats":
                attrs.update(decode_attrs(data, start, stop, STATS_DECODER))
            elif codec == "flags":
                attrs[name] = SCALARS["flags"].unpack_from(data, start)
            else:
                attrs[name] = SCALARS[codec].unpack_from(data, start)[0]
        offset += (length + 3) & ~3
    return attrs


class Layout:
    """The attribute layout of one dump record, learned from a walk of decode_attrs' kind. Dumps repeat
    a layout thousands of times; a record with the same size and the same attribute headers at the same
    places is read with three struct calls instead of Python work per attribute (which dominates under TCG)."""

    FORMATS = {"u8": "B", "u16": "H", "u32": "I", "u64": "Q", "be16": "H", "bytes": "%ds", "str": "%ds", "flags": "II"}

    def __init__(self, data, offset, end, table):
        self.start = offset
        self.headers, self.expected = ["="], []
        self.native, self.network = [], []  # (offset in the record, format, names): be16 values are network order
        self.strings, self.pairs = [], []
        self.row_getters = {}
        self.usable = self.learn(data, offset, end, table)
        if self.usable:
            self.header_struct = struct.Struct("".join(self.headers))
            self.expected = tuple(self.expected)
            self.native_struct, self.network_struct = record_struct("=", self.native), record_struct("!", self.network)
            self.names = [name for _offset, _fmt, names in self.native + self.network for name in names]

    def learn(self, data, offset, end, table):
        while offset < end:
            length, attr_type = NLA_HDR.unpack_from(data, offset)
            step = (length + 3) & ~3
            if length < 4 or offset + step > end:
                return False
            self.expected += (length, attr_type)
            known = table.get(attr_type & NLA_TYPE_MASK)
            if known is None:
                self.headers.append("HH%dx" % (step - 4))
            elif known[1] == "stats":
                self.headers.append("HH")
                if not self.learn(data, offset + 4, offset + length, STATS_DECODER):
                    return False
                self.headers.append("%dx" % (step - length))
            elif not self.learn_value(offset + 4 - self.start, known[0], known[1], length - 4, step - 4):
                return False
            offset += step
        return True

    def learn_value(self, offset, key, codec, size, room):
        fmt = self.FORMATS[codec] % size if "%" in self.FORMATS[codec] else self.FORMATS[codec]
        if struct.calcsize("=" + fmt) != size:
            return False
        self.headers.append("HH%dx" % room)
        names = ((key, 0), (key, 1)) if codec == "flags" else (key,)
        (self.network if codec == "be16" else self.native).append((offset, fmt, names))
        {"str": self.strings, "flags": self.pairs}.get(codec, []).append(key)
        return True

    def values(self, data, offset):
        """The record's values in ``names`` order, or None if its headers differ from the learned ones."""
        if self.header_struct.unpack_from(data, offset) != self.expected:
            return None
        return self.native_struct.unpack_from(data, offset) + self.network_struct.unpack_from(data, offset)

    def read(self, data, offset):
        """The record's {name: value} as decode_attrs gives it, or None if its headers differ."""
        values = self.values(data, offset)
        if values is None:
            return None
        attrs = dict(zip(self.names, values))
        for key in self.strings:
            attrs[key] = attrs[key].split(b"\0", 1)[0].decode("ascii")
        for key in self.pairs:
            attrs[key] = (attrs.pop((key, 0)), attrs.pop((key, 1)))
        return attrs

    def row(self, data, offset, fields):
        """row_of(read(...), fields), or None if the record's headers differ. Without strings or flag pairs
        to convert (real servers) it skips the dict: one C-level pick from the values."""
        if self.strings or self.pairs:
            attrs = self.read(data, offset)
            return None if attrs is None else row_of(attrs, fields)
        values = self.values(data, offset)
        if values is None:
            return None
        getter = self.row_getters.get(fields)
        if getter is None:
            absent = len(self.names)  # the 0 appended below
            getter = self.row_getters[fields] = itemgetter(*(self.names.index(name) if name in self.names else absent
                                                           for name in fields))
        return getter(values + (0,))


def record_struct(byte_order, fields):
    """A struct reading ``fields`` ((offset, format, names), in offset order) out of a record."""
    parts, position = [byte_order], 0
    for offset, fmt, _names in fields:
        parts.append("%dx%s" % (offset - position, fmt))
        position = offset + struct.calcsize(byte_order + fmt)
    return struct.Struct("".join(parts))


LAYOUTS = {}


def layout_of(data, offset, end, table):
    """The Layout learned for records of this size (learned from this one if it is the first)."""
    key = (id(table), end - offset)
    layout = LAYOUTS.get(key)
    if layout is None:
        layout = LAYOUTS[key] = Layout(data, offset, end, table)
    return layout


def decode_record(data, offset, end, table):
    """decode_attrs, through the Layout learned for records of this size when the record repeats it."""
    layout = layout_of(data, offset, end, table)
    attrs = layout.read(data, offset) if layout.usable else None
    return decode_attrs(data, offset, end, table) if attrs is None else attrs


def decode_row(data, offset, end, table, fields):
    """row_of(decode_record(...), fields), straight from the record when its Layout allows."""
    layout = layout_of(data, offset, end, table)
    row = layout.row(data, offset, fields) if layout.usable else None
    return row_of(decode_attrs(data, offset, end, table), fields) if row is None else row


def row_of(attrs, fields):
    """The values of ``fields`` (attribute names, at least two) in that order, 0 for those the record lacks
    (an older kernel's: no tunnel type before 5.2, no 64-bit counters before 4.14)."""
    return tuple(attrs.get(name, 0) for name in fields)


def iter_messages(data):
    """(type, flags, seq, offset, end) of each netlink message in one datagram."""
    offset = 0
    while offset + NLMSG_HDR.size <= len(data):
        length, msg_type, flags, seq, _pid = NLMSG_HDR.unpack_from(data, offset)
        if length < NLMSG_HDR.size:
            break
        yield msg_type, flags, seq, offset + NLMSG_HDR.size, offset + length
        offset += (length + 3) & ~3


# --- sockets -------------------------------------------------------------

def family_lookup_error(family, code, missing_message):
    """What nlctrl refusing to name ``family`` means: ENOENT/EOPNOTSUPP, no such family (module not loaded)."""
    if code in (errno.ENOENT, errno.EOPNOTSUPP):
        return KernelFeatureMissing(missing_message)
    return KernelError("look up the %s netlink family" % family, code)


def genl_socket(family, missing_message):
    """A pyroute2 generic-netlink socket bound to ``family``; ``missing_message`` if the kernel lacks it."""
    sock = open_generic_socket()
    try:
        sock.bind(family, genlmsg)
    except NetlinkError as exc:
        sock.close()
        raise family_lookup_error(family, exc.code, missing_message)
    return sock


class IpvsClient:
    """The IPVS table of one namespace: dumps and batched writes on one netlink socket."""

    def __init__(self, netns=None):
        with kernel_call("open IPVS netlink socket in netns %r" % (netns or "(current)")), inside_netns(netns):
            self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
        # Blocking with a kernel-side timeout: one syscall per receive, and no hang if a reply never comes.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", REPLY_TIMEOUT_S, 0))
        self.sock.bind((0, 0))
        self.buffer = memoryview(bytearray(RECV_SIZE))
        self.seq = 0
        self.requests_sent = 0  # write requests, for the benchmark's "no-op sends nothing"
        try:
            self.family_id = self.lookup_family()
        except VnetError:
            self.sock.close()
            raise

    def close(self):
        self.sock.close()

    def lookup_family(self):
        """The IPVS generic-netlink family's id, from nlctrl (global: the same in every namespace)."""
        action = "look up the IPVS netlink family"
        seq = self.next_seq()
        body = GENL_HDR.pack(CTRL_CMD_GETFAMILY, CTRL_VERSION, 0) + nla(CTRL_ATTR_FAMILY_NAME, b"IPVS\0")
        self.send(action, NLMSG_HDR.pack(NLMSG_HDR.size + len(body), GENL_ID_CTRL, NLM_F_REQUEST, seq, 0) + body)
        while True:
            data = self.receive(action)
            for msg_type, _flags, msg_seq, offset, end in iter_messages(data):
                if msg_seq != seq:
                    continue
                if msg_type == NLMSG_ERROR:
                    raise family_lookup_error("IPVS", -struct.unpack_from("=i", data, offset)[0], IPVS_MISSING)
                return decode_attrs(data, offset + GENL_HDR.size, end, CTRL_DECODER)["CTRL_ATTR_FAMILY_ID"]

    # --- have -----------------------------------------------------------
    def services(self):
        """[{IPVS_SVC_ATTR_*: value}] of every virtual service."""
        seq = self.next_seq()
        return self.dump("dump IPVS service", seq, self.message("get_service", NLM_F_REQUEST | NLM_F_DUMP, seq),
                         IPVS_CMD_ATTR_SERVICE,
                         lambda data, start, end: decode_record(data, start, end, SERVICE_DECODER))

    def dests(self, service, fields):
        """The real servers of one service, given its attributes as services() dumped them (only the key
        ones are sent): a row_of tuple of ``fields`` each (the hot path: a service has a dump of its own,
        and real servers outnumber services)."""
        seq = self.next_seq()
        return self.dump("dump IPVS dest", seq, self.dest_dump_request(seq, service), IPVS_CMD_ATTR_DEST,
                         lambda data, start, end: decode_row(data, start, end, DEST_DECODER, fields))

    def dest_dump_request(self, seq, service):
        """message("get_dest", dump flags, seq, the service's key attributes), in one struct call."""
        by_fwmark = bool(service.get("IPVS_SVC_ATTR_FWMARK"))
        layout = DEST_DUMP_BY_FWMARK if by_fwmark else DEST_DUMP_BY_ADDRESS
        head = (layout.size, self.family_id, NLM_F_REQUEST | NLM_F_DUMP, seq, 0,
                IPVS_CMD["get_dest"], IPVS_GENL_VERSION, 0,
                layout.size - DUMP_HEADERS_SIZE, IPVS_CMD_ATTR_SERVICE,
                NLA_U16_SIZE, SERVICE_ATTRS["IPVS_SVC_ATTR_AF"].id, service["IPVS_SVC_ATTR_AF"])
        if by_fwmark:
            return layout.pack(*head, NLA_U32_SIZE, SERVICE_ATTRS["IPVS_SVC_ATTR_FWMARK"].id,
                               service["IPVS_SVC_ATTR_FWMARK"])
        return layout.pack(*head,
                           NLA_U16_SIZE, SERVICE_ATTRS["IPVS_SVC_ATTR_PROTOCOL"].id, service["IPVS_SVC_ATTR_PROTOCOL"],
                           NLA_ADDR_SIZE, SERVICE_ATTRS["IPVS_SVC_ATTR_ADDR"].id, service["IPVS_SVC_ATTR_ADDR"],
                           NLA_U16_SIZE, SERVICE_ATTRS["IPVS_SVC_ATTR_PORT"].id,
                           socket.htons(service["IPVS_SVC_ATTR_PORT"]))

    def dump(self, action, seq, request, nest_type, decode):
        """Send one dump request (sequence number ``seq``), each record's ``nest_type`` payload read by
        ``decode(data, start, end)``; the kernel runs one dump per socket at a time."""
        self.send(action, request)
        records = []
        while True:
            data = self.receive(action)
            for msg_type, _flags, msg_seq, offset, end in iter_messages(data):
                if msg_seq != seq:
                    continue
                if msg_type == NLMSG_DONE:
                    return records
                if msg_type == NLMSG_ERROR:
                    raise IpvsError(action, -struct.unpack_from("=i", data, offset)[0])
                nested = decode_nested(data, offset + GENL_HDR.size, end, nest_type)
                if nested is not None:
                    records.append(decode(data, nested[0], nested[1]))

    # --- apply ----------------------------------------------------------
    def execute(self, requests):
        """Send ``[(command, service attributes, dest attributes or None)]`` in batches; the errno of
        each (0: done), in order. The kernel runs each batch's requests in order."""
        results = []
        for start in range(0, len(requests), BATCH_SIZE):
            results += self.execute_batch(requests[start:start + BATCH_SIZE])
        return results

    def execute_batch(self, requests):
        first = self.seq + 1
        last = first + len(requests) - 1
        data = b"".join(self.message(command, write_flags(command, seq == last), seq, service, dest)
                        for seq, (command, service, dest) in zip(range(first, last + 1), requests))
        self.seq = last
        self.send("send IPVS requests", data)
        self.requests_sent += len(requests)
        # Silence means success; the last request's ack comes after every earlier failure.
        codes = {}
        while last not in codes:
            reply = self.receive("read IPVS acks")
            for msg_type, _flags, seq, offset, _end in iter_messages(reply):
                if msg_type == NLMSG_ERROR and first <= seq <= last:
                    codes[seq] = -struct.unpack_from("=i", reply, offset)[0]
        return [codes.get(seq, 0) for seq in range(first, last + 1)]

    # --- plumbing -------------------------------------------------------
    def next_seq(self):
        self.seq += 1
        return self.seq

    def message(self, command, flags, seq, service=None, dest=None):
        body = GENL_HDR.pack(IPVS_CMD[command], IPVS_GENL_VERSION, 0)
        if service is not None:
            body += nla(IPVS_CMD_ATTR_SERVICE, encode_attrs(SERVICE_ATTRS, service))
        if dest is not None:
            body += nla(IPVS_CMD_ATTR_DEST, encode_attrs(DEST_ATTRS, dest))
        return NLMSG_HDR.pack(NLMSG_HDR.size + len(body), self.family_id, flags, seq, 0) + body

    def send(self, action, data):
        try:
            self.sock.send(data)
        except OSError as exc:  # not kernel_call: a dump is 1001 sends, and its context manager costs ~4 calls each
            raise KernelError(action, exc.errno or errno.EIO)

    def receive(self, action):
        """One datagram, as a view of the receive buffer (valid until the next receive)."""
        try:
            return self.buffer[:self.sock.recv_into(self.buffer)]
        except BlockingIOError:
            raise KernelError("%s (no reply within %d s)" % (action, REPLY_TIMEOUT_S), errno.ETIMEDOUT)
        except OSError as exc:  # ENOBUFS: the kernel dropped replies that did not fit
            raise KernelError(action, exc.errno or errno.EIO)


def write_flags(command, ack):
    flags = NLM_F_REQUEST | (NLM_F_ACK if ack else 0)
    return flags | (NLM_F_CREATE | NLM_F_EXCL if command.startswith("new") else 0)


def decode_nested(data, offset, end, nest_type):
    """(start, end) of the payload of the top-level attribute ``nest_type``, or None."""
    while offset + 4 <= end:
        length, attr_type = NLA_HDR.unpack_from(data, offset)
        if length < 4:
            return None
        if attr_type & NLA_TYPE_MASK == nest_type:
            return offset + 4, offset + length
        offset += (length + 3) & ~3
    return None


# --- FOU: GUE receive ports -------------------------------------------------

FOU_GENL_NAME = "fou"
FOU_CMD_ADD, FOU_CMD_DEL, FOU_CMD_GET = 1, 2, 3
FOU_ENCAP_GUE = 2


class foumsg(genlmsg):
    """include/uapi/linux/fou.h; few messages, so pyroute2's own NLA objects serve."""

    prefix = "FOU_ATTR_"
    nla_map = (
        ("FOU_ATTR_UNSPEC", "none"),
        ("FOU_ATTR_PORT", "be16"),
        ("FOU_ATTR_AF", "uint8"),
        ("FOU_ATTR_IPPROTO", "uint8"),
        ("FOU_ATTR_TYPE", "uint8"),
        ("FOU_ATTR_REMCSUM_NOPARTIAL", "flag"),
        ("FOU_ATTR_LOCAL_V4", "ip4addr"),
        ("FOU_ATTR_LOCAL_V6", "ip6addr"),
        ("FOU_ATTR_PEER_V4", "ip4addr"),
        ("FOU_ATTR_PEER_V6", "ip6addr"),
        ("FOU_ATTR_PEER_PORT", "be16"),
        ("FOU_ATTR_IFINDEX", "int32"),
    )


class FouClient:
    """The FOU/GUE receive ports of one namespace (``ip fou``)."""

    def __init__(self, netns=None):
        with kernel_call("open FOU netlink socket in netns %r" % (netns or "(current)")), inside_netns(netns):
            self.sock = genl_socket(FOU_GENL_NAME, FOU_MISSING)
        self.sock.marshal.msg_map[self.sock.prid] = foumsg

    def close(self):
        self.sock.close()

    def gue_ports(self):
        """Ports with a plain IPv4 GUE receiver (no local/peer binding), as ``ip fou add port N gue`` makes."""
        with kernel_call("dump FOU ports"):
            replies = self.sock.nlm_request(self.request(FOU_CMD_GET), msg_type=self.sock.prid,
                                            msg_flags=NLM_F_REQUEST | NLM_F_DUMP)
            return sorted(msg.get_attr("FOU_ATTR_PORT") for msg in replies
                          if msg.get_attr("FOU_ATTR_TYPE") == FOU_ENCAP_GUE
                          and msg.get_attr("FOU_ATTR_AF") == socket.AF_INET
                          and msg.get_attr("FOU_ATTR_LOCAL_V4") in (None, "0.0.0.0")
                          and msg.get_attr("FOU_ATTR_PEER_V4") in (None, "0.0.0.0"))

    def add_gue_port(self, action, port):
        self.write(action, FOU_CMD_ADD, port, ("FOU_ATTR_TYPE", FOU_ENCAP_GUE))

    def del_gue_port(self, action, port):
        self.write(action, FOU_CMD_DEL, port)

    def write(self, action, command, port, *extra):
        msg = self.request(command, ("FOU_ATTR_PORT", port), ("FOU_ATTR_AF", socket.AF_INET), *extra)
        with kernel_call(action):
            tuple(self.sock.nlm_request(msg, msg_type=self.sock.prid, msg_flags=NLM_F_REQUEST | NLM_F_ACK))

    @staticmethod
    def request(command, *attrs):
        msg = foumsg()
        msg["cmd"] = command
        msg["version"] = 1
        msg["attrs"] = list(attrs)
        return msg
