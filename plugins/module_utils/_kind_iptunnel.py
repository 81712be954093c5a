# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ipip and gre tunnels (the receive side of IPVS tunnel forwarding).

Loading the ipip (ip_gre) module gives every namespace a fallback device, tunl0
(gre0), that receives any tunnel packet no named tunnel claims: that is where a
real server puts the VIP. The kernel refuses to delete or reconfigure it, so
``absent`` on a fallback device means down and without addresses (the module
turns it into that spec). GUE receive ports are in _gue_port.
"""

from __future__ import annotations

from ansible_collections.vnet.linux.plugins.module_utils._kind import Kind
from ansible_collections.vnet.linux.plugins.module_utils._model import VnetError
from ansible_collections.vnet.linux.plugins.module_utils._spec import check_ip, family_of, in_range

FALLBACK_DEVICES = {"ipip": "tunl0", "gre": "gre0"}
FALLBACK_KINDS = dict((device, kind) for kind, device in FALLBACK_DEVICES.items())
ANY_ADDRESS = "0.0.0.0"


class IpTunnel(Kind):
    """An IPv4-in-IPv4 style tunnel; subclasses name the kind and the attribute prefixes."""

    # The kernel's changelink replaces all tunnel parameters: tos, pmtudisc and the bound device
    # are carried over from the link as it is, so changing local/remote/ttl keeps them.
    in_place = ("local", "remote", "ttl", "tos", "pmtudisc", "bound_ifindex")
    attr_prefix = ""  # how pyroute2 names IFLA_INFO_DATA attributes of this kind
    keyword = ""      # pyroute2 link() keyword prefix
    argument_spec = {"local": dict(type="str"), "remote": dict(type="str"), "ttl": dict(type="int")}

    def options(self, params):
        name = params["name"]
        if FALLBACK_KINDS.get(name, self.name) != self.name:
            raise VnetError("name: %s is the fallback device of %s tunnels; use kind: %s"
                            % (name, FALLBACK_KINDS[name], FALLBACK_KINDS[name]))
        if name == FALLBACK_DEVICES[self.name]:
            for key in ("local", "remote", "ttl"):
                if params[key] is not None:
                    raise VnetError("%s: %s is the fallback device of the %s module and takes no %s (it receives "
                                    "from anywhere); name a point-to-point tunnel for that" % (key, name, self.name, key))
        if params["mac"] is not None:
            raise VnetError("mac: %s tunnels have no MAC address" % self.name)
        return {"local": ipv4_address("local", params["local"]), "remote": ipv4_address("remote", params["remote"]),
                "ttl": None if params["ttl"] is None else in_range("ttl", params["ttl"], 0, 255)}

    def describe(self, link, view):
        data = link.data
        return {"local": specific_address(data.get(self.attr_prefix + "LOCAL")),
                "remote": specific_address(data.get(self.attr_prefix + "REMOTE")),
                "ttl": data.get(self.attr_prefix + "TTL", 0),
                "tos": data.get(self.attr_prefix + "TOS", 0),
                "pmtudisc": data.get(self.attr_prefix + "PMTUDISC", 1),
                "bound_ifindex": data.get(self.attr_prefix + "LINK", 0),
                "fallback": link.name == FALLBACK_DEVICES[self.name]}

    def create_request(self, spec):
        request = super().create_request(spec)
        request.update(self.tunnel_request(spec))
        return request

    def tunnel_request(self, spec):
        """pyroute2 keywords of the options the spec has (all of them for a set: see in_place)."""
        options = spec.options
        request = dict((self.keyword + key, options[key] or ANY_ADDRESS)
                       for key in ("local", "remote") if key in options)
        request.update((self.keyword + key, options[key]) for key in ("ttl", "tos", "pmtudisc")
                       if options.get(key) is not None)
        if options.get("bound_ifindex"):
            request[self.keyword + "link"] = options["bound_ifindex"]
        return request

    def set_options(self, client, spec):
        client.link_set("set %s %s local %s, remote %s, ttl %s" % (
            self.name, spec.name, spec.options["local"] or "any", spec.options["remote"] or "any", spec.options["ttl"]),
            client.ifindex(spec.name), kind=self.kernel_kind, **self.tunnel_request(spec))


class IpIp(IpTunnel):
    name = kernel_kind = "ipip"
    attr_prefix = "IFLA_IPIP_"
    keyword = "ipip_"


class Gre(IpTunnel):
    name = kernel_kind = "gre"
    attr_prefix = "IFLA_GRE_"
    keyword = "gre_"


def ipv4_address(param, value):
    if value is None:
        return None
    address = check_ip(param, value)
    if family_of(address) != "ipv4":
        raise VnetError("%s: %s is not an IPv4 address (ipip and gre carry IPv4)" % (param, address))
    return address


def specific_address(address):
    """None for 'any' (0.0.0.0), the way the spec says 'not bound'."""
    return None if address in (None, ANY_ADDRESS) else address
