"""Planner unit tests: pure (want, have) -> ops, no kernel."""

import pytest

from ansible_collections.vnet.linux.plugins.module_utils._kinds import KINDS
from ansible_collections.vnet.linux.plugins.module_utils._model import Link, LinkSpec, VnetError
from ansible_collections.vnet.linux.plugins.module_utils._plan import address_ops, plan_link, plan_netns

VETH, TUNTAP = KINDS["veth"], KINDS["tuntap"]


def veth_spec(**kw):
    options = {"peer": kw.pop("peer", "vb"), "peer_netns": kw.pop("peer_netns", None)}
    return LinkSpec(name="va", kind="veth", options=options, **kw)


def veth_link(**kw):
    props = {"kind": "veth", "peer": "vb", "peer_netns": None, "peer_up": True, "peer_mtu": 1500}
    props.update(kw.pop("props", {}))
    defaults = dict(name="va", ifindex=5, kind="veth", up=True, mtu=1500, mac="02:00:00:00:00:01", props=props)
    defaults.update(kw)
    return Link(**defaults)


def tap_spec(**options):
    opts = {"mode": "tap", "owner": None, "group": None, "multi_queue": None, "vnet_hdr": None, "pi": None}
    opts.update(options)
    return LinkSpec(name="tp0", kind="tuntap", options=opts)


def tap_link(**props):
    base = {"kind": "tuntap", "mode": "tap", "owner": None, "group": None, "pi": False,
            "vnet_hdr": False, "multi_queue": False, "persist": True}
    base.update(props)
    return Link(name="tp0", ifindex=7, kind="tun", up=True, mtu=1500, props=base)


def verbs(ops):
    return [(op.verb, op.name) for op in ops]


def test_missing_veth_is_created_with_peer_up_and_addresses_in_order():
    ops = plan_link(veth_spec(addresses=["10.0.0.1/24"]), None, VETH)
    assert verbs(ops) == [("create", "va"), ("set", "vb"), ("add-address", "va")]
    assert ops[1].changes == {"up": True}


def test_veth_created_in_peer_netns_is_not_moved_afterwards():
    ops = plan_link(veth_spec(peer_netns="b"), None, VETH)
    assert [op.verb for op in ops] == ["create", "set"]
    assert ops[1].netns == "b"


def test_converged_veth_plans_nothing():
    assert plan_link(veth_spec(mtu=1500), veth_link(), VETH) == []


def test_mtu_change_is_in_place_on_both_ends():
    ops = plan_link(veth_spec(mtu=1400), veth_link(), VETH)
    assert [(op.verb, op.name, op.changes) for op in ops] == [
        ("set", "va", {"mtu": 1400}), ("set", "vb", {"mtu": 1400})]


def test_peer_in_wrong_netns_is_moved_not_recreated():
    ops = plan_link(veth_spec(peer_netns="b"), veth_link(), VETH)
    assert ops[0].verb == "move" and ops[0].changes == {"netns": "b"}


def test_other_peer_name_needs_recreate():
    with pytest.raises(VnetError, match="peer is vb, wanted vc.*recreate: true"):
        plan_link(veth_spec(peer="vc"), veth_link(), VETH)


def test_other_peer_name_with_recreate_deletes_then_creates():
    ops = plan_link(veth_spec(peer="vc", recreate=True), veth_link(), VETH)
    assert [op.verb for op in ops][:2] == ["delete", "create"]


def test_name_held_by_another_kind_fails_without_recreate():
    with pytest.raises(VnetError, match="exists as kind tuntap, not veth"):
        plan_link(veth_spec(), tap_link(), VETH)


def test_absent_deletes_only_existing():
    assert verbs(plan_link(veth_spec(state="absent"), veth_link(), VETH)) == [("delete", "va")]
    assert plan_link(veth_spec(state="absent"), None, VETH) == []


def test_absent_refuses_to_delete_another_kind():
    with pytest.raises(VnetError, match="not deleting it: it is a tuntap, not a veth"):
        plan_link(veth_spec(state="absent"), tap_link(), VETH)


def test_tuntap_owner_changes_in_place_with_completed_spec():
    ops = plan_link(tap_spec(owner=1000), tap_link(vnet_hdr=True), TUNTAP)
    assert verbs(ops) == [("set", "tp0")] and ops[0].changes == {"owner": 1000}
    # set_options re-attaches with the device's own flags, so omitted flags come from the kernel.
    assert ops[0].spec.options["vnet_hdr"] is True


@pytest.mark.parametrize("option", [{"mode": "tun"}, {"pi": True}, {"vnet_hdr": True}, {"multi_queue": True}])
def test_tuntap_fixed_flags_need_recreate(option):
    with pytest.raises(VnetError, match="cannot change this in place"):
        plan_link(tap_spec(**option), tap_link(), TUNTAP)


def test_unspecified_tuntap_flags_are_not_compared():
    assert plan_link(tap_spec(), tap_link(pi=True), TUNTAP) == []


def test_address_purge_keeps_ipv6_link_local():
    have = ["10.0.0.1/24", "10.0.0.9/24", "fe80::1/64"]
    ops = address_ops("va", None, ["10.0.0.1/24"], have, purge=True)
    assert [(op.verb, op.changes["address"]) for op in ops] == [("remove-address", "10.0.0.9/24")]


def test_address_absent_removes_only_listed_present_ones():
    ops = address_ops("va", None, ["10.0.0.1/24", "10.0.0.2/24"], ["10.0.0.1/24"], False, state="absent")
    assert [op.changes["address"] for op in ops] == ["10.0.0.1/24"]


def test_netns_exact_name_match():
    assert [op.verb for op in plan_netns("web", "present", ["web1", "aweb"])] == ["create"]
    assert plan_netns("web", "present", ["web"]) == []
    assert [op.verb for op in plan_netns("web", "absent", ["web"])] == ["delete"]


def test_op_strings_are_readable():
    op = plan_link(veth_spec(peer_netns="b", mtu=1400), None, VETH)[0]
    assert str(op) == "create veth va: mtu=1400, peer=vb, peer_netns=b, up=True"
