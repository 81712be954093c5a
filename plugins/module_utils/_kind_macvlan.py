# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""macvlan and macvtap: devices stacked on a parent ethernet device (``link``), each with its own MAC.

The parent lives in the namespace the module works in (``link_netns``). The device may live
elsewhere (a container's namespace): the create request is sent from the parent's namespace
with IFLA_NET_NS_FD, so the kernel finds the parent there and registers the device directly
where it lives. Its name then only has to be free there (a container's eth0 beside the
host's eth0), and it is never up or addressed on the host side, not even for a moment.
"""

from __future__ import annotations

import os

from ansible_collections.vnet.linux.plugins.module_utils._converge import check_netns_exists
from ansible_collections.vnet.linux.plugins.module_utils._kind import Kind
from ansible_collections.vnet.linux.plugins.module_utils._model import VnetError
from ansible_collections.vnet.linux.plugins.module_utils._netlink import netns_target
from ansible_collections.vnet.linux.plugins.module_utils._spec import check_ifname, check_mac, check_netns_name, link_spec

MACVLAN_KINDS = ("macvlan", "macvtap")
IPVLAN_KINDS = ("ipvlan", "ipvtap")
MACVLAN_FLAG_NOPROMISC = 0x1
# Masters that take the receive handler of their ports: the kernel refuses stacked devices there (EBUSY).
RX_HANDLER_MASTERS = ("bridge", "bond")
PROC_DEVICES = "/proc/devices"
SYS_DEV_CHAR = "/sys/dev/char"


def netns_label(netns):
    return "netns %s" % netns if netns else "the module's namespace"


class StackedKind(Kind):
    """What macvlan/macvtap and ipvlan/ipvtap share: the parent (``link``) in ``link_netns``."""

    fixed = ("link", "link_netns")
    netns_options = ("link_netns",)
    none_is_value = ("link_netns",)  # None: the parent is in the module's own namespace
    family = ""  # how messages name the device family
    argument_spec = dict(link=dict(type="str"), move_to_netns=dict(type="str"))
    required_if = [("state", "present", ["link"])]

    def options(self, params):
        """The parent and its namespace (the module's netns); subclasses add their mode options."""
        return {"link": check_ifname("link", params["link"]) if params["link"] is not None else None,
                "link_netns": check_netns_name("netns", params["netns"])}

    def spec(self, params):
        """want: the device lives in move_to_netns (or netns); its parent, and the create request, in netns."""
        options = self.options(params)
        move_to = check_netns_name("move_to_netns", params["move_to_netns"])
        if params["state"] == "present":
            check_netns_exists("netns", options["link_netns"])
            check_netns_exists("move_to_netns", move_to)
        return link_spec(dict(params, netns=move_to or options["link_netns"]), self.name, options=options)

    def describe(self, link, view):
        parent_netns = view.peer_netns_of(link)
        parent = view.link_by_index(parent_netns, link.parent)
        props = {"link": parent.name if parent else None, "link_netns": parent_netns, "link_ifindex": link.parent}
        if self.kernel_kind.endswith("tap"):
            props.update(tap_char_device(self.kernel_kind, link.name, link.ifindex))
        return props

    def created_from(self, spec):
        return spec.options.get("link_netns")

    def create_request(self, spec):
        request = super().create_request(spec)
        request["link"] = spec.options["link"]
        if spec.netns != self.created_from(spec):
            request.update(netns_target(spec.netns))
        return request

    def preflight(self, spec, view):
        """The parent must exist beside the request and be a device the kernel stacks on as asked."""
        netns = self.created_from(spec)
        links = view.links(netns)
        parent = links.get(spec.options["link"])
        if parent is None:
            raise VnetError("link: parent device %r does not exist in %s (the parent must be in the namespace "
                            "given by netns; move_to_netns places the %s elsewhere)"
                            % (spec.options["link"], netns_label(netns), self.family))
        self.check_parent(parent, view)
        if view.link(spec.netns, spec.name) is None:
            uppers = [link for link in links.values() if link.parent == parent.ifindex and link.link_netnsid is None
                      and not (netns == spec.netns and link.name == spec.name)]
            self.check_siblings(spec, parent, uppers)

    def check_parent(self, parent, view):
        if parent.kind in self.stacking_kinds():
            lower = view.link_by_index(view.peer_netns_of(parent), parent.parent)
            raise VnetError("link: %s is itself of kind %s; these devices do not stack: the kernel would attach the "
                            "new device to %s's own parent%s instead (or refuse it). Use that parent as link"
                            % (parent.name, parent.kind, parent.name, " %s" % lower.name if lower else ""))
        if parent.master is not None and parent.slave_kind in RX_HANDLER_MASTERS:
            master = view.link_by_index(parent.netns, parent.master)
            master = master.name if master else "its master"
            raise VnetError("link: %s is a port of %s %s; the kernel refuses %s devices on a device enslaved to a "
                            "bridge or bond (EBUSY: its receive handler is taken). Use %s itself as link, or release "
                            "%s from it first" % (parent.name, parent.slave_kind, master, self.family, master,
                                                  parent.name))

    def stacking_kinds(self):
        """Kinds of parent the kernel silently replaces by that parent's own parent."""
        return ()

    def check_siblings(self, spec, parent, uppers):
        """Refuse a new device the parent's other stacked devices (in this namespace) rule out."""
        rivals = sorted(link.name for link in uppers if link.kind in self.rival_kinds())
        if rivals:
            raise VnetError("link: %s already carries %s (%s); the kernel allows macvlan/macvtap or ipvlan/ipvtap "
                            "devices on one parent, not both (EBUSY)"
                            % (parent.name, "/".join(self.rival_kinds()), ", ".join(rivals)))

    def rival_kinds(self):
        return ()


class MacVlan(StackedKind):
    name = kernel_kind = "macvlan"
    family = "macvlan"
    # The kernel's in-place change of the flag miscounts the parent's promiscuity while the device is down.
    fixed = StackedKind.fixed + ("nopromisc",)
    in_place = ("mode", "source_macs")
    argument_spec = dict(
        StackedKind.argument_spec,
        mode=dict(type="str", choices=["bridge", "vepa", "private", "passthru", "source"], default="vepa"),
        nopromisc=dict(type="bool"),
        source_macs=dict(type="list", elements="str"),
    )

    def options(self, params):
        options = super().options(params)
        if params["state"] == "present":
            options.update(mode_options(params))
        return options

    def attribute(self, name):
        """pyroute2 names macvtap's attributes IFLA_MACVTAP_*, macvlan's IFLA_MACVLAN_*."""
        return "IFLA_%s_%s" % (self.kernel_kind.upper(), name)

    def keyword(self, name):
        return "%s_%s" % (self.kernel_kind, name)

    def describe(self, link, view):
        props = super().describe(link, view)
        data = link.data
        flags = data.get(self.attribute("FLAGS"))
        macs = data.get(self.attribute("MACADDR_DATA"))
        props.update(mode=data.get(self.attribute("MODE")),
                     # pyroute2 names the known flag values, and hands back the number for other combinations.
                     nopromisc=flags == "nopromisc" or (isinstance(flags, int) and bool(flags & MACVLAN_FLAG_NOPROMISC)),
                     source_macs=sorted(attr[1] for attr in macs.get("attrs", [])) if macs else [])
        return props

    def create_request(self, spec):
        request = super().create_request(spec)
        request.update(self.mode_request(spec))
        if spec.options.get("nopromisc"):
            request[self.keyword("flags")] = MACVLAN_FLAG_NOPROMISC
        return request

    def mode_request(self, spec):
        """Mode, and in source mode the whole list of source MACs (IFLA_MACVLAN_MACADDR_MODE set)."""
        request = {self.keyword("mode"): spec.options["mode"]}
        macs = spec.options.get("source_macs")
        if spec.options["mode"] == "source" and macs is not None:
            request[self.keyword("macaddr_mode")] = "set" if macs else "flush"
            if macs:
                request[self.keyword("macaddr_data")] = {
                    "attrs": [(self.attribute("MACADDR"), mac) for mac in macs]}
        return request

    def set_options(self, client, spec):
        # The kernel applies the mode first, so a switch into source mode and its MAC list go in one request.
        client.link_set("set %s %s mode %s" % (self.name, spec.name, spec.options["mode"]),
                        client.ifindex(spec.name), kind=self.kernel_kind, **self.mode_request(spec))

    def recreate_reasons(self, spec, props):
        if (props.get("mode") == "passthru") != (spec.options.get("mode") == "passthru"):
            return ["mode is %s, wanted %s (no device switches into or out of passthru mode)"
                    % (props.get("mode"), spec.options.get("mode"))]
        return []

    def stacking_kinds(self):
        return MACVLAN_KINDS

    def rival_kinds(self):
        return IPVLAN_KINDS

    def check_siblings(self, spec, parent, uppers):
        super().check_siblings(spec, parent, uppers)
        macvlans = [link for link in uppers if link.kind in MACVLAN_KINDS]
        passthru = [link for link in macvlans if macvlan_mode(link) == "passthru"]
        if passthru:
            raise VnetError("link: %s already has the passthru %s %s, which takes the whole parent; the kernel "
                            "refuses any other macvlan/macvtap on it (EINVAL)"
                            % (parent.name, passthru[0].kind, passthru[0].name))
        if spec.options["mode"] == "passthru" and macvlans:
            raise VnetError("mode: passthru needs the parent to itself, but %s already carries %s; the kernel "
                            "refuses a passthru device beside others (EINVAL)"
                            % (parent.name, ", ".join(sorted(link.name for link in macvlans))))


class MacVtap(MacVlan):
    name = kernel_kind = "macvtap"


def mode_options(params):
    """mode with the options that only apply to some modes, refused where they do not."""
    mode = params["mode"]
    if params["nopromisc"] and mode != "passthru":
        raise VnetError("nopromisc: applies only to mode passthru (it keeps the parent out of promiscuous mode); "
                        "mode is %s" % mode)
    macs = params["source_macs"]
    if mode == "source" and not macs:
        raise VnetError("source_macs: mode source needs the source MAC addresses whose frames the device receives")
    if mode != "source" and macs is not None:
        raise VnetError("source_macs: applies only to mode source; mode is %s" % mode)
    if macs is not None:
        macs = sorted(set(check_mac("source_macs", mac) for mac in macs))
    return {"mode": mode, "nopromisc": params["nopromisc"], "source_macs": macs}


def macvlan_mode(link):
    return link.data.get("IFLA_%s_MODE" % link.kind.upper())


def tap_char_device(kernel_kind, name, ifindex):
    """/dev/tapN of a macvtap/ipvtap (N = its ifindex) and its major:minor, found without entering the
    device's namespace: /sys/dev/char is not per namespace, and the link it holds for each tap char
    device names the network device and tapN. Devices with the same name and ifindex in two namespaces
    cannot be told apart there: major:minor is then None (and /dev/tapN belongs to whichever came first)."""
    tail = "/net/%s/%s/tap%d" % (name, kernel_kind, ifindex)
    majors = char_majors(kernel_kind)
    try:
        found = [entry for entry in os.listdir(SYS_DEV_CHAR) if entry.split(":")[0] in majors
                 and os.readlink(os.path.join(SYS_DEV_CHAR, entry)).endswith(tail)]
    except OSError:
        found = []
    return {"tap_device": "/dev/tap%d" % ifindex, "tap_major_minor": found[0] if len(found) == 1 else None}


def char_majors(driver):
    """Major numbers /proc/devices lists for a character device driver (macvtap's is dynamic)."""
    try:
        with open(PROC_DEVICES) as devices:
            lines = devices.read().split("Block devices:")[0].splitlines()
    except OSError:
        return []
    return [line.split()[0] for line in lines if line.split()[1:] == [driver]]
