# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IPVS virtual services: typed specs (want), the kernel table in the same terms (have), a pure planner.

A virtual service is keyed by (family, protocol, address, port) or by (family,
fwmark); a real server by (address, port) within its service. Everything the
kernel can change in place is changed with IPVS ``set`` commands, so the planner
never deletes and re-adds. The table is read and written through
``_netlink_ipvs.IpvsClient``; only the glue at the bottom of this file does I/O.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import struct
from collections import namedtuple
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

from ansible_collections.vnet.linux.plugins.module_utils._converge import (
    PartialApply, check_netns_exists, collector_paused, converge)
from ansible_collections.vnet.linux.plugins.module_utils._model import Op, VnetError
from ansible_collections.vnet.linux.plugins.module_utils._netlink_ipvs import IpvsClient, IpvsError
from ansible_collections.vnet.linux.plugins.module_utils._spec import check_ip, check_netns_name, family_of, in_range

FAMILIES = {"ipv4": socket.AF_INET, "ipv6": socket.AF_INET6}
FAMILY_NAMES = dict((number, name) for name, number in FAMILIES.items())
PROTOCOLS = {"tcp": socket.IPPROTO_TCP, "udp": socket.IPPROTO_UDP, "sctp": 132}
PROTOCOL_NAMES = dict((number, name) for name, number in PROTOCOLS.items())
# IP_VS_CONN_F_* forwarding methods; users choose among the first three.
FORWARD = {"masquerade": 0, "tunnel": 2, "route": 3}
FORWARD_NAMES = {0: "masquerade", 1: "local", 2: "tunnel", 3: "route", 4: "bypass"}
TUN_TYPES = {"ipip": 0, "gue": 1, "gre": 2}
TUN_TYPE_NAMES = dict((number, name) for name, number in TUN_TYPES.items())
TUN_CSUM = {"none": 0, "csum": 1, "remcsum": 2}  # IP_VS_TUNNEL_ENCAP_FLAG_*
TUN_CSUM_NAMES = dict((number, name) for name, number in TUN_CSUM.items())
SCHEDULERS = ("rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos")
DEFAULT_SCHEDULER = "wlc"  # ipvsadm's

F_PERSISTENT, F_HASHED, F_ONEPACKET = 0x1, 0x2, 0x4
SCHED_FLAG_BITS = (0x8, 0x10, 0x20)
# The bits a service spec decides; the kernel keeps others (IP_VS_SVC_F_HASHED is its own).
MANAGED_FLAGS = F_PERSISTENT | F_ONEPACKET | sum(SCHED_FLAG_BITS)
# What ipvsadm calls the scheduler flag bits, per scheduler.
SCHED_FLAG_NAMES = {"sh": ("sh-fallback", "sh-port", "flag-3"), "mh": ("mh-fallback", "mh-port", "flag-3")}
GENERIC_FLAG_NAMES = ("flag-1", "flag-2", "flag-3")

INT_MAX, U32_MAX = 2 ** 31 - 1, 2 ** 32 - 1
PERSISTENCE_MAX = INT_MAX // 1000  # the kernel keeps timeout * HZ in an int (HZ up to 1000)

SERVICE, REALSERVER = "ipvs-service", "ipvs-realserver"
STATS_NAMES = (("connections", "IPVS_STATS_ATTR_CONNS"), ("in_packets", "IPVS_STATS_ATTR_INPKTS"),
               ("out_packets", "IPVS_STATS_ATTR_OUTPKTS"), ("in_bytes", "IPVS_STATS_ATTR_INBYTES"),
               ("out_bytes", "IPVS_STATS_ATTR_OUTBYTES"))
CONN_NAMES = (("active_connections", "IPVS_DEST_ATTR_ACTIVE_CONNS"),
              ("inactive_connections", "IPVS_DEST_ATTR_INACT_CONNS"),
              ("persistent_connections", "IPVS_DEST_ATTR_PERSIST_CONNS"))
RS_COUNTER_NAMES = STATS_NAMES + CONN_NAMES


class ServiceKey(namedtuple("ServiceKey", "family protocol address port fwmark")):
    """(family, protocol, address, port) or (family, fwmark): what the kernel looks a service up by."""

    def __str__(self):
        if self.fwmark is not None:
            return "fwmark/%d/%s" % (self.fwmark, self.family)
        return "%s/%s" % (self.protocol, host_port(self.address, self.port))


