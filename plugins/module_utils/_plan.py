# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plan: a pure function from (want, have) to an ordered list of Ops.

No I/O here: the same plan is what check mode reports, what diff mode renders
and what apply executes, so ``changed`` is exactly ``bool(plan)``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from ansible_collections.vnet.linux.plugins.module_utils._model import Op, VnetError

GENERIC_ATTRS = ("mtu", "mac", "up")


def plan_link(spec, have, kind):
    """Ops that turn ``have`` (a Link with props, or None) into ``spec``."""
    if spec.state == "absent":
        return delete_ops(spec, have, kind)
    if have is None:
        return create_ops(spec, kind)
    blockers = recreate_reasons(spec, have, kind)
    if blockers:
        if not spec.recreate:
            raise VnetError("%s %s: %s; the kernel cannot change this in place. Set recreate: true "
                            "to delete and re-create it (this interrupts its traffic)"
                            % (kind.name, spec.name, "; ".join(blockers)))
        return [Op("delete", spec.name, spec.netns, have.props.get("kind") or have.kind,
                   reason="; ".join(["recreate: " + "; ".join(blockers)] + takes_along(have)))] \
            + create_ops(spec, kind)
    ops = []
    changes = in_place_changes(spec, have, kind)
    if changes:
        ops.append(Op("set", spec.name, spec.netns, kind.name, changes=changes, spec=completed(spec, have, kind)))
    ops += kind.companion_ops(spec, have.props)
    ops += address_ops(spec.name, spec.netns, spec.addresses, have.addresses, spec.purge_addresses)
    return ops


def delete_ops(spec, have, kind):
    """Delete only what is of the declared kind: a same-named device of another kind is not ours."""
    if have is None:
        return []
    if have.props.get("kind") != kind.name:
        raise VnetError("%s %s: not deleting it: it is a %s, not a %s"
                        % (kind.name, spec.name, have.props.get("kind") or have.kind or "device", kind.name))
    return [Op("delete", spec.name, spec.netns, kind.name, reason="; ".join(takes_along(have)))]


def takes_along(have):
    """What the kernel deletes together with ``have``: say so in the op (a veth's peer)."""
    return ["removes its peer %s too" % have.props["peer"]] if have.props.get("peer") else []


def create_ops(spec, kind):
    summary = dict((k, v) for k, v in spec.options.items() if v is not None)
    summary.update((attr, getattr(spec, attr)) for attr in GENERIC_ATTRS if getattr(spec, attr) is not None)
    ops = [Op("create", spec.name, spec.netns, kind.name, changes=summary, spec=spec)]
    ops += kind.companion_ops(spec, kind.created_props(spec))
    ops += address_ops(spec.name, spec.netns, spec.addresses, [], False)
    return ops


def recreate_reasons(spec, have, kind):
    if have.props.get("kind") != kind.name:
        return ["it exists as kind %s, not %s" % (have.props.get("kind") or have.kind or "unknown", kind.name)]
    return ["%s is %s, wanted %s" % (key, have.props.get(key), spec.options[key])
            for key in kind.fixed
            if spec.options.get(key) is not None and have.props.get(key) != spec.options[key]] \
        + kind.recreate_reasons(spec, have.props)


def completed(spec, have, kind):
    """The spec with options it leaves open taken from the link as it is (set_options needs all)."""
    options = dict((key, have.props.get(key)) for key in kind.fixed + kind.in_place)
    options.update((key, value) for key, value in spec.options.items() if value is not None)
    return replace(spec, options=options)


def in_place_changes(spec, have, kind):
    changes = dict((attr, getattr(spec, attr)) for attr in GENERIC_ATTRS
                   if getattr(spec, attr) is not None and getattr(spec, attr) != getattr(have, attr))
    changes.update((key, spec.options[key]) for key in kind.in_place
                   if spec.options.get(key) is not None and have.props.get(key) != spec.options[key])
    return changes


def address_ops(name, netns, want, have, purge, state="present"):
    """add/remove-address ops; IPv6 link-local addresses are the kernel's and never purged.

    Deleting the primary address of an IPv4 subnet makes the kernel delete that subnet's secondary
    addresses with it (promote_secondaries is off by default): those that stay are added back after
    it, and new addresses of that subnet are added only then (before, they would be secondaries)."""
    if want is None:
        return []
    if state == "absent":
        removed = [a for a in want if a in have]
    else:
        removed = [a for a in have if a not in want and not is_ipv6_link_local(a)] if purge else []
    added = [a for a in want if a not in have] if state == "present" else []
    primaries = primary_addresses(have)
    removed_primaries = [a for a in removed if primaries.get(ipv4_subnet(a)) == a]
    emptied = set(ipv4_subnet(a) for a in removed_primaries)
    taken_along = [a for a in have if a not in removed and ipv4_subnet(a) in emptied]

    def op(verb, address, reason=""):
        return Op(verb, name, netns, changes={"address": address}, reason=reason)

    return ([op("add-address", a) for a in added if ipv4_subnet(a) not in emptied]
            + [op("remove-address", a) for a in removed if a not in removed_primaries]
            + [op("remove-address", a) for a in removed_primaries]
            + [op("add-address", a, "the kernel deletes it with primary %s" % primaries[ipv4_subnet(a)])
               for a in taken_along]
            + [op("add-address", a) for a in added if ipv4_subnet(a) in emptied])


def ipv4_subnet(cidr):
    """The IPv4 network of an address (None for IPv6): addresses in one are a primary and its secondaries."""
    address = ipaddress.ip_interface(cidr)
    return address.network if address.version == 4 else None


def primary_addresses(have):
    """The primary address of each IPv4 subnet: the kernel lists a device's primaries before its
    secondaries, so the first address of a subnet in ``have`` (dump order) is its primary."""
    primaries = {}
    for cidr in have:
        subnet = ipv4_subnet(cidr)
        if subnet is not None:
            primaries.setdefault(subnet, cidr)
    return primaries


def is_ipv6_link_local(cidr):
    address = ipaddress.ip_interface(cidr)
    return address.version == 6 and address.is_link_local


def plan_netns(name, state, existing):
    """create/delete ops for a named namespace; names match exactly, never as substrings."""
    present = name in existing
    if state == "present" and not present:
        return [Op("create", name, kind="netns")]
    if state == "absent" and present:
        return [Op("delete", name, kind="netns")]
    return []
