# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine's want -> have -> plan -> apply -> verify for objects beside links: an ifb with the
ingress redirects that feed it (vnet_ifb), a bridge port and its flags (vnet_bridge_hairpin).

Apart from _engine because only those modules run it: every module run compiles what it imports
(see _kinds.py)."""

from __future__ import annotations

from ansible_collections.vnet.linux.plugins.module_utils._brport import plan_bridge_port, port_state, projected_port
from ansible_collections.vnet.linux.plugins.module_utils._converge import check_netns_exists, converge
from ansible_collections.vnet.linux.plugins.module_utils._engine import (
    KernelView, apply_plan, check_namespaces_exist, declared_state, projected_state, resulting_device)
from ansible_collections.vnet.linux.plugins.module_utils._kind_ifb import (
    plan_redirects, predicted_redirects, redirects_to)
from ansible_collections.vnet.linux.plugins.module_utils._kinds import KINDS
from ansible_collections.vnet.linux.plugins.module_utils._plan import plan_link


def plan_ifb(view, spec, sources):
    """The ifb's link ops and its redirects. Redirects go before the ifb is deleted (a redirect to a
    deleted device drops every packet) and after it is created (they need its ifindex)."""
    links, ingress = view.links(spec.netns), view.ingress(spec.netns)
    link_ops = plan_link(spec, view.link(spec.netns, spec.name), KINDS["ifb"])
    if spec.state == "absent":
        return plan_redirects(spec.name, spec.netns, [], links, ingress) + link_ops
    if any(op.verb == "delete" for op in link_ops):  # recreated: redirects to the old device go stale
        links = dict((name, link) for name, link in links.items() if name != spec.name)
    return link_ops + plan_redirects(spec.name, spec.netns, sources, links, ingress)


def reconcile_ifb(spec, sources, check_mode):
    """Converge one ifb and the devices redirecting their ingress to it (``sources``, None: leave
    as is); returns (changed, ops, diff, device, redirects)."""
    view = KernelView()
    try:
        check_namespaces_exist(spec)
        link = view.link(spec.netns, spec.name)
        current = redirects_to(link.ifindex if link else None, view.links(spec.netns), view.ingress(spec.netns))
        wanted = [] if spec.state == "absent" else sources if sources is not None else [r["dev"] for r in current]
        before = dict(declared_state(spec, link), redirect_from=[r["dev"] for r in current]) if link else {}
        after = dict(projected_state(spec, link), redirect_from=sorted(wanted)) if spec.state == "present" else {}
        changed, ops = converge(view, lambda v: plan_ifb(v, spec, sources), check_mode, apply_plan)
        if check_mode:
            redirects = predicted_redirects(wanted, current, view.ingress(spec.netns), view.links(spec.netns))
        else:
            link = view.link(spec.netns, spec.name)
            redirects = redirects_to(link.ifindex if link else None, view.links(spec.netns), view.ingress(spec.netns))
        device = resulting_device(view, spec)
        if spec.state == "present":
            device["redirect_from"] = [r["dev"] for r in redirects]
        return changed, ops, {"before": before, "after": after}, device, redirects
    finally:
        view.close()


def reconcile_bridge_port(spec, check_mode):
    """Converge one bridge port (a BridgePortSpec); returns (changed, ops, diff, port)."""
    check_netns_exists("netns", spec.netns)
    view = KernelView()
    try:
        before = port_state(view.links(spec.netns), spec.port)
        after = projected_port(spec, before)
        changed, ops = converge(view, lambda v: plan_bridge_port(spec, v.links(spec.netns)), check_mode, apply_plan)
        port = after if check_mode else port_state(view.links(spec.netns), spec.port)
        return changed, ops, {"before": before, "after": after}, dict(port, name=spec.port)
    finally:
        view.close()