def host_port(address, port):
    return ("[%s]:%d" if ":" in address else "%s:%d") % (address, port)


RS_FIELDS = ("weight", "upper_threshold", "lower_threshold", "forward", "tun_type", "tun_port", "tun_csum")


# Values as tuples: a run reads and compares thousands of them, and a tuple is built and compared in C
# (a dataclass's __init__ and __eq__ are Python: ~40% of an IPVS no-op's conversion time under TCG).
class RealServer(namedtuple("RealServer", ("address", "port") + RS_FIELDS,
                            defaults=(1, 0, 0, "tunnel", "ipip", None, None))):
    """tun_type is None unless forward is tunnel; tun_port is gue's only; tun_csum gue's and gre's only."""

    __slots__ = ()

    @property
    def key(self):
        return self[:2]


SERVICE_FIELDS = ("scheduler", "persistence_timeout", "persistence_netmask", "scheduler_flags", "one_packet")


class Service(namedtuple("Service", ("key",) + SERVICE_FIELDS, defaults=(DEFAULT_SCHEDULER, 0, 32, (), False))):
    """persistence_timeout 0: not persistent; persistence_netmask: a prefix length (a dotted mask only if the
    kernel has a non-contiguous one)."""

    __slots__ = ()


@dataclass
class ServiceSpec:
    """One entry of ``services``: realservers None means 'not managed here'."""

    service: Service
    state: str = "present"
    realservers: Optional[Tuple[RealServer, ...]] = None


@dataclass
class IpvsSpec:
    services: List[ServiceSpec]
    purge_services: bool = False
    drain: bool = False
    netns: Optional[str] = None


@dataclass
class TableEntry:
    """One service as the kernel has it, with its real servers and counters."""

    service: Service
    realservers: Dict[Tuple[str, int], RealServer] = field(default_factory=dict)
    stats: Dict[str, int] = field(default_factory=dict)
    # per real server: its counters as a tuple in RS_COUNTER_FIELDS order (the kernel's row, not a dict each)
    rs_stats: Dict[Tuple[str, int], Tuple[int, ...]] = field(default_factory=dict)


# --- want: parameters -> specs -------------------------------------------------

def ipvs_spec(params):
    services = [service_spec("services[%d]" % index, item)
                for index, item in enumerate(params.get("services") or [])]
    seen = {}
    for index, entry in enumerate(services):
        key = entry.service.key
        if key in seen:
            raise VnetError("services[%d]: %s is already listed as services[%d]" % (index, key, seen[key]))
        seen[key] = index
    return IpvsSpec(services=services, purge_services=bool(params.get("purge_services")),
                    drain=bool(params.get("drain")), netns=check_netns_name("netns", params.get("netns")))


def service_spec(path, item):
    key = service_key(path, item)
    if item.get("state", "present") == "absent":
        return ServiceSpec(Service(key), state="absent")
    scheduler = item.get("scheduler") or DEFAULT_SCHEDULER
    if scheduler not in SCHEDULERS:
        raise VnetError("%s.scheduler: unknown scheduler %r (one of %s)" % (path, scheduler, ", ".join(SCHEDULERS)))
    timeout = in_range(path + ".persistence_timeout", item.get("persistence_timeout") or 0, 0, PERSISTENCE_MAX)
    if key.port == 0 and not timeout:
        raise VnetError("%s.port: port 0 (all ports) needs persistence_timeout" % path)
    service = Service(
        key=key,
        scheduler=scheduler,
        persistence_timeout=timeout,
        persistence_netmask=persistence_netmask(path + ".persistence_netmask", key.family,
                                                item.get("persistence_netmask")),
        scheduler_flags=scheduler_flags(path + ".scheduler_flags", scheduler, item.get("scheduler_flags") or []),
        one_packet=bool(item.get("one_packet")),
    )
    realservers = item.get("realservers")
    if realservers is not None:
        realservers = realserver_specs(path, key, realservers)
    return ServiceSpec(service, realservers=realservers)


