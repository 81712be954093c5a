"""Bad input, table-driven: every case must fail with a message naming the parameter (and what is
allowed), print no traceback, and leave the kernel byte-identical (iproute2 dump before and after).

Each case runs the module file directly, as Ansible's wrapper does, inside a namespace this module
creates with a small topology (veth pairs, a bridge with a port, tun/tap, an ifb fed by an ingress
redirect, a macvlan, an unmanaged vxlan). ``@NS`` in the arguments is that namespace, ``@NS2`` a
second, empty one; ``@GONE`` a namespace that never exists (and must not be created).
"""

import os

import pytest

import harness

GONE = harness.PREFIX + "absent-0"
LONG = "abcdefghijklmnop"                    # 16 bytes
LONG_UTF8 = "\u00e9" * 7 + "12"              # 9 characters, 16 bytes
VIP = "192.0.2.80"

TOPOLOGY = [
    "link add ve0 type veth peer name ve0p",
    "link add ve1 type veth peer name ve1p",
    "link add br0 type bridge",
    "link add br1 type bridge",
    "link set ve0p master br0",
    "tuntap add tap0 mode tap",
    "tuntap add tap1 mode tap",
    "link set tap1 master br1",
    "tuntap add tun0 mode tun",
    "link add ifb0 type ifb",
    "link add mv0 link ve1 type macvlan mode bridge",
    "link add vx0 type vxlan id 42 dstport 4789",
    "addr add 192.0.2.1/24 dev ve0",
    "link set ve0 up", "link set ve0p up", "link set ve1 up", "link set ve1p up",
    "link set br0 up", "link set ifb0 up",
]


class Case:
    def __init__(self, module, args, names, fragment, marks=()):
        self.module, self.args, self.names, self.fragment, self.marks = module, args, names, fragment, marks


def case(module, args, names, fragment, stock_kernel=False):
    marks = (pytest.mark.stock_kernel,) if stock_kernel else ()
    return pytest.param(Case(module, args, names, fragment), marks=marks,
                        id="%s-%s" % (module.replace("vnet_", ""), names))


def veth(**args):
    return dict({"name": "nv0", "peer": "nv0p", "netns": "@NS"}, **args)


def tap(**args):
    return dict({"name": "nt0", "mode": "tap", "netns": "@NS"}, **args)


def macvlan(**args):
    return dict({"name": "nm0", "link": "ve1", "mode": "bridge", "netns": "@NS"}, **args)


def ipvlan(**args):
    return dict({"name": "ni0", "link": "ve0", "netns": "@NS"}, **args)


def tunnel(**args):
    return dict({"netns": "@NS"}, **args)


def service(**fields):
    return dict({"address": VIP, "port": 80}, **fields)


def ipvs(*services, **args):
    return dict({"netns": "@NS", "services": list(services)}, **args)


def rs(**fields):
    return dict({"address": "198.51.100.11"}, **fields)


NOT_ALLOWED_NS = "network namespace name %r is not allowed: it must be a plain file name"
NOT_ALLOWED_IF = "interface name %r is not allowed: no '/', ':' or whitespace"
TOO_LONG_IF = "is 16 bytes long; the kernel allows at most 15"
TEMPLATE_IF = "interface name %r is not allowed: the kernel takes a name with '%%' as a template"
MISSING_NS = "network namespace %r does not exist" % GONE

