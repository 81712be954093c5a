"""macvlan/macvtap: planner, kernel-attribute translation, preflight and parameter checks, no kernel."""

import copy

import pytest

from ansible_collections.vnet.linux.plugins.module_utils import _kind_macvlan
from ansible_collections.vnet.linux.plugins.module_utils._engine import KernelView
from ansible_collections.vnet.linux.plugins.module_utils._kinds import KERNEL_KIND_NAMES, KINDS
from ansible_collections.vnet.linux.plugins.module_utils._model import Link, LinkSpec, VnetError
from ansible_collections.vnet.linux.plugins.module_utils._plan import plan_link

MACVLAN, MACVTAP = KINDS["macvlan"], KINDS["macvtap"]


def spec(kind="macvlan", netns=None, **options):
    opts = {"link": "p0", "link_netns": None, "mode": "bridge", "nopromisc": None, "source_macs": None}
    opts.update(options)
    extra = dict((k, opts.pop(k)) for k in ("state", "recreate", "addresses", "mtu") if k in opts)
    return LinkSpec(name="mv0", kind=kind, netns=netns, options=opts, **extra)


def link(kind="macvlan", **props):
    base = {"kind": kind, "link": "p0", "link_netns": None, "link_ifindex": 2, "mode": "bridge",
            "nopromisc": False, "source_macs": []}
    base.update(props)
    return Link(name="mv0", ifindex=5, kind=kind, up=True, mtu=1500, props=base)


def verbs(ops):
    return [(op.verb, op.netns, op.changes) for op in ops]


def test_missing_device_is_created_where_it_lives_with_addresses_after():
    ops = plan_link(spec(netns="c1", link_netns="host1", addresses=["10.0.0.2/24"]), None, MACVLAN)
    assert [(op.verb, op.netns) for op in ops] == [("create", "c1"), ("add-address", "c1")]
    assert str(ops[0]) == "create macvlan mv0 in netns c1: link=p0, link_netns=host1, mode=bridge, up=True"


def test_converged_device_plans_nothing():
    assert plan_link(spec(), link(), MACVLAN) == []


@pytest.mark.parametrize("old, new", [("bridge", "private"), ("vepa", "bridge"), ("private", "source")])
def test_mode_changes_in_place(old, new):
    macs = ["02:00:00:00:00:01"] if new == "source" else None
    ops = plan_link(spec(mode=new, source_macs=macs), link(mode=old), MACVLAN)
    assert [op.verb for op in ops] == ["set"] and ops[0].changes["mode"] == new
    # set_options sends mode and MACs together, so the completed spec carries both.
    assert ops[0].spec.options["link"] == "p0"


@pytest.mark.parametrize("old, new", [("bridge", "passthru"), ("passthru", "vepa")])
def test_passthru_transition_needs_recreate(old, new):
    with pytest.raises(VnetError, match="into or out of passthru.*recreate: true"):
        plan_link(spec(mode=new), link(mode=old), MACVLAN)
    ops = plan_link(spec(mode=new, recreate=True), link(mode=old), MACVLAN)
    assert [op.verb for op in ops] == ["delete", "create"]


@pytest.mark.parametrize("options, props, fragment", [
    ({"link": "p1"}, {}, "link is p0, wanted p1"),
    ({"link_netns": "h"}, {}, "link_netns is None, wanted h"),
    ({"mode": "passthru", "nopromisc": True}, {"mode": "passthru"}, "nopromisc is False, wanted True"),
])
def test_fixed_options_need_recreate(options, props, fragment):
    with pytest.raises(VnetError, match=fragment):
        plan_link(spec(**options), link(**props), MACVLAN)


def test_nopromisc_left_out_is_not_compared():
    assert plan_link(spec(mode="passthru"), link(mode="passthru", nopromisc=True), MACVLAN) == []


def test_source_macs_are_managed_as_a_whole_in_place():
    ops = plan_link(spec(mode="source", source_macs=["02:00:00:00:00:02"]),
                    link(mode="source", source_macs=["02:00:00:00:00:01", "02:00:00:00:00:02"]), MACVLAN)
    assert verbs(ops) == [("set", None, {"source_macs": ["02:00:00:00:00:02"]})]


def test_macvlan_to_macvtap_needs_recreate():
    with pytest.raises(VnetError, match="exists as kind macvlan, not macvtap"):
        plan_link(spec(kind="macvtap"), link(), MACVTAP)


def test_absent_refuses_another_kind():
    with pytest.raises(VnetError, match="it is a veth, not a macvlan"):
        plan_link(spec(state="absent"), Link(name="mv0", ifindex=3, kind="veth", props={"kind": "veth"}), MACVLAN)


def test_kernel_names_map_back_to_the_user_kinds():
    assert KERNEL_KIND_NAMES["macvlan"] == "macvlan" and KERNEL_KIND_NAMES["macvtap"] == "macvtap"


