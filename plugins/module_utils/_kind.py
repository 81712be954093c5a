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

from ansible_collections.vnet.linux.plugins.module_utils._spec import link_spec


class Kind:
    name = ""           # the kind users write (vnet_links ``kind``)
    kernel_kind = ""    # IFLA_INFO_KIND the kernel reports
    argument_spec = {}  # the kind's own module options (beside name and the shared ones)
    required_if = []    # AnsibleModule required_if for those options
    fixed = ()          # options the kernel cannot change on an existing link
    in_place = ()       # options changed on the existing link by set_options()
    netns_options = ()  # options naming a namespace that must exist
    none_is_value = ()  # options whose None is a wanted state, not 'leave as is'

    def options(self, params):
        """The kind's options from validated module parameters (raise VnetError naming the parameter)."""
        return {}

    def spec(self, params):
        """want: the LinkSpec for one link; the per-kind module and each vnet_links item call this."""
        return link_spec(params, self.name, options=self.options(params))

    def describe(self, link, view):
        """Fill ``link.props`` (user terms) from kernel attributes; ``view`` reads other netns."""
        return {}

    def created_props(self, spec):
        """The props a link has right after create_request(spec): what companion_ops start from."""
        return {}

    def create_request(self, spec):
        """pyroute2 ``link('add')`` keyword arguments for a new link. A lower device given by name
        (``link``) is resolved to its ifindex in the namespace of created_from()."""
        return {"ifname": spec.name, "kind": self.kernel_kind}

    def created_from(self, spec):
        """Namespace whose socket sends the create request; the request may place the link in
        ``spec.netns`` from there (a macvlan is created beside its parent, into a container)."""
        return spec.netns

    def preflight(self, spec, view):
        """Fail with a clear message, before planning, when the kernel would refuse ``spec``
        (a missing or unsuitable lower device); ``view`` reads the kernel."""

    def recreate_reasons(self, spec, props):
        """Why the existing link cannot change in place beyond the ``fixed`` options
        (a transition the kernel refuses)."""
        return []

    def companion_ops(self, spec, props):
        """Ops on objects other than the link itself (a veth peer), given the link's props."""
        return []

    def set_options(self, client, spec):
        """Apply ``in_place`` options to an existing link (spec options complete, from plan)."""
        raise NotImplementedError(self.name)