def service_key(path, item):
    """The key fields of a service entry: protocol/address/port, or fwmark (with family)."""
    if item.get("fwmark") is not None:
        for name in ("protocol", "address", "port"):
            if item.get(name) is not None:
                raise VnetError("%s.%s: a fwmark service has no %s (it takes packets by their firewall mark)"
                                % (path, name, name))
        fwmark = in_range(path + ".fwmark", item["fwmark"], 1, U32_MAX)
        return ServiceKey(item.get("family") or "ipv4", None, None, None, fwmark)
    if item.get("address") is None:
        raise VnetError("%s: a virtual service needs address and port (and protocol, default tcp), or fwmark"
                        % path)
    address = check_ip(path + ".address", item["address"])
    family = family_of(address)
    if item.get("family") not in (None, family):
        raise VnetError("%s.family: %s does not match address %s (an %s address)"
                        % (path, item["family"], address, family))
    if item.get("port") is None:
        raise VnetError("%s.port: required with address (a virtual service is protocol, address and port)" % path)
    port = in_range(path + ".port", item["port"], 0, 65535)
    return ServiceKey(family, item.get("protocol") or "tcp", address, port, None)


def realserver_specs(path, key, items):
    specs, seen = [], {}
    for index, item in enumerate(items):
        where = "%s.realservers[%d]" % (path, index)
        spec = realserver_spec(where, key, item)
        if spec.key in seen:
            raise VnetError("%s: %s is already listed as realservers[%d]"
                            % (where, host_port(*spec.key), seen[spec.key]))
        seen[spec.key] = index
        specs.append(spec)
    return tuple(specs)


def realserver_spec(path, key, item):
    if item.get("address") is None:
        raise VnetError("%s.address: required" % path)
    address = check_ip(path + ".address", item["address"])
    if family_of(address) != key.family:
        raise VnetError("%s.address: %s is an %s address but the service %s is %s; mixed address families "
                        "are not supported" % (path, address, family_of(address), key, key.family))
    forward = item.get("forward") or "tunnel"
    upper = in_range(path + ".upper_threshold", item.get("upper_threshold") or 0, 0, U32_MAX)
    lower = in_range(path + ".lower_threshold", item.get("lower_threshold") or 0, 0, U32_MAX)
    if lower > upper:
        raise VnetError("%s.lower_threshold: %d is above upper_threshold %d (0 means no limit, so a lower "
                        "threshold needs an upper one)" % (path, lower, upper))
    return RealServer(
        address=address,
        port=realserver_port(path + ".port", key, forward, item.get("port")),
        weight=in_range(path + ".weight", 1 if item.get("weight") is None else item["weight"], 0, INT_MAX),
        upper_threshold=upper,
        lower_threshold=lower,
        forward=forward,
        **tunnel_options(path, forward, item))


def realserver_port(path, key, forward, port):
    """Tunnel and route forwarding deliver to the virtual port: the kernel's port is the service's."""
    if port is None:
        return key.port if key.port is not None else 0
    port = in_range(path, port, 0, 65535)
    if forward != "masquerade" and key.fwmark is None and port != key.port:
        raise VnetError("%s: %s forwarding keeps the virtual port (%d); only masquerade maps to another port"
                        % (path, forward, key.port))
    return port


def tunnel_options(path, forward, item):
    tun_type, tun_port, tun_csum = item.get("tun_type"), item.get("tun_port"), item.get("tun_csum")
    if forward != "tunnel":
        for name in ("tun_type", "tun_port", "tun_csum"):
            if item.get(name) is not None:
                raise VnetError("%s.%s: only with forward: tunnel (this one is %s)" % (path, name, forward))
        return {"tun_type": None, "tun_port": None, "tun_csum": None}
    tun_type = tun_type or "ipip"
    if tun_type == "gue":
        if tun_port is None:
            raise VnetError("%s.tun_port: required with tun_type: gue (the real server's GUE port)" % path)
        tun_port = in_range(path + ".tun_port", tun_port, 1, 65535)
    elif tun_port is not None:
        raise VnetError("%s.tun_port: only with tun_type: gue (this one is %s)" % (path, tun_type))
    if tun_type == "ipip":
        if tun_csum is not None:
            raise VnetError("%s.tun_csum: only with tun_type: gue or gre (ipip has no checksum)" % path)
    elif tun_csum == "remcsum" and tun_type != "gue":
        raise VnetError("%s.tun_csum: remcsum (remote checksum offload) needs tun_type: gue" % path)
    else:
        tun_csum = tun_csum or "none"
    return {"tun_type": tun_type, "tun_port": tun_port, "tun_csum": tun_csum}


