# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vnet_info: read every virtual device (and IPVS) in one or many namespaces, and draw them.

Read-only: it uses the same KernelView (one dump per namespace) as the engine, so what
vnet_info reports is exactly what the planners compare against.
"""

from __future__ import annotations

import fnmatch

from ansible_collections.vnet.linux.plugins.module_utils._brport import port_flags
from ansible_collections.vnet.linux.plugins.module_utils._engine import HOST_NETNS, KernelView, device_facts
from ansible_collections.vnet.linux.plugins.module_utils._ipvs import IpvsView, table_facts
from ansible_collections.vnet.linux.plugins.module_utils._kind_ifb import redirects_to
from ansible_collections.vnet.linux.plugins.module_utils._netlink import KernelError, list_netns
from ansible_collections.vnet.linux.plugins.module_utils._netlink_ipvs import KernelFeatureMissing


def gather(namespaces, kinds, name_pattern, skip_unreadable):
    """({namespace: [link facts]}, {namespace: why it could not be read}) for the given namespaces
    (None: the module's own). With ``skip_unreadable`` a namespace that cannot be entered (a stale
    /run/netns entry) is reported instead of failing the whole read."""
    view = KernelView()
    found, skipped = {}, {}
    try:
        for ns in namespaces:
            try:
                found[ns] = namespace_links(view, ns, kinds, name_pattern)
            except KernelError as exc:
                if not skip_unreadable:
                    raise
                skipped[ns] = str(exc)
        return found, skipped
    finally:
        view.close()


def namespace_links(view, netns, kinds, name_pattern):
    links = view.links(netns)
    by_index = dict((link.ifindex, link.name) for link in links.values())
    facts = []
    for name in sorted(links):
        link = view.link(netns, name)
        kind = kind_name(link)
        if (kinds and kind not in kinds) or (name_pattern and not fnmatch.fnmatchcase(name, name_pattern)):
            continue
        facts.append(link_facts(view, netns, link, kind, by_index))
    return facts


def kind_name(link):
    """The collection's kind name, the kernel's for kinds it does not manage, or loopback/physical."""
    if link.props.get("kind"):
        return link.props["kind"]
    if link.kind:
        return link.kind
    return "loopback" if link.name == "lo" else "physical"


def link_facts(view, netns, link, kind, by_index):
    facts = device_facts(link, netns)
    facts["kind"] = kind
    facts["master"] = by_index.get(link.master)
    facts["bridge_port"] = port_flags(link) or None
    if link.parent and link.link_netnsid is None and "peer" not in link.props:
        facts["parent"] = by_index.get(link.parent)
    if kind == "ifb":
        redirects = redirects_to(link.ifindex, view.links(netns), view.ingress(netns))
        facts["redirect_from"] = [r["dev"] for r in redirects]
    return facts


def gather_ipvs(namespaces, wanted):
    """{namespace: [service facts, as vnet_ipvs_tun returns them]}. ``wanted`` None: only when the kernel
    has IPVS ({} otherwise); True: a kernel without IPVS is an error; False: {}."""
    if wanted is False:
        return {}
    tables = {}
    for ns in namespaces:
        try:
            view = IpvsView(ns)
        except KernelFeatureMissing:
            if wanted:
                raise
            return {}
        try:
            tables[ns] = table_facts(view.table())
        finally:
            view.close()
    return tables


def namespaces_to_read(netns, all_netns):
    if all_netns:
        return list_netns()
    return [netns]


# --- topology graph --------------------------------------------------------
def node_id(netns, name):
    return "%s/%s" % (netns or HOST_NETNS, name)


def edges(by_ns):
    """(from, to, label) for parent, veth peer, bridge port and ifb redirect relations."""
    found = []
    for ns, links in by_ns.items():
        for link in links:
            me = node_id(ns, link["name"])
            if link.get("parent"):
                found.append((me, node_id(ns, link["parent"]), "parent"))
            if link.get("master"):
                found.append((me, node_id(ns, link["master"]), "port of"))
            if link.get("peer") and (ns or "", link["name"]) < (link.get("peer_netns") or ns or "", link["peer"]):
                found.append((me, node_id(link.get("peer_netns") or ns, link["peer"]), "veth"))
            for source in link.get("redirect_from") or []:
                found.append((node_id(ns, source), me, "ingress redirect"))
    return found


def graph_dot(by_ns):
    lines = ["digraph vnet {", "  rankdir=LR;", "  node [shape=box, fontname=monospace];"]
    for number, (ns, links) in enumerate(sorted(by_ns.items(), key=lambda item: item[0] or "")):
        lines.append('  subgraph cluster_%d {' % number)
        lines.append('    label="netns %s";' % (ns or HOST_NETNS))
        for link in links:
            lines.append('    "%s" [label="%s\\n%s"];' % (node_id(ns, link["name"]), link["name"], link["kind"]))
        lines.append("  }")
    for source, target, label in edges(by_ns):
        arrow = ' [label="%s", dir=none]' % label if label == "veth" else ' [label="%s"]' % label
        lines.append('  "%s" -> "%s"%s;' % (source, target, arrow))
    lines.append("}")
    return "\n".join(lines) + "\n"


def graph_mermaid(by_ns):
    ids = {}

    def mid(node):
        return ids.setdefault(node, "n%d" % len(ids))

    lines = ["flowchart LR"]
    for ns, links in sorted(by_ns.items(), key=lambda item: item[0] or ""):
        lines.append('  subgraph %s["netns %s"]' % (mid("ns:" + (ns or HOST_NETNS)), ns or HOST_NETNS))
        for link in links:
            lines.append('    %s["%s<br/>%s"]' % (mid(node_id(ns, link["name"])), link["name"], link["kind"]))
        lines.append("  end")
    for source, target, label in edges(by_ns):
        ends = []
        for node in (source, target):
            # A peer in a namespace that was not read: declare it with its full name.
            ends.append(mid(node) if node in ids else '%s["%s"]' % (mid(node), node))
        lines.append("  %s %s|%s| %s" % (ends[0], "---" if label == "veth" else "-->", label, ends[1]))
    return "\n".join(lines) + "\n"
