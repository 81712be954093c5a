# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vnet_links: many links of any kind in one task, through the per-kind modules' own path.

Each item is validated with its kind's argument spec and turned into a LinkSpec by
``Kind.spec`` (exactly what the per-kind module does), then all of them are planned
together in dependency order. ``purge`` deletes only managed-kind devices inside an
explicit scope (name prefix and/or kinds) and never a device a listed item owns.
"""

from __future__ import annotations

from functools import lru_cache

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError

from ansible_collections.vnet.linux.plugins.module_utils._args import link_argument_spec
from ansible_collections.vnet.linux.plugins.module_utils._kinds import KINDS
from ansible_collections.vnet.linux.plugins.module_utils._model import LinkSpec, VnetError


def item_specs(items, netns):
    """LinkSpecs for the ``links`` items, in dependency order; ``netns`` is the items' default."""
    specs = [item_spec(index, item, netns) for index, item in enumerate(items)]
    seen = {}
    for index, spec in enumerate(specs):
        key = (spec.netns, spec.name)
        if key in seen:
            raise VnetError("links[%d]: %s is already declared by links[%d]; declare each link once"
                            % (index, spec.name, seen[key]))
        seen[key] = index
    return order_specs(specs)


def item_spec(index, item, netns):
    where = "links[%d]" % index
    if not isinstance(item, dict):
        raise VnetError("%s: each item must be a dict with at least kind and name" % where)
    kind = KINDS.get(item.get("kind"))
    if kind is None:
        raise VnetError("%s: kind %r is not one of %s" % (where, item.get("kind"), ", ".join(sorted(KINDS))))
    params = dict((key, value) for key, value in item.items() if key != "kind")
    params.setdefault("netns", netns)
    result = validator_of(kind.name).validate(params)
    if result.errors.errors:  # the container itself is always truthy
        messages = ["unsupported parameters: %s" % error.msg if isinstance(error, UnsupportedError) else error.msg
                    for error in result.errors]
        raise VnetError("%s (%s %s): %s" % (where, kind.name, item.get("name"), "; ".join(messages)))
    try:
        return kind.spec(result.validated_parameters)
    except VnetError as exc:
        raise VnetError("%s (%s %s): %s" % (where, kind.name, item.get("name"), exc))


@lru_cache(maxsize=None)
def validator_of(kind_name):
    """The argument validator of a kind's items, built once per kind (1000 veth items: 1000 builds were ~6 ms)."""
    kind = KINDS[kind_name]
    return ArgumentSpecValidator(link_argument_spec(name=dict(type="str", required=True), **kind.argument_spec),
                                 required_if=kind.required_if)


def order_specs(specs):
    """Deletions first, children (stacked on a listed parent) before parents; then creations,
    parents before children. Anything else keeps the user's order."""
    listed = dict(((s.netns, s.name), s) for s in specs)
    depth = dict((key, parent_depth(spec, listed)) for key, spec in listed.items())
    absent = sorted((s for s in specs if s.state == "absent"), key=lambda s: -depth[(s.netns, s.name)])
    present = sorted((s for s in specs if s.state == "present"), key=lambda s: depth[(s.netns, s.name)])
    return absent + present


def parent_depth(spec, listed, seen=()):
    """How many listed devices ``spec`` stacks on (a macvlan on a listed veth: 1); ``listed`` is by (netns, name)."""
    parent = listed.get((spec.options.get("link_netns", spec.netns), spec.options.get("link")))
    if parent is None or parent.name in seen:
        return 0
    return 1 + parent_depth(parent, listed, seen + (spec.name,))


def owned_names(spec):
    """Device names a listed spec owns in its namespace (a veth owns its peer beside it)."""
    names = {spec.name}
    if spec.kind == "veth" and spec.options.get("peer") and not spec.options.get("peer_netns"):
        names.add(spec.options["peer"])
    return names


def check_purge_scope(purge, prefix, kinds):
    if purge and not prefix and not kinds:
        raise VnetError("purge: refusing to purge without a scope; set purge_prefix and/or purge_kinds to bound "
                        "what may be deleted")
    unknown = sorted(set(kinds or []) - set(KINDS))
    if unknown:
        raise VnetError("purge_kinds: %s not managed by this collection; choose from %s"
                        % (", ".join(unknown), ", ".join(sorted(KINDS))))


def purge_specs(view, netns, specs, prefix, kinds):
    """absent specs for managed-kind links in ``netns`` inside the scope that no spec owns, except those
    whose deletion would take along a device outside that set; stacked devices (with a parent) first,
    since deleting a parent takes them along."""
    owned = set()
    for spec in specs:
        if spec.netns == netns:
            owned |= owned_names(spec)
    links = view.links(netns)
    candidates = set(name for name in links if in_purge_scope(view.link(netns, name), owned, prefix, kinds))
    along = dict((name, taken_along(view, netns, name)) for name in candidates)
    while True:  # dropping a device can make another one take it along
        blocked = set(name for name in candidates if along[name] - set((netns, n) for n in candidates))
        if not blocked:
            break
        candidates -= blocked
    doomed, gone = [], set()
    for name in sorted(candidates):
        link = view.link(netns, name)
        if link.props.get("kind") == "veth" and link.props.get("peer") in gone:
            continue  # deleting the other end already removes this one
        gone.add(name)
        doomed.append(LinkSpec(name=name, kind=link.props["kind"], netns=netns, state="absent", up=None,
                               options={"link": link.props.get("link")}))
    return [s for s in doomed if s.options["link"]] + [s for s in doomed if not s.options["link"]]


def in_purge_scope(link, owned, prefix, kinds):
    kind = link.props.get("kind")
    return kind is not None and link.name not in owned and (not prefix or link.name.startswith(prefix)) \
        and (not kinds or kind in kinds)


def taken_along(view, netns, name):
    """(netns, name) of the other devices the kernel deletes with this one: a veth's peer, wherever it
    is, and devices whose lower device it is (macvlan, ipvlan...) in this namespace. Those stacked on it
    from other namespaces are not visible from here."""
    link = view.link(netns, name)
    along = set()
    if link.props.get("kind") == "veth":
        along.add((link.props.get("peer_netns") or netns, link.props.get("peer")))
    along.update((netns, other.name) for other in view.links(netns).values()
                 if other.parent == link.ifindex and other.link_netnsid is None and other.name != name)
    return along