def persistence_netmask(path, family, value):
    """A prefix length; IPv4 also takes a dotted netmask like ipvsadm -M."""
    full = 32 if family == "ipv4" else 128
    if value is None:
        return full
    text = str(value).strip().lstrip("/")
    if text.isdigit():
        return in_range(path, int(text), 1 if family == "ipv6" else 0, full)
    if family == "ipv4":
        try:
            return ipaddress.IPv4Network("0.0.0.0/" + text).prefixlen
        except ValueError:
            pass
    raise VnetError("%s: %r is not a prefix length%s" % (
        path, value, " or a contiguous netmask like 255.255.255.0" if family == "ipv4" else " (1..128)"))


def scheduler_flags(path, scheduler, names):
    """Sorted flag names in the scheduler's own terms (flag-1 is sh-fallback for sh)."""
    own = SCHED_FLAG_NAMES.get(scheduler, GENERIC_FLAG_NAMES)
    result = set()
    for name in names:
        if name in own:
            result.add(name)
        elif name in GENERIC_FLAG_NAMES:
            result.add(own[GENERIC_FLAG_NAMES.index(name)])
        else:
            raise VnetError("%s: %r is not a flag of scheduler %s (one of %s)"
                            % (path, name, scheduler, ", ".join(own + GENERIC_FLAG_NAMES[:2])))
    return tuple(sorted(result))


# --- kernel attributes <-> user terms -----------------------------------------------

def address_from_kernel(family, raw):
    if family == "ipv4":
        return socket.inet_ntop(socket.AF_INET, raw[:4])
    return socket.inet_ntop(socket.AF_INET6, raw[:16])


def address_to_kernel(address):
    if ":" in address:
        return socket.inet_pton(socket.AF_INET6, address)
    return socket.inet_pton(socket.AF_INET, address) + b"\0" * 12  # union nf_inet_addr


def netmask_from_kernel(family, raw):
    """IPv4: a __be32 mask; IPv6: the prefix length as a host-order u32 (what ipvsadm sends)."""
    if family == "ipv6":
        return struct.unpack("=I", raw[:4])[0]
    mask = struct.unpack("!I", raw[:4])[0]
    prefix = bin(mask).count("1")
    if mask == (U32_MAX << (32 - prefix)) & U32_MAX:
        return prefix
    return socket.inet_ntop(socket.AF_INET, raw[:4])  # non-contiguous: shown as the mask


def netmask_to_kernel(family, prefix):
    if family == "ipv6":
        return struct.pack("=I", prefix)
    if isinstance(prefix, str):
        return socket.inet_aton(prefix)
    return struct.pack("!I", (U32_MAX << (32 - prefix)) & U32_MAX)


def service_from_kernel(attrs):
    family = FAMILY_NAMES[attrs["IPVS_SVC_ATTR_AF"]]
    if attrs.get("IPVS_SVC_ATTR_FWMARK"):
        key = ServiceKey(family, None, None, None, attrs["IPVS_SVC_ATTR_FWMARK"])
    else:
        protocol = attrs["IPVS_SVC_ATTR_PROTOCOL"]
        key = ServiceKey(family, PROTOCOL_NAMES.get(protocol, str(protocol)),
                         address_from_kernel(family, attrs["IPVS_SVC_ATTR_ADDR"]), attrs["IPVS_SVC_ATTR_PORT"], None)
    return Service._make((key,) + service_settings(family, attrs.get("IPVS_SVC_ATTR_SCHED_NAME", "none"),
                                                   attrs["IPVS_SVC_ATTR_FLAGS"][0], attrs["IPVS_SVC_ATTR_TIMEOUT"],
                                                   attrs["IPVS_SVC_ATTR_NETMASK"]))


# A table repeats a few combinations of settings thousands of times: each is converted once.
@lru_cache(maxsize=None)
def service_settings(family, scheduler, kernel_flags, timeout, netmask):
    """SERVICE_FIELDS' values of a service's kernel settings."""
    flags = kernel_flags & ~F_HASHED
    names = SCHED_FLAG_NAMES.get(scheduler, GENERIC_FLAG_NAMES)
    return (scheduler, timeout if flags & F_PERSISTENT else 0, netmask_from_kernel(family, netmask),
            tuple(sorted(name for name, bit in zip(names, SCHED_FLAG_BITS) if flags & bit)),
            bool(flags & F_ONEPACKET))