# --- create/set requests (pyroute2 keywords: unknown ones are silently ignored, so pin them) ---
def test_create_request_names_the_parent_and_targets_the_namespace_it_lives_in():
    request = MACVLAN.create_request(spec(netns="c1", link_netns="h1", mode="private"))
    assert request == {"ifname": "mv0", "kind": "macvlan", "link": "p0", "macvlan_mode": "private",
                       "net_ns_fd": "c1"}
    assert MACVLAN.created_from(spec(netns="c1", link_netns="h1")) == "h1"


def test_create_request_beside_the_parent_stays_there():
    assert "net_ns_fd" not in MACVLAN.create_request(spec(netns="h1", link_netns="h1"))


def test_macvtap_uses_its_own_attribute_names():
    request = MACVTAP.create_request(spec(kind="macvtap", mode="passthru", nopromisc=True))
    assert request["macvtap_mode"] == "passthru" and request["macvtap_flags"] == 1


def test_source_mode_sets_the_whole_mac_list():
    request = MACVLAN.create_request(spec(mode="source", source_macs=["02:00:00:00:00:01"]))
    assert request["macvlan_macaddr_mode"] == "set"
    assert request["macvlan_macaddr_data"] == {"attrs": [("IFLA_MACVLAN_MACADDR", "02:00:00:00:00:01")]}


class FakeClient:
    def __init__(self, calls):
        self.calls = calls

    def ifindex(self, name):
        return 9

    def link_set(self, action, ifindex, **request):
        self.calls.append((ifindex, request))


def test_set_options_sends_mode_with_the_kind():
    calls = []
    MACVLAN.set_options(FakeClient(calls), spec(mode="source", source_macs=[]))
    assert calls == [(9, {"kind": "macvlan", "macvlan_mode": "source", "macvlan_macaddr_mode": "flush"})]


# --- have: kernel attributes -> user terms, and preflight against a fake kernel ---
class FakeNetlink:
    def __init__(self, links):
        self._links = links

    def links(self):
        return copy.deepcopy(self._links)


class FakeView(KernelView):
    def __init__(self, tables):
        super().__init__()
        self.tables = tables

    def client(self, netns):
        return FakeNetlink(self.tables.get(netns, {}))


def kernel_link(name, ifindex, kind=None, parent=None, **kw):
    return Link(name=name, ifindex=ifindex, kind=kind, parent=parent, **kw)


def table(*links):
    return dict((link.name, link) for link in links)


def test_describe_reads_mode_flags_and_source_macs():
    data = {"IFLA_MACVLAN_MODE": "source", "IFLA_MACVLAN_FLAGS": 3,
            "IFLA_MACVLAN_MACADDR_DATA": {"attrs": [("IFLA_MACVLAN_MACADDR", "02:00:00:00:00:02"),
                                                    ("IFLA_MACVLAN_MACADDR", "02:00:00:00:00:01")]}}
    view = FakeView({None: table(kernel_link("p0", 2, "veth"), kernel_link("mv0", 5, "macvlan", 2, data=data))})
    props = view.link(None, "mv0").props
    assert props == {"kind": "macvlan", "link": "p0", "link_netns": None, "link_ifindex": 2, "mode": "source",
                     "nopromisc": True, "source_macs": ["02:00:00:00:00:01", "02:00:00:00:00:02"]}


def test_describe_gives_a_macvtap_its_tap_device(monkeypatch):
    monkeypatch.setattr(_kind_macvlan, "tap_char_device", lambda kind, name, ifindex: {"tap_device": "/dev/tap%d" % ifindex})
    view = FakeView({None: table(kernel_link("p0", 2, "veth"),
                                 kernel_link("mt0", 7, "macvtap", 2, data={"IFLA_MACVTAP_MODE": "vepa",
                                                                           "IFLA_MACVTAP_FLAGS": "none"}))})
    props = view.link(None, "mt0").props
    assert props["mode"] == "vepa" and props["tap_device"] == "/dev/tap7" and props["nopromisc"] is False


def preflight(kind, wanted, *links):
    KINDS[kind].preflight(wanted, FakeView({None: table(kernel_link("p0", 2, "veth"), *links)}))


@pytest.mark.parametrize("links, wanted, fragment", [
    ((), spec(link="nope"), "^link: parent device 'nope' does not exist in the module's namespace"),
    ((kernel_link("mv9", 4, "macvlan", 2),), spec(link="mv9"), "^link: mv9 is itself of kind macvlan.*parent p0"),
    ((kernel_link("br0", 3, "bridge"), kernel_link("q0", 6, "veth", master=3, slave_kind="bridge")),
     spec(link="q0"), "^link: q0 is a port of bridge br0.*EBUSY"),
    ((kernel_link("pt", 4, "macvlan", 2, data={"IFLA_MACVLAN_MODE": "passthru"}),), spec(),
     "^link: p0 already has the passthru macvlan pt"),
    ((kernel_link("mv1", 4, "macvtap", 2, data={"IFLA_MACVTAP_MODE": "bridge"}),), spec(mode="passthru"),
     "^mode: passthru needs the parent to itself, but p0 already carries mv1"),
    ((kernel_link("iv1", 4, "ipvlan", 2),), spec(), "^link: p0 already carries ipvlan/ipvtap \\(iv1\\).*EBUSY"),
])
def test_preflight_explains_what_the_kernel_would_refuse(links, wanted, fragment):
    with pytest.raises(VnetError, match=fragment):
        preflight("macvlan", wanted, *links)


