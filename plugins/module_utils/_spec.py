# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""want: turn module parameters into typed specs, validating before any netlink call.

Every error names the parameter and says what is allowed.
"""

from __future__ import annotations

import grp
import ipaddress
import pwd
import re
import socket

from ansible_collections.vnet.linux.plugins.module_utils._model import LinkSpec, VnetError

IFNAMSIZ = 16
NETNS_NAME_MAX = 255
MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


def check_ifname(param, value):
    """The kernel's dev_valid_name(): 1..15 bytes, not . or .., no '/', ':' or whitespace; and no '%':
    the kernel takes a name with '%' as a template (eth%d -> eth0) and names the device itself."""
    if not isinstance(value, str) or not value:
        raise VnetError("%s: an interface name is required (1 to 15 bytes)" % param)
    if len(value.encode("utf-8")) >= IFNAMSIZ:
        raise VnetError("%s: interface name %r is %d bytes long; the kernel allows at most 15"
                        % (param, value, len(value.encode("utf-8"))))
    if value in (".", "..") or re.search(r"[/:\s]", value):
        raise VnetError("%s: interface name %r is not allowed: no '/', ':' or whitespace, "
                        "and not '.' or '..'" % (param, value))
    if "%" in value:
        raise VnetError("%s: interface name %r is not allowed: the kernel takes a name with '%%' as a template "
                        "(eth%%d becomes eth0) and picks the name itself; give the exact name" % (param, value))
    return value


def check_netns_name(param, value):
    """A netns name becomes a file under /run/netns: refuse anything that could escape it."""
    if value is None:
        return None
    if not value or value in (".", "..") or re.search(r"[/\s\x00]", value):
        raise VnetError("%s: network namespace name %r is not allowed: it must be a plain file "
                        "name (no '/', whitespace, '.' or '..')" % (param, value))
    if len(value.encode("utf-8")) > NETNS_NAME_MAX:
        raise VnetError("%s: network namespace name is longer than %d bytes" % (param, NETNS_NAME_MAX))
    return value


def check_cidr(param, value):
    """An address with its prefix, normalised the way the kernel reports it back."""
    if not isinstance(value, str) or "/" not in value:
        raise VnetError("%s: %r is not an address in CIDR form (e.g. 192.0.2.10/24 or 2001:db8::1/64)"
                        % (param, value))
    try:
        return str(ipaddress.ip_interface(value.strip()))
    except ValueError as exc:
        raise VnetError("%s: %r is not a valid CIDR address: %s" % (param, value, exc))


def check_cidrs(param, values):
    if values is None:
        return None
    normalised = [check_cidr(param, value) for value in values]
    return list(dict.fromkeys(normalised))


def check_ip(param, value):
    """The address as the kernel reads it back (inet_ntop's spelling)."""
    text = str(value).strip()
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            return socket.inet_ntop(family, socket.inet_pton(family, text))
        except (OSError, ValueError):
            continue
    raise VnetError("%s: %r is not an IPv4 or IPv6 address" % (param, value))


def family_of(address):
    return "ipv6" if ":" in address else "ipv4"


def in_range(param, value, low, high):
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise VnetError("%s: %r is outside %d..%d" % (param, value, low, high))
    return value


def check_mac(param, value):
    if value is None:
        return None
    mac = value.strip().lower().replace("-", ":")
    if not MAC_RE.match(mac):
        raise VnetError("%s: %r is not a MAC address (six hex octets, e.g. 02:00:00:00:00:01)"
                        % (param, value))
    if int(mac[:2], 16) & 1:
        raise VnetError("%s: %s is a multicast address; an interface needs a unicast MAC "
                        "(first octet even, e.g. 02:...)" % (param, mac))
    return mac


def check_mtu(param, value):
    if value is not None and not 68 <= value <= 65535:
        raise VnetError("%s: %d is outside 68..65535" % (param, value))
    return value


def resolve_id(param, value, database, what):
    """A user or group given by name or number, as the number the kernel stores."""
    if value is None:
        return None
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    try:
        return database(text)
    except KeyError:
        raise VnetError("%s: unknown %s %r (give an existing name or a numeric id)" % (param, what, text))


def resolve_uid(param, value):
    return resolve_id(param, value, lambda name: pwd.getpwnam(name).pw_uid, "user")


def resolve_gid(param, value):
    return resolve_id(param, value, lambda name: grp.getgrnam(name).gr_gid, "group")


def link_spec(params, kind, name_param="name", options=None):
    """The shared part of every link module's spec: name, netns, state and link options."""
    return LinkSpec(
        name=check_ifname(name_param, params[name_param]),
        kind=kind,
        netns=check_netns_name("netns", params.get("netns")),
        state=params.get("state", "present"),
        mtu=check_mtu("mtu", params.get("mtu")),
        mac=check_mac("mac", params.get("mac")),
        up=params.get("up"),
        addresses=check_cidrs("addresses", params.get("addresses")),
        purge_addresses=bool(params.get("purge_addresses")),
        recreate=bool(params.get("recreate")),
        options=options or {},
    )
