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


__all__ = ["HAS_PYROUTE2", "PYROUTE2_IMPORT_ERROR", "NetlinkError", "genlmsg", "ifinfmsg", "new_request_compiler",
           "nla", "open_generic_socket", "open_iproute", "pyroute2_netns"]

register_pyroute2_without_init()

try:
    import pyroute2.netns as pyroute2_netns
    from pyroute2.netlink import genlmsg, nla
    from pyroute2.netlink.exceptions import NetlinkError
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
    HAS_PYROUTE2 = True
    PYROUTE2_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by ansible-test import sanity
    HAS_PYROUTE2 = False
    PYROUTE2_IMPORT_ERROR = exc
    genlmsg = object  # a base class in _netlink_ipvs


# pyroute2's socket classes are imported on first use: with asyncio (and IPRoute's mock backend) they
# are a third of a link module's start (~60 ms on a host, seconds under the VM tier's emulated CPU), and
# the common create, set and dump paths encode and parse their own messages on plain sockets.
def open_iproute(netns=None):
    """pyroute2's rtnetlink socket, inside ``netns`` when given (flags=0: never creating it)."""
    from pyroute2.iproute import IPRoute
    return IPRoute(netns=netns, flags=0) if netns else IPRoute()


def new_request_compiler():
    """pyroute2's IPBatch: encodes requests without sending them."""
    from pyroute2.iproute import IPBatch
    return IPBatch()


def open_generic_socket():
    """pyroute2's generic-netlink socket (family lookup, then bind)."""
    from pyroute2.netlink.generic import GenericNetlinkSocket
    return GenericNetlinkSocket()
