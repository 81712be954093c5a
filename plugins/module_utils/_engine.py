# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The five steps every link module runs: want -> have -> plan -> apply -> verify."""

from __future__ import annotations

import errno

from ansible_collections.vnet.linux.plugins.module_utils._converge import (
    PartialApply, check_netns_exists, converge, namespace_deleted)
from ansible_collections.vnet.linux.plugins.module_utils._kinds import KERNEL_KIND_NAMES, KINDS
from ansible_collections.vnet.linux.plugins.module_utils._model import HOST_NETNS, Link, VnetError, render_changes
from ansible_collections.vnet.linux.plugins.module_utils._netlink import (
    IFF_UP, KernelError, NetlinkClient, Pipeline, queueable, create_netns, list_netns, netns_target, remove_netns)
from ansible_collections.vnet.linux.plugins.module_utils._plan import (
    GENERIC_ATTRS, address_ops, is_ipv6_link_local, plan_link, plan_netns)

UNNAMED_NETNS = "(unnamed)"
# Another writer got between our dump and our request: re-read and re-plan once.
RACE_ERRNOS = (errno.EEXIST, errno.ENODEV, errno.ENOENT)


class KernelView:
    """have: link tables per namespace, dumped once each and described on demand."""

    def __init__(self):
        self._clients = {}
        self._links = {}
        self._nsid_names = {}
        self._ingress = {}
        self._by_index = {}
        self.pipeline = Pipeline()  # queued writes of all namespaces, kept in program order

    def client(self, netns):
        if netns not in self._clients:
            self._clients[netns] = NetlinkClient(netns, self.pipeline)
        return self._clients[netns]

    def links(self, netns):
        if netns not in self._links:
            links = self.client(netns).links()
            for link in links.values():
                link.netns = netns
            self._links[netns] = links
        return self._links[netns]

    def ingress(self, netns):
        """Ingress qdiscs and their filters by ifindex (tc), dumped once per namespace."""
        if netns not in self._ingress:
            from ansible_collections.vnet.linux.plugins.module_utils._netlink_tc import ingress  # see SIDE_KINDS
            self._ingress[netns] = ingress(self.client(netns))
        return self._ingress[netns]

    def link(self, netns, name):
        """The named link with its kind-specific props filled in, or None."""
        link = self.links(netns).get(name)
        if link is not None and not link.props:
            user_kind = KERNEL_KIND_NAMES.get(link.kind)
            link.props = {"kind": user_kind}
            if user_kind:
                link.props.update(KINDS[user_kind].describe(link, self))
        return link

    def link_by_index(self, netns, ifindex):
        if netns == UNNAMED_NETNS or ifindex is None:
            return None
        if netns not in self._by_index:
            self._by_index[netns] = dict((link.ifindex, link) for link in self.links(netns).values())
        return self._by_index[netns].get(ifindex)

    def peer_netns_of(self, link):
        """Namespace of the other end of ``link``: its name, None for our own, or UNNAMED_NETNS."""
        if link.link_netnsid is None:
            return link.netns
        names = self._nsid_names.setdefault(link.netns, {})
        if not names:
            client = self.client(link.netns)
            for name in list_netns():
                try:
                    nsid = client.netnsid_of(name)
                except KernelError:  # a stale /run/netns entry (no namespace mounted): not a peer
                    continue
                if nsid is not None:
                    names[nsid] = name
            own = client.own_netnsid()
            if own is not None:
                names[own] = None
        return names.get(link.link_netnsid, UNNAMED_NETNS)

    def discard_queued(self):
        self.pipeline.holder = None
        for client in self._clients.values():
            client.queued = []

    def forget(self):
        self._links.clear()
        self._by_index.clear()
        self._nsid_names.clear()
        self._ingress.clear()

    def namespaces(self):
        """The namespaces worked in (None: the module's own), for converge's verify."""
        return list(self._clients)

    def close(self):
        for client in self._clients.values():
            client.close()
        self._clients.clear()


