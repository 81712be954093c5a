"""Property test of vnet_links' purge scope (hypothesis).

For random namespaces (veth pairs, some with the peer in another namespace; tun/tap devices;
bridges; macvlans stacked on other devices; an unmanaged vxlan), random listed links and a random
scope (purge_prefix and/or purge_kinds): purge_specs() yields only managed devices inside the scope
that no listed link owns, and what the kernel deletes along with them (a veth's peer, wherever it
is; devices stacked on a deleted parent) is inside that set too.
"""

from hypothesis import given, settings, strategies as st

from ansible_collections.vnet.linux.plugins.module_utils._bulk import owned_names, purge_specs
from ansible_collections.vnet.linux.plugins.module_utils._model import Link, LinkSpec

NS, OTHER = "ns-a", "ns-b"
NAMES = ["p-0", "p-1", "p-2", "p-3", "p-4", "q-0", "q-1", "q-2"]
KERNEL_KINDS = {"veth": "veth", "tuntap": "tun", "bridge": "bridge", "macvlan": "macvlan", None: "vxlan"}


class View:
    """The part of KernelView purge_specs reads, over links described as Kind.describe would."""

    def __init__(self, namespaces):
        self.namespaces = namespaces

    def links(self, netns):
        return self.namespaces[netns]

    def link(self, netns, name):
        return self.namespaces[netns].get(name)


def device(name, kind, ifindex, **props):
    return Link(name=name, ifindex=ifindex, kind=KERNEL_KINDS[kind], props=dict(props, kind=kind))


@st.composite
def namespaces(draw):
    names = draw(st.permutations(NAMES))
    here, there = {}, {}
    index = iter(range(1, 100))
    for name in names[:draw(st.integers(0, len(names)))]:
        if name in here:
            continue
        kind = draw(st.sampled_from(["veth", "veth", "tuntap", "bridge", "macvlan", None]))
        if kind == "veth":
            free = [n for n in NAMES if n not in here and n != name]
            elsewhere = draw(st.booleans()) or not free
            peer = draw(st.sampled_from(free)) if not elsewhere else "x-" + name
            end = device(name, "veth", next(index), peer=peer, peer_netns=OTHER if elsewhere else None)
            other = device(peer, "veth", next(index), peer=name, peer_netns=None if elsewhere else NS)
            end.parent, other.parent = other.ifindex, end.ifindex
            if elsewhere:
                end.link_netnsid, other.link_netnsid = 1, 0
                other.props["peer_netns"] = NS
                there[peer] = other
            else:
                other.props["peer_netns"] = None
                here[peer] = other
            here[name] = end
        elif kind == "macvlan":
            parents = [link for link in here.values() if link.props["kind"] in ("veth", "bridge", None)]
            if not parents:
                continue
            parent = draw(st.sampled_from(parents))
            here[name] = device(name, "macvlan", next(index), link=parent.name, link_netns=NS)
            here[name].parent = parent.ifindex
        else:
            here[name] = device(name, kind, next(index))
    return View({NS: here, OTHER: there})


@st.composite
def listed(draw):
    specs = []
    for name in draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=3)):
        if draw(st.booleans()):
            specs.append(LinkSpec(name=name, kind="veth", netns=NS,
                                  options={"peer": draw(st.sampled_from(NAMES)), "peer_netns": None}))
        else:
            specs.append(LinkSpec(name=name, kind="tuntap", netns=NS, options={"mode": "tap"}))
    return specs


def taken_along(view, name, seen=None):
    """Everything the kernel deletes with ``name`` in NS, itself included, as (netns, name)."""
    seen = set() if seen is None else seen
    if (NS, name) in seen:
        return seen
    seen.add((NS, name))
    link = view.link(NS, name)
    if link.props["kind"] == "veth":
        seen.add((link.props["peer_netns"] or NS, link.props["peer"]))
        if not link.props["peer_netns"]:
            taken_along(view, link.props["peer"], seen)
    for other in view.links(NS).values():
        if other.parent == link.ifindex and other.link_netnsid is None:
            taken_along(view, other.name, seen)
    return seen


@settings(max_examples=500, deadline=None)
@given(st.data())
def test_purge_deletes_nothing_outside_its_scope(data):
    view = data.draw(namespaces())
    specs = data.draw(listed())
    prefix = data.draw(st.sampled_from([None, "p-", "q-", "p-1"]))
    kinds = data.draw(st.sampled_from([None, ["veth"], ["tuntap", "macvlan"], ["bridge", "veth"]]))
    if not prefix and not kinds:
        kinds = ["veth"]
    owned = set(name for spec in specs for name in owned_names(spec))
    in_scope = set((NS, name) for name, link in view.links(NS).items()
                   if link.props["kind"] is not None and name not in owned
                   and (not prefix or name.startswith(prefix)) and (not kinds or link.props["kind"] in kinds))
    doomed = purge_specs(view, NS, specs, prefix, kinds)
    for spec in doomed:
        assert (spec.netns, spec.name) in in_scope, "purges %s, outside the scope" % spec.name
        assert spec.state == "absent"
        along = taken_along(view, spec.name)
        assert along <= in_scope, "purging %s deletes %s too, outside the scope" % (spec.name, sorted(along - in_scope))