def service_key_attrs(key):
    attrs = {"IPVS_SVC_ATTR_AF": FAMILIES[key.family]}
    if key.fwmark is not None:
        attrs["IPVS_SVC_ATTR_FWMARK"] = key.fwmark
    else:
        attrs.update({"IPVS_SVC_ATTR_PROTOCOL": PROTOCOLS[key.protocol],
                      "IPVS_SVC_ATTR_ADDR": address_to_kernel(key.address),
                      "IPVS_SVC_ATTR_PORT": key.port})
    return attrs


def service_attrs(service):
    """The full entry NEW/SET_SERVICE need (the kernel rejects one without flags, timeout or netmask)."""
    names = SCHED_FLAG_NAMES.get(service.scheduler, GENERIC_FLAG_NAMES)
    flags = sum(bit for name, bit in zip(names, SCHED_FLAG_BITS) if name in service.scheduler_flags)
    if service.persistence_timeout:
        flags |= F_PERSISTENT
    if service.one_packet:
        flags |= F_ONEPACKET
    attrs = service_key_attrs(service.key)
    attrs.update({"IPVS_SVC_ATTR_SCHED_NAME": service.scheduler,
                  "IPVS_SVC_ATTR_FLAGS": (flags, MANAGED_FLAGS),
                  "IPVS_SVC_ATTR_TIMEOUT": service.persistence_timeout,
                  "IPVS_SVC_ATTR_NETMASK": netmask_to_kernel(service.key.family, service.persistence_netmask)})
    return attrs


# What a real server is read as: a row of these attributes (IpvsClient.dests), its counters last.
DEST_FIELDS = ("IPVS_DEST_ATTR_ADDR", "IPVS_DEST_ATTR_ADDR_FAMILY", "IPVS_DEST_ATTR_PORT", "IPVS_DEST_ATTR_FWD_METHOD",
               "IPVS_DEST_ATTR_WEIGHT", "IPVS_DEST_ATTR_U_THRESH", "IPVS_DEST_ATTR_L_THRESH",
               "IPVS_DEST_ATTR_TUN_TYPE", "IPVS_DEST_ATTR_TUN_PORT", "IPVS_DEST_ATTR_TUN_FLAGS")
DEST_ROW = DEST_FIELDS + tuple(attr for _name, attr in RS_COUNTER_NAMES)
COUNTERS_AT = len(DEST_FIELDS)  # where a row's counters start
RS_COUNTER_FIELDS = tuple(name for name, _attr in RS_COUNTER_NAMES)
ACTIVE_CONNECTIONS = RS_COUNTER_FIELDS.index("active_connections")
CONN_FIELDS = tuple(name for name, _attr in CONN_NAMES)
CONNS_AT = RS_COUNTER_FIELDS.index(CONN_FIELDS[0])  # where the connection counts start in the counters
RS_FACT_FIELDS = RealServer._fields + RS_COUNTER_FIELDS  # a real server's facts with its counters


def realserver_from_kernel(row, service_family):
    """The RealServer of a DEST_ROW row (an absent attribute reads 0, as the kernel's default)."""
    address = address_from_kernel(FAMILY_NAMES.get(row[1], service_family), row[0])
    return RealServer._make((address, row[2]) + realserver_settings(*row[3:COUNTERS_AT]))


@lru_cache(maxsize=None)
def realserver_settings(method, weight, upper, lower, type_id, kernel_tun_port, tun_flags):
    """RS_FIELDS' values of a real server's kernel settings."""
    forward = FORWARD_NAMES.get(method, str(method))
    tun_type = tun_port = tun_csum = None
    if forward == "tunnel":
        tun_type = TUN_TYPE_NAMES.get(type_id)
        if tun_type == "gue":
            tun_port = kernel_tun_port
        if tun_type != "ipip":  # ipip ignores the checksum flags
            tun_csum = TUN_CSUM_NAMES.get(tun_flags & 0x3, "csum")
    return weight, upper, lower, forward, tun_type, tun_port, tun_csum


def realserver_key_attrs(rs):
    return {"IPVS_DEST_ATTR_ADDR_FAMILY": FAMILIES[family_of(rs.address)],
            "IPVS_DEST_ATTR_ADDR": address_to_kernel(rs.address),
            "IPVS_DEST_ATTR_PORT": rs.port}


