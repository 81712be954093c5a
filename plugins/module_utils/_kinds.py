# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The registry of link kinds the engine manages, by user name and by kernel name."""

from __future__ import annotations

from ansible_collections.vnet.linux.plugins.module_utils._kind_bridge import Bridge
from ansible_collections.vnet.linux.plugins.module_utils._kind_ifb import Ifb
from ansible_collections.vnet.linux.plugins.module_utils._kind_iptunnel import Gre, IpIp
from ansible_collections.vnet.linux.plugins.module_utils._kind_ipvlan import IpVlan, IpVtap
from ansible_collections.vnet.linux.plugins.module_utils._kind_macvlan import MacVlan, MacVtap
from ansible_collections.vnet.linux.plugins.module_utils._kind_tuntap import TunTap
from ansible_collections.vnet.linux.plugins.module_utils._kind_veth import Veth

KINDS = dict((kind.name, kind) for kind in (Veth(), TunTap(), Ifb(), Bridge(), MacVlan(), MacVtap(), IpVlan(), IpVtap(),
                                            IpIp(), Gre()))
KERNEL_KIND_NAMES = dict((kind.kernel_kind, kind.name) for kind in KINDS.values())
