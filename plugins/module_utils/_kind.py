# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What differs per link kind: how to read it, how to create it, what can change in place.

A Kind translates between the kernel's attributes (IFLA_*) and the user's option
names. The planner only ever sees the user's terms (``Link.props`` vs
``LinkSpec.options``), which keeps it pure. One file per kind (``_kind_<name>.py``);
``_kinds.py`` registers them.
"""

from __future__ import annotations


class Kind:
    name = ""           # the kind users write (vnet_links ``kind``)
    kernel_kind = ""    # IFLA_INFO_KIND the kernel reports
    fixed = ()          # options the kernel cannot change on an existing link
    in_place = ()       # options changed on the existing link by set_options()
    netns_options = ()  # options naming a namespace that must exist
    none_is_value = ()  # options whose None is a wanted state, not 'leave as is'

    def describe(self, link, view):
        """Fill ``link.props`` (user terms) from kernel attributes; ``view`` reads other netns."""
        return {}

    def created_props(self, spec):
        """The props a link has right after create_request(spec): what companion_ops start from."""
        return {}

    def create_request(self, spec):
        """pyroute2 ``link('add')`` keyword arguments for a new link."""
        return {"ifname": spec.name, "kind": self.kernel_kind}

    def companion_ops(self, spec, props):
        """Ops on objects other than the link itself (a veth peer), given the link's props."""
        return []

    def set_options(self, client, spec):
        """Apply ``in_place`` options to an existing link (spec options complete, from plan)."""
        raise NotImplementedError(self.name)