def realserver_attrs(rs):
    """The full entry NEW/SET_DEST need; forwarding method 2 is tunnel (pyroute2's default 3 is route)."""
    attrs = realserver_key_attrs(rs)
    attrs.update({"IPVS_DEST_ATTR_FWD_METHOD": FORWARD[rs.forward],
                  "IPVS_DEST_ATTR_WEIGHT": rs.weight,
                  "IPVS_DEST_ATTR_U_THRESH": rs.upper_threshold,
                  "IPVS_DEST_ATTR_L_THRESH": rs.lower_threshold})
    if rs.forward == "tunnel":
        attrs.update({"IPVS_DEST_ATTR_TUN_TYPE": TUN_TYPES[rs.tun_type],
                      "IPVS_DEST_ATTR_TUN_PORT": rs.tun_port or 0,
                      "IPVS_DEST_ATTR_TUN_FLAGS": TUN_CSUM[rs.tun_csum or "none"]})
    return attrs


def service_counters(attrs):
    return {name: attrs.get(attr, 0) for name, attr in STATS_NAMES}


# --- plan ----------------------------------------------------------------------------

def rs_label(key, rs):
    return "%s -> %s" % (key, host_port(rs.address, rs.port))


def plan_ipvs(spec, table, draining=None):
    """Ops turning ``table`` ({ServiceKey: TableEntry}) into ``spec``.

    ``draining``: the (service key, real server key) pairs to keep at weight 0
    rather than delete; computed from the table's active connections when None
    (the apply and verify passes reuse the first pass's decision).
    """
    if draining is None:
        draining = drain_decisions(spec, table)
    ops = service_removals(spec, table)
    for entry in spec.services:
        if entry.state == "present":
            ops += service_ops(spec, entry, table.get(entry.service.key), draining)
    return ops


def service_removals(spec, table):
    listed = set(entry.service.key for entry in spec.services)
    ops = [Op("delete", str(entry.service.key), spec.netns, SERVICE, reason="state=absent",
              spec=(entry.service.key, None))
           for entry in spec.services if entry.state == "absent" and entry.service.key in table]
    if spec.purge_services:
        ops += [Op("delete", str(key), spec.netns, SERVICE, reason="not listed, purge_services=true", spec=(key, None))
                for key in sorted(table, key=str) if key not in listed]
    return ops


def service_ops(spec, entry, have, draining):
    service, ops = entry.service, []
    if have is None:
        ops.append(Op("create", str(service.key), spec.netns, SERVICE, changes=service_summary(service),
                      spec=(service.key, service)))
    elif service != have.service:
        changes = dict((name, getattr(service, name)) for name in SERVICE_FIELDS
                       if getattr(service, name) != getattr(have.service, name))
        ops.append(Op("set", str(service.key), spec.netns, SERVICE, changes=changes, spec=(service.key, service)))
    if entry.realservers is not None:
        ops += realserver_ops(spec, service.key, entry.realservers, have, draining)
    return ops


def service_summary(service):
    """What a new service's op line shows: the scheduler and whatever is not a default."""
    default = Service(service.key, persistence_netmask=32 if service.key.family == "ipv4" else 128)
    summary = {"scheduler": service.scheduler}
    summary.update((name, getattr(service, name)) for name in SERVICE_FIELDS
                   if getattr(service, name) != getattr(default, name))
    return summary


def realserver_ops(spec, key, wanted, have, draining):
    current = have.realservers if have is not None else {}
    wanted_keys = set(rs.key for rs in wanted)
    ops = []
    for rs_key in sorted(k for k in current if k not in wanted_keys):
        rs = current[rs_key]
        if (key, rs_key) not in draining:
            ops.append(Op("delete", rs_label(key, rs), spec.netns, REALSERVER, reason="not listed", spec=(key, rs)))
        elif rs.weight != 0:
            active = have.rs_stats.get(rs_key, ZERO_RS_COUNTERS)[ACTIVE_CONNECTIONS]
            ops.append(Op("set", rs_label(key, rs), spec.netns, REALSERVER, changes={"weight": 0},
                          reason="drain: not listed, %d active connections" % active,
                          spec=(key, rs._replace(weight=0))))
    for rs in wanted:
        kernel_rs = current.get(rs.key)
        if kernel_rs is None:
            ops.append(Op("create", rs_label(key, rs), spec.netns, REALSERVER, changes=realserver_summary(rs),
                          spec=(key, rs)))
        elif rs != kernel_rs:
            changes = dict((name, getattr(rs, name)) for name in RS_FIELDS
                           if getattr(rs, name) != getattr(kernel_rs, name))
            ops.append(Op("set", rs_label(key, rs), spec.netns, REALSERVER, changes=changes, spec=(key, rs)))
    return ops