CASES = [
    # --- vnet_netns: names become paths under /run/netns -----------------------------------
    case("vnet_netns", {"name": ""}, "name", "name: " + NOT_ALLOWED_NS % ""),
    case("vnet_netns", {"name": "../x"}, "name", "name: " + NOT_ALLOWED_NS % "../x"),
    case("vnet_netns", {"name": "a/b"}, "name", "name: " + NOT_ALLOWED_NS % "a/b"),
    case("vnet_netns", {"name": "."}, "name", "name: " + NOT_ALLOWED_NS % "."),
    case("vnet_netns", {"name": ".."}, "name", "name: " + NOT_ALLOWED_NS % ".."),
    case("vnet_netns", {"name": "a b"}, "name", "name: " + NOT_ALLOWED_NS % "a b"),
    case("vnet_netns", {"name": "tab\tx"}, "name", "name: " + NOT_ALLOWED_NS % "tab\tx"),
    case("vnet_netns", {"name": "/run/netns/x"}, "name", "name: " + NOT_ALLOWED_NS % "/run/netns/x"),
    case("vnet_netns", {"name": "x" * 256}, "name", "name: network namespace name is longer than 255 bytes"),
    case("vnet_netns", {"name": "vnet-rel-x", "state": "gone"}, "state",
         "value of state must be one of: present, absent, got: gone"),
    case("vnet_netns", {}, "name", "missing required arguments: name"),
    case("vnet_netns", {"name": "vnet-rel-x", "bogus": 1}, "bogus", "Unsupported parameters for (vnet_netns) module: bogus"),
    # --- vnet_veth ------------------------------------------------------------------------------
    case("vnet_veth", veth(name=LONG), "name", "name: interface name %r %s" % (LONG, TOO_LONG_IF)),
    case("vnet_veth", veth(name=LONG_UTF8), "name", "name: interface name %r %s" % (LONG_UTF8, TOO_LONG_IF)),
    case("vnet_veth", veth(name="a/b"), "name", "name: " + NOT_ALLOWED_IF % "a/b"),
    case("vnet_veth", veth(name="a b"), "name", "name: " + NOT_ALLOWED_IF % "a b"),
    case("vnet_veth", veth(name="a:b"), "name", "name: " + NOT_ALLOWED_IF % "a:b"),
    case("vnet_veth", veth(name=".."), "name", "name: " + NOT_ALLOWED_IF % ".."),
    case("vnet_veth", veth(name=""), "name", "name: an interface name is required (1 to 15 bytes)"),
    case("vnet_veth", veth(name="v%d"), "name", "name: " + TEMPLATE_IF % "v%d"),
    case("vnet_veth", veth(peer="p%d"), "peer", "peer: " + TEMPLATE_IF % "p%d"),
    case("vnet_veth", veth(peer=None), "peer", "state is present but all of the following are missing: peer"),
    case("vnet_veth", veth(peer=LONG), "peer", "peer: interface name %r %s" % (LONG, TOO_LONG_IF)),
    case("vnet_veth", veth(peer="../x"), "peer", "peer: " + NOT_ALLOWED_IF % "../x"),
    case("vnet_veth", veth(peer_netns="../x"), "peer_netns", "peer_netns: " + NOT_ALLOWED_NS % "../x"),
    case("vnet_veth", veth(peer_netns="a/b"), "peer_netns", "peer_netns: " + NOT_ALLOWED_NS % "a/b"),
    case("vnet_veth", veth(peer_netns=GONE), "peer_netns", "peer_netns: " + MISSING_NS),
    case("vnet_veth", veth(netns=GONE), "netns", "netns: " + MISSING_NS),
    case("vnet_veth", veth(netns="../x"), "netns", "netns: " + NOT_ALLOWED_NS % "../x"),
    case("vnet_veth", veth(mtu="abc"), "mtu", "argument 'mtu' is of type str and we were unable to convert to int"),
    case("vnet_veth", veth(mtu=1500.5), "mtu", "argument 'mtu' is of type float and we were unable to convert to int"),
    case("vnet_veth", veth(mtu=67), "mtu", "mtu: 67 is outside 68..65535"),
    case("vnet_veth", veth(mtu=70000), "mtu", "mtu: 70000 is outside 68..65535"),
    case("vnet_veth", veth(mac="zz:00:00:00:00:01"), "mac", "mac: 'zz:00:00:00:00:01' is not a MAC address (six hex octets"),
    case("vnet_veth", veth(mac="02:00:00:00:00"), "mac", "mac: '02:00:00:00:00' is not a MAC address (six hex octets"),
    case("vnet_veth", veth(mac="01:00:5e:00:00:01"), "mac", "mac: 01:00:5e:00:00:01 is a multicast address; an interface needs a unicast MAC"),
    case("vnet_veth", veth(addresses=["192.0.2.300/24"]), "addresses", "addresses: '192.0.2.300/24' is not a valid CIDR address"),
    case("vnet_veth", veth(addresses=["192.0.2.10"]), "addresses", "addresses: '192.0.2.10' is not an address in CIDR form"),
    case("vnet_veth", veth(addresses=["192.0.2.10/33"]), "addresses", "addresses: '192.0.2.10/33' is not a valid CIDR address"),
    case("vnet_veth", veth(addresses=["2001:db8::1/129"]), "addresses", "addresses: '2001:db8::1/129' is not a valid CIDR address"),
    case("vnet_veth", veth(up="maybe"), "up", "argument 'up' is of type str and we were unable to convert to bool"),
    case("vnet_veth", veth(recreate="yes please"), "recreate", "argument 'recreate' is of type str and we were unable to convert to bool"),
    case("vnet_veth", veth(state="gone"), "state", "value of state must be one of: present, absent, got: gone"),
    case("vnet_veth", veth(name="tap0"), "tap0", "veth tap0: it exists as kind tuntap, not veth; the kernel cannot change this in place. Set recreate: true"),
    case("vnet_veth", veth(name="vx0"), "vx0", "veth vx0: it exists as kind vxlan, not veth"),
    case("vnet_veth", veth(peer="tap0"), "peer", "peer: tap0 already exists in netns @NS (a tuntap); choose a free peer name"),
    case("vnet_veth", veth(name="ve0", peer="other0"), "peer", "veth ve0: peer is ve0p, wanted other0; the kernel cannot change this in place"),
    case("vnet_veth", veth(name="tap0", state="absent"), "tap0", "veth tap0: not deleting it: it is a tuntap, not a veth"),
    case("vnet_veth", veth(name="vx0", state="absent"), "vx0", "veth vx0: not deleting it: it is a vxlan, not a veth"),
    # --- vnet_tuntap ----------------------------------------------------------------------------
    case("vnet_tuntap", tap(mode="tab"), "mode", "value of mode must be one of: tun, tap, got: tab"),
    case("vnet_tuntap", tap(mode=None), "mode", "state is present but all of the following are missing: mode"),
    case("vnet_tuntap", tap(mode="tun", mac="02:00:00:00:00:01"), "mac", "mac: a tun device (mode: tun) has no MAC address"),
    case("vnet_tuntap", tap(owner="no-such-user-rel"), "owner", "owner: unknown user 'no-such-user-rel' (give an existing name or a numeric id)"),
    case("vnet_tuntap", tap(group="no-such-group-rel"), "group", "group: unknown group 'no-such-group-rel' (give an existing name or a numeric id)"),
    case("vnet_tuntap", tap(name="tap 0"), "name", "name: " + NOT_ALLOWED_IF % "tap 0"),
    case("vnet_tuntap", tap(name="t%d"), "name", "name: " + TEMPLATE_IF % "t%d"),
    case("vnet_tuntap", tap(name="t\u00e9"), "name", "name: tun/tap device name 't\u00e9' is not ASCII; pyroute2"),
    case("vnet_tuntap", tap(name=LONG), "name", "name: interface name %r %s" % (LONG, TOO_LONG_IF)),
    case("vnet_tuntap", tap(name="tap0", mode="tun"), "mode",
         "tuntap tap0: mode is tap, wanted tun; the kernel cannot change this in place. Set recreate: true"),
    case("vnet_tuntap", tap(name="tap0", multi_queue=True), "multi_queue", "tuntap tap0: multi_queue is False, wanted True"),
    case("vnet_tuntap", tap(vnet_hdr="sometimes"), "vnet_hdr", "argument 'vnet_hdr' is of type str and we were unable to convert to bool"),
    case("vnet_tuntap", tap(name="ve0"), "ve0", "tuntap ve0: it exists as kind veth, not tuntap"),
    case("vnet_tuntap", tap(netns="a/b"), "netns", "netns: " + NOT_ALLOWED_NS % "a/b"),
    # --- vnet_address ----------------------------------------------------------------------------
    case("vnet_address", {"interface": "nodev0", "addresses": ["10.0.0.1/24"], "netns": "@NS"}, "interface",
         "interface: 'nodev0' does not exist in netns"),
    case("vnet_address", {"interface": "ve0", "addresses": ["10.0.0.1/24", "bogus"], "netns": "@NS"}, "addresses",
         "addresses: 'bogus' is not an address in CIDR form"),
    case("vnet_address", {"interface": "ve0", "addresses": [{"a": 1}], "netns": "@NS"}, "addresses",
         "addresses: \"{'a': 1}\" is not an address in CIDR form"),
    case("vnet_address", {"interface": "a/b", "addresses": ["10.0.0.1/24"], "netns": "@NS"}, "interface",
         "interface: " + NOT_ALLOWED_IF % "a/b"),
    case("vnet_address", {"interface": LONG, "addresses": ["10.0.0.1/24"], "netns": "@NS"}, "interface",
         "interface: interface name %r %s" % (LONG, TOO_LONG_IF)),
    case("vnet_address", {"interface": "ve0", "addresses": ["10.0.0.1/24"], "netns": GONE}, "netns", "netns: " + MISSING_NS),
    case("vnet_address", {"interface": "ve0", "addresses": ["10.0.0.1/24"], "netns": "a b"}, "netns",
         "netns: " + NOT_ALLOWED_NS % "a b"),
    case("vnet_address", {"interface": "ve0", "netns": "@NS"}, "addresses", "missing required arguments: addresses"),
    case("vnet_address", {"interface": "ve0", "addresses": ["10.0.0.1/24"], "purge": "x", "netns": "@NS"}, "purge",
         "argument 'purge' is of type str and we were unable to convert to bool"),
    # --- vnet_ifb ---------------------------------------------------------------------------------
    case("vnet_ifb", {"name": "nifb0", "redirect_from": ["nodev9"], "netns": "@NS"}, "redirect_from",
         "redirect_from: device 'nodev9' does not exist in netns"),
    case("vnet_ifb", {"name": "ifb0", "redirect_from": ["ifb0"], "netns": "@NS"}, "redirect_from",
         "redirect_from: ifb0 is the ifb itself"),
    case("vnet_ifb", {"name": "nifb0", "redirect_from": ["a/b"], "netns": "@NS"}, "redirect_from",
         "redirect_from: " + NOT_ALLOWED_IF % "a/b"),
    case("vnet_ifb", {"name": "nifb0", "redirect_from": ["ve1p"], "netns": "@NS"}, "redirect_from",
         "redirect_from: ve1p already redirects its ingress to ifb0 (tc prio 49152)"),
    case("vnet_ifb", {"name": "tap0", "netns": "@NS"}, "tap0", "ifb tap0: it exists as kind tuntap, not ifb"),
    case("vnet_ifb", {"name": "i%d", "netns": "@NS"}, "name", "name: " + TEMPLATE_IF % "i%d"),
    case("vnet_ifb", {"name": LONG, "netns": "@NS"}, "name", "name: interface name %r %s" % (LONG, TOO_LONG_IF)),
    case("vnet_ifb", {"name": "nifb0", "mtu": 0, "netns": "@NS"}, "mtu", "mtu: 0 is outside 68..65535"),
    case("vnet_ifb", {"name": "nifb0", "netns": GONE}, "netns", "netns: " + MISSING_NS),
    # --- vnet_bridge_hairpin -------------------------------------------------------------------------
    case("vnet_bridge_hairpin", {"bridge": "nobr", "port": "tap0", "netns": "@NS"}, "bridge",
         "bridge: 'nobr' does not exist in netns"),
    case("vnet_bridge_hairpin", {"bridge": "br0", "port": "noport", "netns": "@NS"}, "port",
         "port: device 'noport' does not exist in netns"),
    case("vnet_bridge_hairpin", {"bridge": "br0", "port": "br0", "netns": "@NS"}, "port",
         "port: br0 is the bridge itself"),
    case("vnet_bridge_hairpin", {"bridge": "ve1", "port": "tap0", "enslave": True, "netns": "@NS"}, "bridge",
         "bridge: ve1 is a veth device, not a bridge"),
    case("vnet_bridge_hairpin", {"bridge": "br0", "port": "tap0", "netns": "@NS"}, "port",
         "port: tap0 is not a port of bridge br0; set enslave: true to add it"),
    case("vnet_bridge_hairpin", {"bridge": "br0", "port": "ve1", "enslave": True, "netns": "@NS"}, "port",
         "port: ve1 carries mv0 (macvlan); the kernel refuses a device with macvlan/macvtap/ipvlan devices"),
    case("vnet_bridge_hairpin", {"bridge": "br0", "port": "tap1", "enslave": True, "netns": "@NS"}, "port",
         "port: tap1 is already enslaved to br1, not to br0"),
    case("vnet_bridge_hairpin", {"bridge": "br0", "port": "tun0", "enslave": True, "netns": "@NS"}, "tun0",
         "enslave brport tun0 in netns @NS: bridge=br0 failed: the kernel refused it as a port of that bridge: the "
         "bridge is gone (deleted meanwhile), or the device is not an ethernet device (a tun device, loopback...) "
         "[EINVAL]. Applied before the failure: nothing"),
    case("vnet_bridge_hairpin", {"bridge": "br0", "port": "ve0p", "hairpin": "sure", "netns": "@NS"}, "hairpin",
         "argument 'hairpin' is of type str and we were unable to convert to bool"),
    case("vnet_bridge_hairpin", {"bridge": "br 0", "port": "ve0p", "netns": "@NS"}, "bridge",
         "bridge: " + NOT_ALLOWED_IF % "br 0"),
    case("vnet_bridge_hairpin", {"bridge": "br0", "port": "ve0p", "netns": ".."}, "netns",
         "netns: " + NOT_ALLOWED_NS % ".."),
    case("vnet_bridge_hairpin", {"bridge": "br0", "port": "ve0p", "netns": GONE}, "netns", "netns: " + MISSING_NS),
    # --- vnet_links --------------------------------------------------------------------------------------
    case("vnet_links", {"links": "abc", "netns": "@NS"}, "links",
         "Elements value for option 'links' is of type str and we were unable to convert to dict"),
    case("vnet_links", {"links": [{"name": "x"}], "netns": "@NS"}, "kind",
         "links[0]: kind None is not one of bridge, "),
    case("vnet_links", {"links": [{"kind": "dummy", "name": "x"}], "netns": "@NS"}, "kind",
         "links[0]: kind 'dummy' is not one of"),
    case("vnet_links", {"links": [{"kind": "veth", "name": "x", "peer": "y", "bogus": 1}], "netns": "@NS"}, "bogus",
         "links[0] (veth x): unsupported parameters: bogus"),
    case("vnet_links", {"links": [{"kind": "veth", "name": "x", "peer": "y"}, {"kind": "tuntap", "name": "x", "mode": "tap"}],
                        "netns": "@NS"}, "links", "links[1]: x is already declared by links[0]"),
    case("vnet_links", {"links": [], "purge": True, "netns": "@NS"}, "purge",
         "purge: refusing to purge without a scope; set purge_prefix and/or purge_kinds"),
    case("vnet_links", {"links": [], "purge": True, "purge_kinds": ["vxlan"], "netns": "@NS"}, "purge_kinds",
         "purge_kinds: vxlan not managed by this collection"),
    case("vnet_links", {"links": [{"kind": "veth", "name": "a/b", "peer": "y"}], "netns": "@NS"}, "name",
         "links[0] (veth a/b): name: " + NOT_ALLOWED_IF % "a/b"),
    case("vnet_links", {"links": [{"kind": "bridge", "name": "b%d"}], "netns": "@NS"}, "name",
         "links[0] (bridge b%d): name: " + TEMPLATE_IF % "b%d"),
    case("vnet_links", {"links": [{"kind": "veth", "name": "x", "peer": "y", "mtu": "big"}], "netns": "@NS"}, "mtu",
         "links[0] (veth x): argument 'mtu' is of type str and we were unable to convert to int"),
    case("vnet_links", {"links": [{"kind": "tuntap", "name": "x"}], "netns": "@NS"}, "mode",
         "links[0] (tuntap x): state is present but all of the following are missing: mode"),
    case("vnet_links", {"links": [{"kind": "macvlan", "name": "x", "link": "ve1", "mode": "bogus"}], "netns": "@NS"}, "mode",
         "links[0] (macvlan x): value of mode must be one of: bridge, vepa, private, passthru, source, got: bogus"),
    case("vnet_links", {"links": [{"kind": "veth", "name": "x", "peer": "y", "netns": GONE}], "netns": "@NS"}, "netns",
         "netns: " + MISSING_NS),
    case("vnet_links", {"links": [], "netns": "../x"}, "netns", "netns: " + NOT_ALLOWED_NS % "../x"),
    case("vnet_links", {"netns": "@NS"}, "links", "missing required arguments: links"),
    case("vnet_links", {"links": [{"kind": "veth", "name": "tap0", "peer": "y"}], "netns": "@NS"}, "tap0",
         "veth tap0: it exists as kind tuntap, not veth"),
    # --- vnet_macvlan --------------------------------------------------------------------------------------
    case("vnet_macvlan", macvlan(link=None), "link", "state is present but all of the following are missing: link"),
    case("vnet_macvlan", macvlan(link="noparent"), "link", "link: parent device 'noparent' does not exist in netns"),
    case("vnet_macvlan", macvlan(mode="bogus"), "mode",
         "value of mode must be one of: bridge, vepa, private, passthru, source, got: bogus"),
    case("vnet_macvlan", macvlan(nopromisc=True), "nopromisc", "nopromisc: applies only to mode passthru"),
    case("vnet_macvlan", macvlan(source_macs=["02:00:00:00:00:01"]), "source_macs",
         "source_macs: applies only to mode source; mode is bridge"),
    case("vnet_macvlan", macvlan(mode="source"), "source_macs",
         "source_macs: mode source needs the source MAC addresses"),
    case("vnet_macvlan", macvlan(mode="source", source_macs=["nope"]), "source_macs",
         "source_macs: 'nope' is not a MAC address"),
    case("vnet_macvlan", macvlan(link="mv0"), "link", "link: mv0 is itself of kind macvlan; these devices do not stack"),
    case("vnet_macvlan", macvlan(link="ve0p"), "link", "link: ve0p is a port of bridge br0; the kernel refuses macvlan devices"),
    case("vnet_macvlan", macvlan(move_to_netns="a/b"), "move_to_netns", "move_to_netns: " + NOT_ALLOWED_NS % "a/b"),
    case("vnet_macvlan", macvlan(move_to_netns=GONE), "move_to_netns", "move_to_netns: " + MISSING_NS),
    case("vnet_macvlan", macvlan(kind="macvlanx"), "kind", "value of kind must be one of: macvlan, macvtap, got: macvlanx"),
    case("vnet_macvlan", macvlan(mode="passthru"), "mode", "mode: passthru needs the parent to itself, but ve1 already carries mv0"),
    case("vnet_macvlan", macvlan(name="tap0"), "tap0", "macvlan tap0: it exists as kind tuntap, not macvlan"),
    case("vnet_macvlan", macvlan(mac="02:00:00:00:00:0g"), "mac", "mac: '02:00:00:00:00:0g' is not a MAC address"),
    # --- vnet_ipvlan (validation and preflight: before the kernel, so they run here too) ------------------
    case("vnet_ipvlan", ipvlan(mac="02:00:00:00:00:01"), "mac", "mac: an ipvlan always has its parent's MAC address"),
    case("vnet_ipvlan", ipvlan(mode="l4"), "mode", "value of mode must be one of: l2, l3, l3s, got: l4"),
    case("vnet_ipvlan", ipvlan(flags="bogus"), "flags", "value of flags must be one of: bridge, private, vepa, got: bogus"),
    case("vnet_ipvlan", ipvlan(link="noparent"), "link", "link: parent device 'noparent' does not exist in netns"),
    case("vnet_ipvlan", ipvlan(link="ve1"), "link", "link: ve1 already carries macvlan/macvtap (mv0)"),
    case("vnet_ipvlan", ipvlan(link="ve0p"), "link", "link: ve0p is a port of bridge br0"),
    # --- vnet_iptunnel (validation) ---------------------------------------------------------------
    case("vnet_iptunnel", tunnel(name="gre0"), "name", "name: gre0 is the fallback device of gre tunnels; use kind: gre"),
    case("vnet_iptunnel", tunnel(name="t1", local="1.2.3"), "local", "local: '1.2.3' is not an IPv4 or IPv6 address"),
    case("vnet_iptunnel", tunnel(name="t1", remote="2001:db8::1"), "remote",
         "remote: 2001:db8::1 is not an IPv4 address (ipip and gre carry IPv4)"),
    case("vnet_iptunnel", tunnel(name="t1", ttl=300), "ttl", "ttl: 300 is outside 0..255"),
    case("vnet_iptunnel", tunnel(fou_port=70000), "fou_port", "fou_port: 70000 is outside 1..65535"),
    case("vnet_iptunnel", tunnel(local="192.0.2.1"), "local", "local: tunl0 is the fallback device of the ipip module and takes no local"),
    case("vnet_iptunnel", tunnel(name="t1", mac="02:00:00:00:00:01"), "mac", "mac: ipip tunnels have no MAC address"),
    case("vnet_iptunnel", tunnel(kind="vxlan"), "kind", "value of kind must be one of: ipip, gre, got: vxlan"),
    # --- vnet_ipvs_tun (validation: before any IPVS request, so they run on this kernel too) ------
    case("vnet_ipvs_tun", ipvs(service(scheduler="bogus")), "services[0].scheduler",
         "services[0].scheduler: unknown scheduler 'bogus' (one of rr, wrr"),
    case("vnet_ipvs_tun", ipvs(service(port=70000)), "services[0].port", "services[0].port: 70000 is outside 0..65535"),
    case("vnet_ipvs_tun", ipvs(service(address="not-an-ip")), "services[0].address",
         "services[0].address: 'not-an-ip' is not an IPv4 or IPv6 address"),
    case("vnet_ipvs_tun", ipvs({"port": 80}), "services[0]",
         "services[0]: a virtual service needs address and port (and protocol, default tcp), or fwmark"),
    case("vnet_ipvs_tun", ipvs(service(fwmark=1)), "services[0].address", "services[0].address: a fwmark service has no address"),
    case("vnet_ipvs_tun", ipvs(service(port=None)), "services[0].port", "services[0].port: required with address"),
    case("vnet_ipvs_tun", ipvs(service(port=0)), "services[0].port", "services[0].port: port 0 (all ports) needs persistence_timeout"),
    case("vnet_ipvs_tun", ipvs(service(realservers=[rs(address="2001:db8::1")])), "services[0].realservers[0].address",
         "services[0].realservers[0].address: 2001:db8::1 is an ipv6 address but the service"),
    case("vnet_ipvs_tun", ipvs(service(realservers=[rs(tun_type="gue")])), "services[0].realservers[0].tun_port",
         "services[0].realservers[0].tun_port: required with tun_type: gue"),
    case("vnet_ipvs_tun", ipvs(service(realservers=[rs(tun_port=6080)])), "services[0].realservers[0].tun_port",
         "services[0].realservers[0].tun_port: only with tun_type: gue (this one is ipip)"),
    case("vnet_ipvs_tun", ipvs(service(realservers=[rs(tun_csum="csum")])), "services[0].realservers[0].tun_csum",
         "services[0].realservers[0].tun_csum: only with tun_type: gue or gre"),
    case("vnet_ipvs_tun", ipvs(service(realservers=[rs(tun_type="gre", tun_csum="remcsum")])),
         "services[0].realservers[0].tun_csum", "tun_csum: remcsum (remote checksum offload) needs tun_type: gue"),
    case("vnet_ipvs_tun", ipvs(service(realservers=[rs(forward="route", port=8080)])), "services[0].realservers[0].port",
         "services[0].realservers[0].port: route forwarding keeps the virtual port (80)"),
    case("vnet_ipvs_tun", ipvs(service(realservers=[rs(lower_threshold=5)])), "services[0].realservers[0].lower_threshold",
         "services[0].realservers[0].lower_threshold: 5 is above upper_threshold 0"),
    case("vnet_ipvs_tun", ipvs(service(realservers=[rs(weight=-1)])), "services[0].realservers[0].weight",
         "services[0].realservers[0].weight: -1 is outside 0..2147483647"),
    case("vnet_ipvs_tun", ipvs(service(persistence_timeout=60, persistence_netmask="255.0.255.0")),
         "services[0].persistence_netmask", "services[0].persistence_netmask: '255.0.255.0' is not a prefix length or a contiguous netmask"),
    case("vnet_ipvs_tun", ipvs(service(scheduler="sh", scheduler_flags=["bogus"])), "services[0].scheduler_flags",
         "services[0].scheduler_flags: 'bogus' is not a flag of scheduler sh"),
    case("vnet_ipvs_tun", ipvs(service(), service()), "services[1]", "services[1]: tcp/192.0.2.80:80 is already listed as services[0]"),
    case("vnet_ipvs_tun", ipvs(service(family="ipv6")), "services[0].family",
         "services[0].family: ipv6 does not match address 192.0.2.80"),
    case("vnet_ipvs_tun", ipvs(service(protocol="icmp")), "protocol",
         "value of protocol must be one of: tcp, udp, sctp, got: icmp found in services"),
    case("vnet_ipvs_tun", ipvs(service(realservers=[{"port": 80}])), "address",
         "missing required arguments: address found in services -> realservers"),
    case("vnet_ipvs_tun", ipvs(service(realservers=[rs(forward="dr")])), "forward",
         "value of forward must be one of: tunnel, route, masquerade, got: dr found in services -> realservers"),
    case("vnet_ipvs_tun", ipvs(service(realservers=[rs(forward="masquerade", tun_type="gre")])),
         "services[0].realservers[0].tun_type", "services[0].realservers[0].tun_type: only with forward: tunnel (this one is masquerade)"),
    case("vnet_ipvs_tun", ipvs(service(), netns="../x"), "netns", "netns: " + NOT_ALLOWED_NS % "../x"),
    case("vnet_ipvs_tun", ipvs(service(), netns=GONE), "netns", "netns: " + MISSING_NS),
    # --- vnet_info -------------------------------------------------------------------------------------
    case("vnet_info", {"netns": "a/b"}, "netns", "netns: " + NOT_ALLOWED_NS % "a/b"),
    case("vnet_info", {"netns": GONE}, "netns", "netns: " + MISSING_NS),
    case("vnet_info", {"all_netns": "x"}, "all_netns", "argument 'all_netns' is of type str and we were unable to convert to bool"),
]

