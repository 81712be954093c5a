"""ipvlan/ipvtap: planner, kernel-attribute translation, preflight and parameter checks, no kernel.

The real-kernel tests run in the stock-kernel VM tier (this host kernel has no IPVLAN)."""

import pytest

from ansible_collections.vnet.linux.plugins.module_utils._kinds import KERNEL_KIND_NAMES, KINDS
from ansible_collections.vnet.linux.plugins.module_utils._model import Link, LinkSpec, VnetError
from ansible_collections.vnet.linux.plugins.module_utils._plan import plan_link

from test_plan_macvlan import FakeView, kernel_link, table

IPVLAN, IPVTAP = KINDS["ipvlan"], KINDS["ipvtap"]


def spec(kind="ipvlan", netns=None, **options):
    opts = {"link": "p0", "link_netns": None, "mode": "l3", "flags": "bridge"}
    opts.update(options)
    extra = dict((k, opts.pop(k)) for k in ("state", "recreate", "addresses") if k in opts)
    return LinkSpec(name="iv0", kind=kind, netns=netns, options=opts, **extra)


def link(kind="ipvlan", **props):
    base = {"kind": kind, "link": "p0", "link_netns": None, "link_ifindex": 2, "mode": "l3", "flags": "bridge"}
    base.update(props)
    return Link(name="iv0", ifindex=5, kind=kind, up=True, mtu=1500, props=base)


def test_missing_device_is_created_where_it_lives():
    ops = plan_link(spec(netns="c1", link_netns="h1", addresses=["10.0.0.2/24"]), None, IPVLAN)
    assert [(op.verb, op.netns) for op in ops] == [("create", "c1"), ("add-address", "c1")]
    assert str(ops[0]) == "create ipvlan iv0 in netns c1: flags=bridge, link=p0, link_netns=h1, mode=l3, up=True"


def test_converged_device_plans_nothing():
    assert plan_link(spec(), link(), IPVLAN) == []


@pytest.mark.parametrize("options, changes", [
    ({"mode": "l2"}, {"mode": "l2"}),
    ({"mode": "l3s", "flags": "private"}, {"mode": "l3s", "flags": "private"}),
    ({"flags": "vepa"}, {"flags": "vepa"}),
])
def test_mode_and_flags_change_in_place(options, changes):
    ops = plan_link(spec(**options), link(), IPVLAN)
    assert [(op.verb, op.changes) for op in ops] == [("set", changes)]


def test_parent_change_needs_recreate():
    with pytest.raises(VnetError, match="link is p0, wanted p1.*recreate: true"):
        plan_link(spec(link="p1"), link(), IPVLAN)


def test_ipvlan_to_ipvtap_needs_recreate():
    with pytest.raises(VnetError, match="exists as kind ipvlan, not ipvtap"):
        plan_link(spec(kind="ipvtap"), link(), IPVTAP)


def test_kernel_names_map_back_to_the_user_kinds():
    assert KERNEL_KIND_NAMES["ipvlan"] == "ipvlan" and KERNEL_KIND_NAMES["ipvtap"] == "ipvtap"


@pytest.mark.parametrize("kind, mode, flags, numbers", [
    ("ipvlan", "l2", "bridge", (0, 0)), ("ipvlan", "l3", "private", (1, 1)), ("ipvtap", "l3s", "vepa", (2, 2)),
])
def test_create_request_numbers(kind, mode, flags, numbers):
    request = KINDS[kind].create_request(spec(kind=kind, netns="c1", mode=mode, flags=flags))
    assert request == {"ifname": "iv0", "kind": kind, "link": "p0", "net_ns_fd": "c1",
                       "ipvlan_mode": numbers[0], "ipvlan_flags": numbers[1]}


@pytest.mark.parametrize("data, mode, flags", [
    ({"IFLA_IPVLAN_MODE": 0}, "l2", "bridge"),
    ({"IFLA_IPVLAN_MODE": 1, "IFLA_IPVLAN_FLAGS": 1}, "l3", "private"),
    ({"IFLA_IPVLAN_MODE": 2, "IFLA_IPVLAN_FLAGS": 2}, "l3s", "vepa"),
])
def test_describe_reads_the_parents_mode_and_flags(data, mode, flags):
    view = FakeView({None: table(kernel_link("p0", 2, "veth"), kernel_link("iv0", 5, "ipvlan", 2, data=data))})
    props = view.link(None, "iv0").props
    assert (props["mode"], props["flags"], props["link"]) == (mode, flags, "p0")


@pytest.mark.parametrize("links, wanted, fragment", [
    ((), spec(link="nope"), "^link: parent device 'nope' does not exist"),
    ((kernel_link("iv9", 4, "ipvtap", 2),), spec(link="iv9"), "^link: iv9 is itself of kind ipvtap.*parent p0"),
    ((kernel_link("mv1", 4, "macvlan", 2),), spec(), "^link: p0 already carries macvlan/macvtap \\(mv1\\).*EBUSY"),
])
def test_preflight_explains_what_the_kernel_would_refuse(links, wanted, fragment):
    with pytest.raises(VnetError, match=fragment):
        IPVLAN.preflight(wanted, FakeView({None: table(kernel_link("p0", 2, "veth"), *links)}))


def test_siblings_on_the_parent_are_fine():
    IPVLAN.preflight(spec(), FakeView({None: table(kernel_link("p0", 2, "veth"), kernel_link("iv1", 4, "ipvlan", 2))}))


def params(**kw):
    base = {"name": "iv0", "link": "p0", "kind": "ipvlan", "mode": "l3", "flags": "bridge", "move_to_netns": None,
            "netns": None, "state": "present", "mtu": None, "mac": None, "up": True, "addresses": None,
            "purge_addresses": False, "recreate": False}
    base.update(kw)
    return base


def test_mac_is_refused():
    with pytest.raises(VnetError, match="^mac: an ipvlan always has its parent's MAC"):
        IPVLAN.spec(params(mac="02:00:00:00:00:01"))


def test_spec_lives_in_move_to_netns(monkeypatch):
    monkeypatch.setattr("os.path.exists", lambda path: True)
    wanted = IPVLAN.spec(params(netns="h1", move_to_netns="c1", mode="l2", flags="private"))
    assert (wanted.netns, wanted.options["link_netns"], wanted.options["mode"], wanted.options["flags"]) == \
        ("c1", "h1", "l2", "private")
