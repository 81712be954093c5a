# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Persistent TUN/TAP devices (kernel kind 'tun')."""

from __future__ import annotations

from ansible_collections.vnet.linux.plugins.module_utils._kind import Kind
from ansible_collections.vnet.linux.plugins.module_utils._model import VnetError
from ansible_collections.vnet.linux.plugins.module_utils._spec import resolve_gid, resolve_uid


TUN_TYPES = {1: "tun", 2: "tap"}
TUN_FLAGS = ("pi", "vnet_hdr", "multi_queue")


class TunTap(Kind):
    name = "tuntap"
    kernel_kind = "tun"
    fixed = ("mode",) + TUN_FLAGS
    in_place = ("owner", "group")
    argument_spec = dict(
        mode=dict(type="str", choices=["tun", "tap"]),
        owner=dict(type="str"),
        group=dict(type="str"),
        multi_queue=dict(type="bool"),
        vnet_hdr=dict(type="bool"),
        pi=dict(type="bool"),
    )
    required_if = [("state", "present", ["mode"])]

    def options(self, params):
        if params["state"] == "present" and not params["name"].isascii():
            raise VnetError("name: tun/tap device name %r is not ASCII; pyroute2, which creates tun/tap devices (by "
                            "ioctl), only takes ASCII names (other kinds take any UTF-8 name)" % params["name"])
        if params["mode"] == "tun" and params["mac"] is not None:
            raise VnetError("mac: a tun device (mode: tun) has no MAC address; use mode: tap or drop mac")
        options = dict((flag, params[flag]) for flag in ("mode",) + TUN_FLAGS)
        options.update(owner=resolve_uid("owner", params["owner"]), group=resolve_gid("group", params["group"]))
        return options

    def describe(self, link, view):
        data = link.data
        props = {"mode": TUN_TYPES.get(data.get("IFLA_TUN_TYPE")),
                 "owner": data.get("IFLA_TUN_OWNER"),
                 "group": data.get("IFLA_TUN_GROUP"),
                 "persist": bool(data.get("IFLA_TUN_PERSIST"))}
        for flag in TUN_FLAGS:
            props[flag] = bool(data.get("IFLA_TUN_" + flag.upper()))
        return props

    def create_request(self, spec):
        # pyroute2 creates 'tun' links with the TUNSETIFF/TUNSETPERSIST ioctls, in the target netns.
        opts = spec.options
        request = super().create_request(spec)
        request["tun_type"] = 1 if opts["mode"] == "tun" else 2
        for flag in TUN_FLAGS:
            request["tun_" + flag] = int(bool(opts.get(flag)))
        for key in self.in_place:
            if opts.get(key) is not None:
                request["tun_" + key] = opts[key]
        if opts.get("owner") is None and opts.get("group") is None:
            # Without both, the kernel lets anyone who can open /dev/net/tun attach: root owns it instead.
            request["tun_owner"] = 0
        return request

    def set_options(self, client, spec):
        # Re-attaching with TUNSETIFF (same flags) then TUNSETOWNER/GROUP changes them in place.
        client.link_add("change owner/group of tuntap %s" % spec.name, **self.create_request(spec))