def realserver_summary(rs):
    return dict((name, getattr(rs, name)) for name in RS_FIELDS
                if getattr(rs, name) is not None and (name not in ("upper_threshold", "lower_threshold")
                                                      or getattr(rs, name)))


def drain_decisions(spec, table):
    """Unlisted real servers of managed services that still have active connections (drain: true only)."""
    if not spec.drain:
        return frozenset()
    keep = set()
    for entry in spec.services:
        have = table.get(entry.service.key)
        if entry.state != "present" or entry.realservers is None or have is None:
            continue
        wanted = set(rs.key for rs in entry.realservers)
        keep.update((entry.service.key, rs_key) for rs_key, counters in have.rs_stats.items()
                    if rs_key not in wanted and rs_key in have.realservers
                    and counters[ACTIVE_CONNECTIONS] > 0)
    return frozenset(keep)


# --- the table after a plan (check mode's prediction; the tests' model) ------------------------

ZERO_STATS = dict((name, 0) for name, _attr in STATS_NAMES)
ZERO_RS_COUNTERS = (0,) * len(RS_COUNTER_NAMES)


def apply_ops(table, ops):
    """A new table with ``ops`` applied the way the kernel applies them (counters kept, new ones zero)."""
    result = dict((key, TableEntry(entry.service, dict(entry.realservers), entry.stats, dict(entry.rs_stats)))
                  for key, entry in table.items())
    for op in ops:
        key, obj = op.spec
        if op.kind == SERVICE:
            if op.verb == "delete":
                del result[key]
            elif op.verb == "create":
                result[key] = TableEntry(obj, stats=dict(ZERO_STATS))
            else:
                result[key].service = obj
            continue
        entry = result[key]
        if op.verb == "delete":
            del entry.realservers[obj.key]
            entry.rs_stats.pop(obj.key, None)
        else:
            entry.realservers[obj.key] = obj
            entry.rs_stats.setdefault(obj.key, ZERO_RS_COUNTERS)
    return result


# --- results -----------------------------------------------------------------------------------

def service_facts(entry, counters=True):
    service, rs_stats = entry.service, entry.rs_stats
    facts = dict(zip(ServiceKey._fields, service.key))  # half the time of _asdict() and a generator: 1000s of these
    facts["name"] = str(service.key)
    facts.update(zip(SERVICE_FIELDS, service[1:]))
    facts["scheduler_flags"] = list(service.scheduler_flags)
    realservers = entry.realservers
    if counters:
        facts["realservers"] = [dict(zip(RS_FACT_FIELDS, realservers[rs_key] + rs_stats.get(rs_key, ZERO_RS_COUNTERS)))
                                for rs_key in sorted(realservers)]
        facts.update(entry.stats)
    else:
        facts["realservers"] = [realservers[rs_key]._asdict() for rs_key in sorted(realservers)]
    return facts


def table_facts(table):
    return [service_facts(table[key]) for key in sorted(table, key=str)]


def declared_table(spec, table):
    """The part of the table the spec manages (listed services; all with purge), without counters: the diff."""
    listed = set(entry.service.key for entry in spec.services)
    keys = set(table) if spec.purge_services else listed & set(table)
    return dict((str(key), service_facts(table[key], counters=False)) for key in sorted(keys, key=str))


def table_diff(spec, before, projected):
    """before/after of the declared table; a no-op (projected is before) renders it once."""
    rendered = declared_table(spec, before)
    return {"before": rendered, "after": rendered if projected is before else declared_table(spec, projected)}


def draining_facts(table, draining):
    return [dict(service=str(key), address=rs_key[0], port=rs_key[1], weight=table[key].realservers[rs_key].weight,
                 **dict(zip(CONN_FIELDS, table[key].rs_stats.get(rs_key, ZERO_RS_COUNTERS)[CONNS_AT:])))
            for key, rs_key in sorted(draining, key=str)
            if key in table and rs_key in table[key].realservers]


# --- have, apply, converge: the only part with I/O (through IpvsClient) -------------------------

