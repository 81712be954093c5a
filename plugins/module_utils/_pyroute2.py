# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The parts of pyroute2 the engine uses, imported without running pyroute2's package ``__init__``.

That ``__init__`` imports every subsystem of the library (NDB, IPDB, conntrack, nftables, WireGuard,
plan9...) to re-export their classes: about half of what ``import pyroute2`` costs, 0.1 s on a host and
~2 s under the VM tier's emulated CPU, paid by every module run. The engine needs the rtnetlink and
generic-netlink sockets only, so the package is registered bare and those submodules are imported. Code
in the same process that asks the package for anything else (``from pyroute2 import NDB``) has the real
``__init__`` run at that moment (a PEP 562 module ``__getattr__``), so for it the package is whole.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import lru_cache


def register_pyroute2_without_init():
    if "pyroute2" in sys.modules:
        return
    spec = importlib.util.find_spec("pyroute2")
    if spec is None:
        return  # not installed: the imports below raise ImportError as usual
    package = importlib.util.module_from_spec(spec)

    def complete_package(name):
        # ``from pyroute2 import config`` asks for the attribute first: a submodule is the import system's job.
        if importlib.util.find_spec("pyroute2." + name) is not None:
            raise AttributeError(name)
        del package.__getattr__
        spec.loader.exec_module(package)
        return getattr(package, name)

    package.__getattr__ = complete_package
    sys.modules["pyroute2"] = package


__all__ = ["HAS_PYROUTE2", "PYROUTE2_IMPORT_ERROR", "NetlinkError", "genlmsg", "link_message_class",
           "new_request_compiler", "open_generic_socket", "open_iproute", "pyroute2_netns"]

register_pyroute2_without_init()

try:
    from pyroute2.netlink import genlmsg, nla
    from pyroute2.netlink.exceptions import NetlinkError
    HAS_PYROUTE2 = True
    PYROUTE2_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by ansible-test import sanity
    HAS_PYROUTE2 = False
    PYROUTE2_IMPORT_ERROR = exc
    genlmsg = object  # a base class in _netlink_ipvs


# pyroute2's socket classes, its link message class and its namespace tools are imported on first use:
# with asyncio (and IPRoute's mock backend) the sockets are a third of a link module's start (~60 ms on a
# host, seconds under the VM tier's emulated CPU), the other two ~10 ms more (multiprocessing, the link
# kinds' attribute maps), and the common create, set and dump paths encode and parse their own
# messages on plain sockets.
def open_iproute(netns=None):
    """pyroute2's rtnetlink socket, inside ``netns`` when given (flags=0: never creating it)."""
    link_message_class()
    from pyroute2.iproute import IPRoute
    return IPRoute(netns=netns, flags=0) if netns else IPRoute()


def new_request_compiler():
    """pyroute2's IPBatch: encodes requests without sending them."""
    link_message_class()
    from pyroute2.iproute import IPBatch
    return IPBatch()


@lru_cache(maxsize=None)
def link_message_class():
    """pyroute2's ifinfmsg, taught the ipvlan attributes before anything encodes or decodes with it."""
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
    register_ipvlan_attributes(ifinfmsg)
    return ifinfmsg


def register_ipvlan_attributes(ifinfmsg):
    """pyroute2 0.9.7 knows IFLA_IPVLAN_MODE only, and only for kind ipvlan: it would silently drop
    IFLA_IPVLAN_FLAGS and not decode ipvtap's attributes. Define both for both kinds (keywords
    ``ipvlan_mode``, ``ipvlan_flags``), without touching how other kinds are decoded."""

    class IpvlanData(nla):
        prefix = "IFLA_"
        nla_map = (("IFLA_IPVLAN_UNSPEC", "none"),
                   ("IFLA_IPVLAN_MODE", "uint16"),
                   ("IFLA_IPVLAN_FLAGS", "uint16"))

    ifinfmsg.ifinfo.data_map.update(ipvlan=IpvlanData, ipvtap=IpvlanData)


def pyroute2_netns():
    """pyroute2's namespace tools (create, remove, list)."""
    import pyroute2.netns
    return pyroute2.netns


def open_generic_socket():
    """pyroute2's generic-netlink socket (family lookup, then bind)."""
    from pyroute2.netlink.generic import GenericNetlinkSocket
    return GenericNetlinkSocket()
