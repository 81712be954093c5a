# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The registry of link kinds the engine manages, by user name and by kernel name.

Each kind's file is imported when the engine first needs that kind. A module run
compiles the module_utils it imports from AnsiballZ's zip (no .pyc there; see
_compile_once), so a per-kind module that loaded all ten
kinds compiled, in every run, the code of kinds it never met. The imports stay in
the source, inside the loaders below, so that AnsiballZ still packs every kind
into every module's zip: a run can meet a device of any kind under the name it manages.
"""

from __future__ import annotations

from collections.abc import Mapping


def _bridge():
    from ansible_collections.vnet.linux.plugins.module_utils._kind_bridge import Bridge
    return [Bridge()]


def _ifb():
    from ansible_collections.vnet.linux.plugins.module_utils._kind_ifb import Ifb
    return [Ifb()]


def _iptunnel():
    from ansible_collections.vnet.linux.plugins.module_utils._kind_iptunnel import Gre, IpIp
    return [IpIp(), Gre()]


def _ipvlan():
    from ansible_collections.vnet.linux.plugins.module_utils._kind_ipvlan import IpVlan, IpVtap
    return [IpVlan(), IpVtap()]


def _macvlan():
    from ansible_collections.vnet.linux.plugins.module_utils._kind_macvlan import MacVlan, MacVtap
    return [MacVlan(), MacVtap()]


def _tuntap():
    from ansible_collections.vnet.linux.plugins.module_utils._kind_tuntap import TunTap
    return [TunTap()]


def _veth():
    from ansible_collections.vnet.linux.plugins.module_utils._kind_veth import Veth
    return [Veth()]


# user kind -> the loader of its file (which returns every kind that file defines)
LOADERS = {
    "veth": _veth, "tuntap": _tuntap, "ifb": _ifb, "bridge": _bridge,
    "macvlan": _macvlan, "macvtap": _macvlan, "ipvlan": _ipvlan, "ipvtap": _ipvlan,
    "ipip": _iptunnel, "gre": _iptunnel,
}
# IFLA_INFO_KIND the kernel reports -> user kind (each Kind's kernel_kind; a unit test holds them equal)
KERNEL_KIND_NAMES = {
    "veth": "veth", "tun": "tuntap", "ifb": "ifb", "bridge": "bridge",
    "macvlan": "macvlan", "macvtap": "macvtap", "ipvlan": "ipvlan", "ipvtap": "ipvtap",
    "ipip": "ipip", "gre": "gre",
}


class KindRegistry(Mapping):
    """user kind -> Kind, read-only like a dict; a kind's file is imported on first lookup."""

    def __init__(self, loaders):
        self._loaders = loaders
        self._loaded = {}

    def __getitem__(self, name):
        if name not in self._loaded:
            for kind in self._loaders[name]():  # KeyError for an unknown kind, as a dict raises
                self._loaded[kind.name] = kind
        return self._loaded[name]

    def __contains__(self, name):
        return name in self._loaders

    def __iter__(self):
        return iter(self._loaders)

    def __len__(self):
        return len(self._loaders)


KINDS = KindRegistry(LOADERS)
