# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IFB (Intermediate Functional Block) links, and the ingress redirects that feed them.

A redirect is a tc filter on a source device's ingress hook: u32 match-all (this
kernel has no matchall classifier) whose only action is ``mirred egress redirect``
to the ifb. The collection owns exactly the filters at priority REDIRECT_PRIO that
look like that; everything else on the hook belongs to someone else and is left alone.
"""

from __future__ import annotations

from ansible_collections.vnet.linux.plugins.module_utils._kind import Kind
from ansible_collections.vnet.linux.plugins.module_utils._model import Op, VnetError

# tc 'pref' 49152 (0xc000), protocol all: where this collection's redirects live.
REDIRECT_PRIO = 49152
ETH_P_ALL = 0x0003
GONE = "(deleted device)"


class Ifb(Kind):
    name = kernel_kind = "ifb"


def is_redirect(tc_filter):
    """A filter of the shape this collection adds, whatever device it redirects to."""
    return (tc_filter.node and tc_filter.kind == "u32" and tc_filter.prio == REDIRECT_PRIO
            and tc_filter.protocol == ETH_P_ALL and tc_filter.redirect is not None)


def tc_handle(handle):
    """A u32 handle as tc prints it: htid:hash:node in hex, e.g. 800::800."""
    bucket = (handle >> 12) & 0xFF
    return "%x:%s:%x" % (handle >> 20, "%x" % bucket if bucket else "", handle & 0xFFF)


def redirects_to(target, links, ingress):
    """The redirects pointing at ifindex ``target``, one per source device, sorted by source."""
    names = dict((link.ifindex, link.name) for link in links.values())
    found = {}
    for ifindex, hook in ingress.items():
        for tc_filter in hook.filters:
            if target is not None and is_redirect(tc_filter) and tc_filter.redirect == target:
                found.setdefault(names.get(ifindex), {"dev": names.get(ifindex), "prio": tc_filter.prio,
                                                      "handle": tc_handle(tc_filter.handle), "qdisc": hook.qdisc})
    return [found[name] for name in sorted(found)]


def plan_redirects(ifb, netns, sources, links, ingress):
    """Ops that make exactly ``sources`` (device names, None: leave as is) redirect their ingress to
    ``ifb``. ``links`` and ``ingress`` are the namespace's link table and ingress hooks by ifindex.
    Redirects the ifb does not have yet point nowhere, so a missing ifb has none."""
    if sources is None:
        return []
    check_sources(ifb, netns, sources, links)
    ifb_link = links.get(ifb)
    target = ifb_link.ifindex if ifb_link is not None else None
    names = dict((link.ifindex, link.name) for link in links.values())
    ops = []
    for source in sources:
        ops += ensure_redirect(ifb, netns, source, target, ingress.get(links[source].ifindex), names)
    for ifindex, hook in sorted(ingress.items()):
        if names.get(ifindex) not in sources:
            ours = [f for f in hook.filters if is_redirect(f) and f.redirect == target]
            ops += release_ops(ifb, netns, names.get(ifindex), hook, ours)
    return ops


def check_sources(ifb, netns, sources, links):
    where = " in netns %s" % netns if netns else ""
    for source in sources:
        if source == ifb:
            raise VnetError("redirect_from: %s is the ifb itself; list the devices whose ingress it should receive"
                            % source)
        if source not in links:
            raise VnetError("redirect_from: device %r does not exist%s (the sources must be in the ifb's namespace)"
                            % (source, where))


def ensure_redirect(ifb, netns, source, target, hook, names):
    """Ops for one wanted source: clear stale redirects of ours, then add the filter (and the
    ingress qdisc) if it is missing. Refuses to queue behind another device's redirect."""
    redirects = [f for f in hook.filters if is_redirect(f)] if hook else []
    ours = [f for f in redirects if target is not None and f.redirect == target]
    stale = [f for f in redirects if f.redirect not in names]
    foreign = [f for f in redirects if f.redirect in names and f.redirect != target]
    if foreign:
        raise VnetError("redirect_from: %s already redirects its ingress to %s (tc prio %d); remove it from that "
                        "device's redirect_from first" % (source, names[foreign[0].redirect], REDIRECT_PRIO))
    ops = [delete_op(source, netns, hook, f, GONE, "stale: its device is gone and it drops every packet")
           for f in stale]
    ops += [delete_op(source, netns, hook, f, ifb, "duplicate") for f in ours[1:]]
    if not ours:
        if hook is None:
            ops.append(Op("create", source, netns, "ingress-qdisc"))
        ops.append(Op("create", source, netns, "redirect",
                      changes={"to": ifb, "prio": REDIRECT_PRIO, "qdisc": hook.qdisc if hook else "ingress"}))
    return ops


def release_ops(ifb, netns, source, hook, ours):
    """Remove our redirects from a source no longer wanted; drop its ingress qdisc only when nothing
    else is left on it (u32 bookkeeping at our priority goes with our filter). clsact is never ours."""
    if not ours:
        return []
    ops = [delete_op(source, netns, hook, f, ifb) for f in ours]
    left = [f for f in hook.filters if f not in ours and (f.node or f.prio != REDIRECT_PRIO)]
    if hook.qdisc == "ingress" and not left:
        ops.append(Op("delete", source, netns, "ingress-qdisc", reason="it holds no other filters"))
    return ops


def delete_op(source, netns, hook, tc_filter, to, reason=""):
    return Op("delete", source, netns, "redirect", reason=reason, spec=tc_filter,
              changes={"to": to, "prio": tc_filter.prio, "handle": tc_handle(tc_filter.handle), "qdisc": hook.qdisc})


def predicted_redirects(sources, current, ingress, links):
    """What redirects_to() will report once the plan for ``sources`` is applied (check mode)."""
    have = dict((r["dev"], r) for r in current)
    hooks = dict((name, ingress.get(link.ifindex)) for name, link in links.items())
    return [have.get(name) or {"dev": name, "prio": REDIRECT_PRIO, "handle": None,
                               "qdisc": hooks[name].qdisc if hooks.get(name) else "ingress"}
            for name in sorted(sources)]