# On this kernel IPVS itself is missing: a valid declaration must say so (the VM tier has IPVS).
HOST_ONLY = [
    pytest.param(Case("vnet_ipvs_tun", ipvs(service(realservers=[rs()])), "IPVS",
                      "IPVS is not available in this kernel (load ip_vs)"), id="ipvs_tun-missing-ipvs"),
]

# Where IPVS exists (the VM tier), the IPVS table (`ipvsadm -S -n`) must stay unchanged too. The table
# above already runs every case here, validation precedes the kernel: a few suffice under TCG.
STOCK_KERNEL = [
    case("vnet_ipvs_tun", ipvs(service(scheduler="bogus")), "services[0].scheduler", "unknown scheduler 'bogus'", True),
    case("vnet_ipvs_tun", ipvs(service(), service()), "services[1]", "is already listed as services[0]", True),
]


def fill(value, names):
    if isinstance(value, str):
        return names.get(value, value) if value.startswith("@") else value
    if isinstance(value, dict):
        return dict((k, fill(v, names)) for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return [fill(v, names) for v in value]
    return value


@pytest.fixture(scope="module")
def lab(make_netns):
    ns, ns2 = make_netns("bad"), make_netns("bad2")
    harness.batch(ns, TOPOLOGY)
    harness.sh("tc", "-n", ns, "qdisc", "add", "dev", "ve1p", "ingress")
    harness.sh("tc", "-n", ns, "filter", "add", "dev", "ve1p", "parent", "ffff:", "prio", "49152", "protocol", "all",
               "u32", "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", "ifb0")
    return {"@NS": ns, "@NS2": ns2}


def check_case(bad, lab, tally, ipvs=False):
    if not harness.module_path(bad.module).exists():
        pytest.skip("%s is not in this tree yet" % bad.module)
    namespaces = (lab["@NS"], lab["@NS2"])
    watch = harness.existing(plain_names(bad.args) + [GONE])
    # The state after the previous case is this one's 'before' (each case proves it unchanged).
    before = lab.pop(("state", ipvs), None) or harness.settled(*namespaces, ipvs=ipvs)
    result = harness.run_module(bad.module, fill(bad.args, lab))
    tally["bad inputs tried"] += 1
    assert result.failed, "accepted bad input: %r" % result
    assert "Traceback" not in result.stderr and "exception" not in result.json, result
    assert bad.fragment.replace("@NS", lab["@NS"]) in result.msg, "message %r lacks %r" % (result.msg, bad.fragment)
    assert bad.names in result.msg, "message %r does not name %r" % (result.msg, bad.names)
    assert result.get("ops", []) == [], "a refused task reports ops: %r" % result
    after = harness.world(*namespaces, ipvs=ipvs)
    harness.assert_same(before, after)
    lab[("state", ipvs)] = after
    assert harness.existing(watch) == watch, "a namespace was created or deleted"
    assert not os.path.exists(os.path.join(harness.NETNS_DIR, GONE))


def plain_names(args):
    """Argument values a namespace could have been created under (names without '/': the security
    tests follow the others to where a path built from them would lead)."""
    if isinstance(args, dict):
        return [name for value in args.values() for name in plain_names(value)]
    if isinstance(args, list):
        return [name for value in args for name in plain_names(value)]
    return [args] if isinstance(args, str) and args and "/" not in args and args not in (".", "..") else []


@pytest.mark.parametrize("bad", CASES + HOST_ONLY)
def test_bad_input_fails_cleanly(bad, lab, tally):
    check_case(bad, lab, tally)


@pytest.mark.parametrize("bad", STOCK_KERNEL)
def test_bad_input_fails_cleanly_with_ipvs(bad, lab, tally):
    check_case(bad, lab, tally, ipvs=True)
