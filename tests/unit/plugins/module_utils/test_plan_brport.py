"""Bridge-port planner: pure (want, have) -> ops, no kernel."""

import pytest

from ansible_collections.vnet.linux.plugins.module_utils._brport import (
    NEW_PORT_FLAGS, BridgePortSpec, plan_bridge_port, port_flags, port_state, projected_port)
from ansible_collections.vnet.linux.plugins.module_utils._model import Link, VnetError

BR, PORT = 5, 6
DEFAULT_SLAVE_DATA = {"IFLA_BRPORT_MODE": 0, "IFLA_BRPORT_ISOLATED": 0, "IFLA_BRPORT_LEARNING": 1,
                      "IFLA_BRPORT_UNICAST_FLOOD": 1, "IFLA_BRPORT_NEIGH_SUPPRESS": 0, "IFLA_BRPORT_COST": 2}


def spec(**kw):
    flags = {"hairpin": kw.pop("hairpin", True), "isolated": kw.pop("isolated", None),
             "learning": kw.pop("learning", None), "flood": kw.pop("flood", None),
             "neigh_suppress": kw.pop("neigh_suppress", None)}
    return BridgePortSpec(bridge=kw.pop("bridge", "br0"), port=kw.pop("port", "p0"), flags=flags, **kw)


def links(member=True, **slave_data):
    port = Link(name="p0", ifindex=PORT, kind="veth", parent=7)
    if member:
        port.master, port.slave_kind = BR, "bridge"
        port.slave_data = dict(DEFAULT_SLAVE_DATA, **slave_data)
    return {"br0": Link(name="br0", ifindex=BR, kind="bridge"), "p0": port,
            "v0": Link(name="v0", ifindex=7, kind="veth", parent=PORT)}


def summary(ops):
    return [(op.verb, op.kind, op.name, op.changes) for op in ops]


def test_hairpin_is_set_on_a_member():
    assert summary(plan_bridge_port(spec(), links())) == [("set", "brport", "p0", {"hairpin": True})]


def test_converged_port_plans_nothing():
    assert plan_bridge_port(spec(learning=True), links(IFLA_BRPORT_MODE=1)) == []


def test_only_given_flags_are_compared():
    have = links(IFLA_BRPORT_MODE=1, IFLA_BRPORT_ISOLATED=1, IFLA_BRPORT_LEARNING=0)
    assert plan_bridge_port(spec(), have) == []
    ops = plan_bridge_port(spec(isolated=False, flood=False, neigh_suppress=True), have)
    assert summary(ops) == [("set", "brport", "p0", {"isolated": False, "flood": False, "neigh_suppress": True})]


def test_hairpin_off():
    assert summary(plan_bridge_port(spec(hairpin=False), links(IFLA_BRPORT_MODE=1))) == [
        ("set", "brport", "p0", {"hairpin": False})]


def test_enslave_starts_from_the_kernel_defaults():
    ops = plan_bridge_port(spec(enslave=True, learning=True), links(member=False))
    assert summary(ops) == [("enslave", "brport", "p0", {"bridge": "br0"}), ("set", "brport", "p0", {"hairpin": True})]


def test_missing_bridge_is_created_up_when_asked():
    have = links(member=False)
    del have["br0"]
    ops = plan_bridge_port(spec(create_bridge=True, enslave=True, netns="sw"), have)
    assert [(op.verb, op.kind, op.name) for op in ops] == [
        ("create", "bridge", "br0"), ("enslave", "brport", "p0"), ("set", "brport", "p0")]
    assert ops[0].changes == {"up": True} and all(op.netns == "sw" for op in ops)


@pytest.mark.parametrize("change, message", [
    ({"port": "nope"}, "port: device 'nope' does not exist in netns sw"),
    ({"bridge": "nobr"}, "bridge: 'nobr' does not exist in netns sw; set create_bridge: true"),
    ({"bridge": "v0"}, "bridge: v0 is a veth device, not a bridge"),
    ({"port": "br0"}, "port: br0 is the bridge itself"),
])
def test_bad_names_fail_clearly(change, message):
    with pytest.raises(VnetError, match=message):
        plan_bridge_port(spec(netns="sw", **change), links())


def test_non_member_without_enslave_fails():
    with pytest.raises(VnetError, match="port: p0 is not a port of bridge br0; set enslave: true"):
        plan_bridge_port(spec(), links(member=False))


def test_port_of_another_bridge_is_never_moved():
    have = links()
    have["br1"] = Link(name="br1", ifindex=9, kind="bridge")
    with pytest.raises(VnetError, match="port: p0 is already enslaved to br0, not to br1"):
        plan_bridge_port(spec(bridge="br1", enslave=True), have)


def test_device_with_macvlan_uppers_is_refused_before_any_change():
    have = links(member=False)
    have["mv0"] = Link(name="mv0", ifindex=8, kind="macvlan", parent=PORT)
    with pytest.raises(VnetError, match=r"port: p0 carries mv0 \(macvlan\).*EBUSY"):
        plan_bridge_port(spec(enslave=True), have)


def test_macvlan_whose_lower_is_in_another_namespace_is_not_an_upper_of_ours():
    have = links(member=False)
    have["mv0"] = Link(name="mv0", ifindex=8, kind="macvlan", parent=PORT, link_netnsid=0)
    assert [op.verb for op in plan_bridge_port(spec(enslave=True), have)] == ["enslave", "set"]


def test_port_flags_read_the_brport_attributes():
    assert port_flags(links()["p0"]) == NEW_PORT_FLAGS
    assert port_flags(links(member=False)["p0"]) == {}
    assert port_flags(links(IFLA_BRPORT_MODE=1, IFLA_BRPORT_UNICAST_FLOOD=0)["p0"])["hairpin"] is True


def test_port_state_and_projection():
    before = port_state(links(member=False), "p0")
    assert before == {"bridge": None}
    expected = dict(NEW_PORT_FLAGS, bridge="br0", hairpin=True, learning=False)
    assert projected_port(spec(learning=False), before) == expected
    member = port_state(links(IFLA_BRPORT_ISOLATED=1), "p0")
    assert projected_port(spec(), member) == dict(member, hairpin=True)
    assert port_state(links(), "nope") == {}