def check_namespaces_exist(*specs):
    """Fail before any change when a namespace a present spec names is missing (each checked once)."""
    named = set()
    for spec in specs:
        if spec.state == "present":
            named.add(("netns", spec.netns))
            named.update((key, spec.options.get(key)) for key in KINDS[spec.kind].netns_options)
    for param, name in sorted(named, key=lambda pair: (pair[0], pair[1] or "")):
        check_netns_exists(param, name)


def plan_all(view, specs):
    """Plan specs in order; each preflight also sees the links earlier specs will create
    (a macvlan on a veth declared before it in the same vnet_links task)."""
    planned = PlannedView(view)
    ops, taken_along = [], set()
    for spec in specs:
        kind = KINDS[spec.kind]
        if spec.state == "present":
            kind.preflight(spec, planned)
        # An earlier delete removes it (the other end of a veth): plan as if it were gone.
        have = None if (spec.netns, spec.name) in taken_along else view.link(spec.netns, spec.name)
        spec_ops = plan_link(spec, have, kind)
        if have is not None and have.props.get("peer") and any(op.verb == "delete" for op in spec_ops):
            taken_along.add((have.props.get("peer_netns") or spec.netns, have.props["peer"]))
            planned.will_delete(have.props.get("peer_netns") or spec.netns, have.props["peer"])
        if any(op.verb == "create" and op.name == spec.name for op in spec_ops):
            planned.will_create(spec)
        ops += spec_ops
    return ops


class PlannedView:
    """A KernelView as it will be once the creations (and the deletions taken along) planned so far
    are applied: read-only,
    for preflight checks. A link to be created appears with its kind and no ifindex yet."""

    def __init__(self, view):
        self.view = view
        self.created = {}
        self.deleted = set()

    def will_delete(self, netns, name):
        self.deleted.add((netns, name))

    def will_create(self, spec):
        self.created.setdefault(spec.netns, {})[spec.name] = Link(
            name=spec.name, ifindex=-1 - sum(len(links) for links in self.created.values()), netns=spec.netns,
            kind=KINDS[spec.kind].kernel_kind, props={"kind": spec.kind})

    def links(self, netns):
        links = dict((name, link) for name, link in self.view.links(netns).items()
                     if (netns, name) not in self.deleted)
        links.update(self.created.get(netns, {}))
        return links

    def link(self, netns, name):
        if name in self.created.get(netns, {}):
            return self.created[netns][name]
        return None if (netns, name) in self.deleted else self.view.link(netns, name)

    def __getattr__(self, name):  # link_by_index, peer_netns_of...: the kernel as it is
        return getattr(self.view, name)


# Ops on objects beside links (ifb redirects, bridge ports): _netlink_tc runs them, imported when one
# does (every module run compiles what it imports, see _kinds.py).
SIDE_KINDS = ("ingress-qdisc", "redirect", "brport")


def apply_op(view, op):
    if op.kind in SIDE_KINDS:
        from ansible_collections.vnet.linux.plugins.module_utils._netlink_tc import apply_side_op
        apply_side_op(view.client(op.netns), op)
        return
    if op.kind == "netns":
        (create_netns if op.verb == "create" else remove_netns)(op.name)
        return
    client = view.client(op.netns)
    if op.verb == "create":
        create_link(view, op)
    elif op.verb == "delete":
        client.link_del_by_name(str(op), op.name)
    elif op.verb == "set":
        set_link(client, op)
    elif op.verb == "move":
        dest = op.changes["netns"]
        client.link_set(str(op), client.ifindex(op.name), **netns_target(None if dest == HOST_NETNS else dest))
    elif op.verb in ("add-address", "remove-address"):
        client.addr("add" if op.verb == "add-address" else "del", client.ifindex(op.name), op.changes["address"])
    else:  # pragma: no cover - the planner only emits the verbs above
        raise VnetError("internal error: unknown op %s" % op)