def test_preflight_ignores_the_parents_veth_peer_and_the_device_itself():
    preflight("macvlan", spec(mode="passthru"), kernel_link("p0b", 3, "veth", 2))
    preflight("macvlan", spec(mode="passthru"),
              kernel_link("mv0", 5, "macvlan", 2, data={"IFLA_MACVLAN_MODE": "passthru"}))


# --- want: parameters ---
def params(**kw):
    base = {"name": "mv0", "link": "p0", "kind": "macvlan", "mode": "vepa", "nopromisc": None, "source_macs": None,
            "move_to_netns": None, "netns": None, "state": "present", "mtu": None, "mac": None, "up": True,
            "addresses": None, "purge_addresses": False, "recreate": False}
    base.update(kw)
    return base


@pytest.mark.parametrize("kw, fragment", [
    ({"nopromisc": True, "mode": "bridge"}, "^nopromisc: applies only to mode passthru"),
    ({"mode": "source"}, "^source_macs: mode source needs"),
    ({"mode": "source", "source_macs": []}, "^source_macs: mode source needs"),
    ({"mode": "bridge", "source_macs": ["02:00:00:00:00:01"]}, "^source_macs: applies only to mode source"),
    ({"mode": "source", "source_macs": ["02:00:00:00:00"]}, "^source_macs: '02:00:00:00:00' is not a MAC"),
])
def test_bad_mode_options(kw, fragment):
    with pytest.raises(VnetError, match=fragment):
        _kind_macvlan.mode_options(params(**kw))


def test_source_macs_normalised_sorted_and_deduplicated():
    macs = ["02:00:00:00:00:0B", "02-00-00-00-00-0a", "02:00:00:00:00:0b"]
    opts = _kind_macvlan.mode_options(params(mode="source", source_macs=macs))
    assert opts["source_macs"] == ["02:00:00:00:00:0a", "02:00:00:00:00:0b"]


def test_spec_lives_in_move_to_netns_with_the_parent_in_netns(monkeypatch):
    monkeypatch.setattr("os.path.exists", lambda path: True)
    wanted = MACVLAN.spec(params(netns="h1", move_to_netns="c1"))
    assert wanted.netns == "c1" and wanted.options["link_netns"] == "h1"
    assert MACVLAN.spec(params(netns="h1")).netns == "h1"


@pytest.mark.parametrize("kw, fragment", [
    ({"netns": "vnet-missing-h"}, "^netns: network namespace 'vnet-missing-h' does not exist"),
    ({"move_to_netns": "vnet-missing-c"}, "^move_to_netns: network namespace 'vnet-missing-c' does not exist"),
    ({"move_to_netns": "../x"}, "^move_to_netns: network namespace name '../x' is not allowed"),
    ({"link": "a" * 16}, "^link: interface name"),
])
def test_bad_namespaces_and_names_name_their_parameter(kw, fragment):
    with pytest.raises(VnetError, match=fragment):
        MACVLAN.spec(params(**kw))


def test_tap_char_device_found_through_sys_dev_char(tmp_path, monkeypatch):
    (tmp_path / "devices").write_text("Character devices:\n  1 mem\n246 macvtap\n\nBlock devices:\n246 macvtap\n")
    sys_dev_char = tmp_path / "char"
    sys_dev_char.mkdir()
    (sys_dev_char / "246:1").symlink_to("../../devices/virtual/net/mt0/macvtap/tap7")
    (sys_dev_char / "246:2").symlink_to("../../devices/virtual/net/xmt0/macvtap/tap7")
    (sys_dev_char / "1:3").symlink_to("../../devices/virtual/mem/null")
    monkeypatch.setattr(_kind_macvlan, "PROC_DEVICES", str(tmp_path / "devices"))
    monkeypatch.setattr(_kind_macvlan, "SYS_DEV_CHAR", str(sys_dev_char))
    assert _kind_macvlan.tap_char_device("macvtap", "mt0", 7) == {"tap_device": "/dev/tap7",
                                                                  "tap_major_minor": "246:1"}
    # A twin (same name and ifindex in another namespace) makes it ambiguous.
    (sys_dev_char / "246:3").symlink_to("../../devices/virtual/net/mt0/macvtap/tap7")
    assert _kind_macvlan.tap_char_device("macvtap", "mt0", 7)["tap_major_minor"] is None