class IpvsView:
    """have: one namespace's IPVS table, read once; a re-read after apply re-dumps the service list
    and the real servers of the services the ops touched (the others cannot have changed by us)."""

    def __init__(self, netns):
        self.netns = netns
        self.client = IpvsClient(netns)
        self.touched = set()
        self._table = None
        self._previous = {}

    def table(self):
        if self._table is None:
            self._table = self.read()
        return self._table

    def read(self):
        table = {}
        for attrs in self.client.services():
            service = service_from_kernel(attrs)
            key, previous = service.key, self._previous.get(service.key)
            entry = TableEntry(service, stats=service_counters(attrs))
            if previous is not None and key not in self.touched:
                entry.realservers, entry.rs_stats = previous.realservers, previous.rs_stats
            else:
                for row in self.client.dests(attrs, DEST_ROW):
                    rs = realserver_from_kernel(row, key.family)
                    rs_key = rs.key
                    entry.realservers[rs_key] = rs
                    entry.rs_stats[rs_key] = row[COUNTERS_AT:]
            table[key] = entry
        return table

    def namespaces(self):
        return [self.netns]

    def forget(self):
        if self._table is not None:
            self._previous = self._table
        self._table = None

    def close(self):
        self.client.close()


COMMANDS = {(SERVICE, "create"): "new_service", (SERVICE, "set"): "set_service", (SERVICE, "delete"): "del_service",
            (REALSERVER, "create"): "new_dest", (REALSERVER, "set"): "set_dest", (REALSERVER, "delete"): "del_dest"}
# Another writer got between our dump and our requests: re-read and re-plan once.
RACE_ERRNOS = (errno.EEXIST, errno.ENOENT, errno.ESRCH)


def request_of(op):
    """(command, service attributes, real server attributes) of one op."""
    key, obj = op.spec
    command = COMMANDS[(op.kind, op.verb)]
    if op.kind == SERVICE:
        return command, service_key_attrs(key) if op.verb == "delete" else service_attrs(obj), None
    return command, service_key_attrs(key), realserver_key_attrs(obj) if op.verb == "delete" else realserver_attrs(obj)


def execute(view, ops):
    """Send all ops as batches; (applied op strings, [(op, errno)] failures)."""
    view.touched.update(op.spec[0] for op in ops)
    codes = view.client.execute([request_of(op) for op in ops])
    return ([str(op) for op, code in zip(ops, codes) if not code],
            [(op, code) for op, code in zip(ops, codes) if code])


def apply_ipvs(view, plan, ops):
    """converge's apply step for IPVS: batched requests instead of one round trip per op."""
    applied, failures = execute(view, ops)
    if failures and all(code in RACE_ERRNOS for _op, code in failures):
        view.forget()
        more, failures = execute(view, plan(view))
        applied += more
    if failures:
        op, code = failures[0]  # later failures mostly follow from the first (a service that is not there)
        raise PartialApply(IpvsError(str(op), code, failure_hint(op, code)), applied)
    return applied


def failure_hint(op, code):
    """What an errno means for this op, where the generic hint would mislead."""
    key, obj = op.spec
    if op.kind == SERVICE and op.verb != "delete" and code == errno.ENOENT:
        return "the kernel has no scheduler %s (module ip_vs_%s)" % (obj.scheduler, obj.scheduler)
    if op.kind == REALSERVER and op.verb == "create" and code == errno.EINVAL and key.family == "ipv4":
        return ("the kernel refused the real server: its address must be unicast in this namespace, and a "
                "namespace without any IPv4 address (not even lo up) refuses every IPv4 real server")
    return None


@collector_paused()
def reconcile_ipvs(spec, check_mode, diff):
    """Converge one namespace's IPVS table; returns the module result (``diff`` only if asked: it costs)."""
    check_netns_exists("netns", spec.netns)
    view = IpvsView(spec.netns)
    try:
        before = view.table()
        draining = drain_decisions(spec, before)  # decided once: connections may close mid-run
        planned = plan_ipvs(spec, before, draining)
        # The table the plan leads to, for check mode's result and the diff; a real run returns the re-read one.
        projected = apply_ops(before, planned) if planned and (check_mode or diff) else before
        result = {"diff": table_diff(spec, before, projected)} if diff else {}

        def plan(v):
            table = v.table()
            return planned if table is before else plan_ipvs(spec, table, draining)

        changed, ops = converge(view, plan, check_mode, apply=apply_ipvs)
        after = projected if check_mode else view.table()
        result.update(changed=changed, ops=ops, services=table_facts(after), draining=draining_facts(after, draining))
        return result
    finally:
        view.close()