def create_link(view, op):
    """Add the link with its generic attributes in the same request where the kernel takes them
    there; links created by ioctl (tun/tap) or placed into another namespace get a set after."""
    spec = op.spec
    kind = KINDS[spec.kind]
    sender = view.client(kind.created_from(spec))
    request = kind.create_request(spec)
    if isinstance(request.get("link"), str):  # the lower device, by name where the request is sent
        request["link"] = sender.ifindex(request["link"])
    generic = generic_request(dict((attr, getattr(spec, attr)) for attr in GENERIC_ATTRS
                                   if getattr(spec, attr) not in (None, False)))
    if queueable(request) and spec.netns == kind.created_from(spec):
        sender.link_add(str(op), **dict(request, **generic))
        return
    sender.link_add(str(op), **request)
    if generic:
        view.client(spec.netns).link_set_by_name("set %s" % render_changes(generic), spec.name, **generic)


def generic_request(changes):
    """pyroute2 keywords for mtu/mac/up changes."""
    request = {}
    if "mtu" in changes:
        request["mtu"] = changes["mtu"]
    if "mac" in changes:
        request["address"] = changes["mac"]
    if "up" in changes:
        request.update(flags=IFF_UP if changes["up"] else 0, change=IFF_UP)
    return request


def set_link(client, op):
    generic = generic_request(dict((k, v) for k, v in op.changes.items() if k in GENERIC_ATTRS))
    if generic:
        client.link_set_by_name(str(op), op.name, **generic)
    kind = KINDS.get(op.kind)
    if kind is not None and any(k in kind.in_place for k in op.changes):
        kind.set_options(client, op.spec)


def apply_plan(view, plan, ops):
    """Run ops (writes are queued and sent in batches); if another writer raced us, re-read,
    re-plan and finish what is still missing, once. Returns the ops that took effect: after a
    race, those of the first plan plus the re-planned ones (a device deleted under us is created)."""
    try:
        run_ops(view, ops)
        return [str(op) for op in ops]
    except KernelError as exc:
        failure = exc
    done, unknown = applied_so_far(view, plan, ops)  # re-reads the kernel
    if failure.code not in RACE_ERRNOS or namespace_deleted(view) or unknown:
        raise PartialApply(namespace_deleted(view) or failure, done, unknown)
    retry = plan(view)
    try:
        run_ops(view, retry)
    except KernelError as again:
        more, unknown = applied_so_far(view, plan, retry)
        raise PartialApply(again, done + more, unknown)
    return done + [str(op) for op in retry]


def run_ops(view, ops):
    for op in ops:
        apply_op(view, op)
    view.pipeline.flush()


def applied_so_far(view, plan, ops):
    """Which planned ops took effect, read back from the kernel (a batch can stop part-way), as
    (ops, None); ([], why) when the kernel state no longer plans, so that cannot be told."""
    view.discard_queued()  # a refused batch is spent: nothing of it is left to send
    try:
        view.forget()
        remaining = set(str(op) for op in plan(view))
    except VnetError as exc:
        return [], str(exc)
    return [str(op) for op in ops if str(op) not in remaining], None


def declared_state(spec, link):
    """The fields the spec manages, as the kernel has them (empty dict: absent)."""
    if link is None:
        return {}
    state = {"kind": link.props.get("kind") or link.kind}
    state.update((attr, getattr(link, attr)) for attr in GENERIC_ATTRS if getattr(spec, attr) is not None)
    state.update((key, link.props.get(key)) for key in declared_options(spec))
    if spec.addresses is not None:
        state["addresses"] = sorted(link.addresses)
    return state


def declared_options(spec):
    """Options the spec manages: those given, plus those where 'not given' is itself a value."""
    return sorted(set(k for k, v in spec.options.items() if v is not None) | set(KINDS[spec.kind].none_is_value))


