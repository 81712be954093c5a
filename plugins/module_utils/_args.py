# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument spec every module shares (documented by the vnet.linux.vnet doc fragment)."""

from __future__ import annotations

NETNS_ARGS = dict(
    netns=dict(type="str"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)

LINK_ARGS = dict(
    mtu=dict(type="int"),
    mac=dict(type="str"),
    up=dict(type="bool", default=True),
    addresses=dict(type="list", elements="str"),
    purge_addresses=dict(type="bool", default=False),
    recreate=dict(type="bool", default=False),
)


def link_argument_spec(**own):
    """Module-specific options plus the shared netns/state and link options."""
    spec = dict(NETNS_ARGS)
    spec.update(LINK_ARGS)
    spec.update(own)
    return spec