def projected_state(spec, link):
    """declared_state() as it will be once the plan is applied (what check mode predicts)."""
    if spec.state == "absent":
        return {}
    state = {"kind": spec.kind}
    state.update((attr, getattr(spec, attr)) for attr in GENERIC_ATTRS if getattr(spec, attr) is not None)
    state.update((key, spec.options.get(key)) for key in declared_options(spec))
    if spec.addresses is not None:
        kept = [a for a in (link.addresses if link else [])
                if a not in spec.addresses and (not spec.purge_addresses or is_ipv6_link_local(a))]
        state["addresses"] = sorted(spec.addresses + kept)
    return state


def device_facts(link, netns):
    facts = {"name": link.name, "ifindex": link.ifindex, "netns": netns, "kind": link.props.get("kind") or link.kind,
             "mtu": link.mtu, "mac": link.mac, "up": link.up, "addresses": sorted(link.addresses)}
    facts.update((k, v) for k, v in link.props.items() if k != "kind")
    return facts


def label(spec):
    return "%s %s%s" % (spec.kind, spec.name, " (netns %s)" % spec.netns if spec.netns else "")


def reconcile_links(specs, check_mode, more_specs=None):
    """Converge the links in ``specs``; returns (changed, ops, diff, devices).
    ``more_specs(view)`` adds specs derived from the kernel state (vnet_links purge) from the same dump;
    they go first (deletions free names and parents) and so do their devices in the result."""
    view = KernelView()
    try:
        if more_specs is not None:
            specs = more_specs(view) + specs
        check_namespaces_exist(*specs)
        links = [view.link(spec.netns, spec.name) for spec in specs]
        diff = {"before": dict((label(s), declared_state(s, l)) for s, l in zip(specs, links)),
                "after": dict((label(s), projected_state(s, l)) for s, l in zip(specs, links))}
        changed, ops = converge(view, lambda v: plan_all(v, specs), check_mode, apply_plan)
        return changed, ops, diff, [resulting_device(view, spec) for spec in specs]
    finally:
        view.close()


def resulting_device(view, spec):
    link = view.link(spec.netns, spec.name) if spec.state == "present" else None
    if link is not None:
        return device_facts(link, spec.netns)
    if spec.state == "present":  # check mode, not created yet: what it will be
        return dict(projected_state(spec, None), name=spec.name, netns=spec.netns, ifindex=None)
    return {"name": spec.name, "netns": spec.netns, "state": "absent"}


def reconcile_addresses(netns, interface, addresses, purge, state, check_mode):
    """Converge the addresses of one existing interface; returns (changed, ops, diff, addresses)."""
    check_netns_exists("netns", netns)
    view = KernelView()
    try:
        def plan(v):
            link = v.link(netns, interface)
            if link is None:
                raise VnetError("interface: %r does not exist%s" % (interface, " in netns %s" % netns if netns else ""))
            return address_ops(interface, netns, addresses, link.addresses, purge, state)
        before = sorted(view.link(netns, interface).addresses) if view.link(netns, interface) else []
        changed, ops = converge(view, plan, check_mode, apply_plan)
        after = sorted(view.link(netns, interface).addresses) if not check_mode else \
            predicted_addresses(before, addresses, purge, state)
        return changed, ops, {"before": {"addresses": before}, "after": {"addresses": after}}, after
    finally:
        view.close()


def predicted_addresses(before, addresses, purge, state):
    if state == "absent":
        return [a for a in before if a not in addresses]
    kept = [a for a in before if a not in addresses and (not purge or is_ipv6_link_local(a))]
    return sorted(addresses + kept)


def reconcile_netns(name, state, check_mode):
    """Converge one named network namespace; returns (changed, ops, diff, namespaces after)."""
    before = list_netns()
    changed, ops = converge(KernelView(), lambda view: plan_netns(name, state, list_netns()), check_mode, apply_plan)
    after = sorted(set(before) - {name} | ({name} if state == "present" else set()))
    diff = {"before": {"namespaces": before}, "after": {"namespaces": after}}
    return changed, ops, diff, after
