"""IFB redirect planner: pure (want, have) -> ops, no kernel."""

import errno

import pytest

from ansible_collections.vnet.linux.plugins.module_utils._kind_ifb import (
    REDIRECT_PRIO, plan_redirects, predicted_redirects, redirects_to, tc_handle)
from ansible_collections.vnet.linux.plugins.module_utils._model import Link, VnetError
from ansible_collections.vnet.linux.plugins.module_utils._netlink_tc import Ingress, TcFilter

IFB, S0, S1, OTHER_IFB = 10, 2, 3, 11
NODE = 0x80000800


def links(*extra):
    table = {"ifb0": Link(name="ifb0", ifindex=IFB, kind="ifb"),
             "s0": Link(name="s0", ifindex=S0, kind="veth"),
             "s1": Link(name="s1", ifindex=S1, kind="veth"),
             "ifb1": Link(name="ifb1", ifindex=OTHER_IFB, kind="ifb")}
    for name in extra:
        table.pop(name)
    return table


def u32_table(prio=REDIRECT_PRIO):
    """What u32 reports besides its nodes: the classifier (handle 0) and its root hash table."""
    return [TcFilter(prio, 0, "u32", 3, node=False), TcFilter(prio, 0x80000000, "u32", 3, node=False)]


def redirect(to, handle=NODE, prio=REDIRECT_PRIO):
    return u32_table(prio) + [TcFilter(prio, handle, "u32", 3, redirect=to)]


def someone_elses():
    return u32_table(100) + [TcFilter(100, 0x80100800, "u32", 3)]


def summary(ops):
    return [(op.verb, op.kind, op.name) for op in ops]


def test_new_source_gets_ingress_qdisc_then_redirect():
    ops = plan_redirects("ifb0", None, ["s0"], links(), {})
    assert summary(ops) == [("create", "ingress-qdisc", "s0"), ("create", "redirect", "s0")]
    assert ops[1].changes == {"to": "ifb0", "prio": REDIRECT_PRIO, "qdisc": "ingress"}


def test_existing_ingress_qdisc_is_reused_and_clsact_used_as_is():
    ingress = {S0: Ingress("ingress", someone_elses()), S1: Ingress("clsact")}
    ops = plan_redirects("ifb0", None, ["s0", "s1"], links(), ingress)
    assert summary(ops) == [("create", "redirect", "s0"), ("create", "redirect", "s1")]
    assert ops[1].changes["qdisc"] == "clsact"


def test_converged_redirects_plan_nothing():
    assert plan_redirects("ifb0", None, ["s0"], links(), {S0: Ingress("ingress", redirect(IFB))}) == []


def test_omitted_list_leaves_redirects_alone():
    assert plan_redirects("ifb0", None, None, links(), {S0: Ingress("ingress", redirect(IFB))}) == []


def test_dropped_source_loses_filter_and_its_now_empty_qdisc():
    ops = plan_redirects("ifb0", None, [], links(), {S0: Ingress("ingress", redirect(IFB))})
    assert summary(ops) == [("delete", "redirect", "s0"), ("delete", "ingress-qdisc", "s0")]
    assert ops[0].changes["handle"] == "800::800" and ops[0].spec.handle == NODE


def test_dropped_source_keeps_qdisc_holding_other_filters():
    ops = plan_redirects("ifb0", None, [], links(), {S0: Ingress("ingress", someone_elses() + redirect(IFB))})
    assert summary(ops) == [("delete", "redirect", "s0")]


def test_dropped_source_never_loses_clsact():
    ops = plan_redirects("ifb0", None, [], links(), {S0: Ingress("clsact", redirect(IFB))})
    assert summary(ops) == [("delete", "redirect", "s0")]


def test_redirects_to_other_ifbs_are_not_ours_to_remove():
    assert plan_redirects("ifb0", None, [], links(), {S0: Ingress("ingress", redirect(OTHER_IFB))}) == []


def test_source_redirected_elsewhere_is_refused():
    with pytest.raises(VnetError, match="redirect_from: s0 already redirects its ingress to ifb1"):
        plan_redirects("ifb0", None, ["s0"], links(), {S0: Ingress("ingress", redirect(OTHER_IFB))})


def test_stale_redirect_of_a_deleted_ifb_is_replaced():
    ops = plan_redirects("ifb0", None, ["s0"], links(), {S0: Ingress("ingress", redirect(0))})
    assert summary(ops) == [("delete", "redirect", "s0"), ("create", "redirect", "s0")]
    assert ops[0].changes["to"] == "(deleted device)" and "stale" in ops[0].reason


def test_duplicate_redirects_are_reduced_to_one():
    hook = Ingress("ingress", redirect(IFB) + [TcFilter(REDIRECT_PRIO, NODE + 1, "u32", 3, redirect=IFB)])
    ops = plan_redirects("ifb0", None, ["s0"], links(), {S0: hook})
    assert [(op.verb, op.changes["handle"]) for op in ops] == [("delete", "800::801")]


def test_filter_at_another_priority_is_not_ours():
    hook = Ingress("ingress", redirect(IFB, handle=0x80100800, prio=100))
    assert summary(plan_redirects("ifb0", None, ["s0"], links(), {S0: hook})) == [("create", "redirect", "s0")]


def test_missing_ifb_has_no_redirects_yet():
    ops = plan_redirects("ifb0", "ns1", ["s0"], links("ifb0"), {})
    assert summary(ops) == [("create", "ingress-qdisc", "s0"), ("create", "redirect", "s0")]
    assert all(op.netns == "ns1" for op in ops)


@pytest.mark.parametrize("sources, message", [
    (["nope"], "redirect_from: device 'nope' does not exist in netns ns1"),
    (["ifb0"], "redirect_from: ifb0 is the ifb itself"),
])
def test_bad_sources_fail_before_any_op(sources, message):
    with pytest.raises(VnetError, match=message):
        plan_redirects("ifb0", "ns1", sources, links(), {})


def test_redirects_to_reports_sources_sorted_with_tc_handles():
    ingress = {S1: Ingress("clsact", redirect(IFB)), S0: Ingress("ingress", someone_elses() + redirect(IFB, 0x80200800))}
    assert redirects_to(IFB, links(), ingress) == [
        {"dev": "s0", "prio": REDIRECT_PRIO, "handle": "802::800", "qdisc": "ingress"},
        {"dev": "s1", "prio": REDIRECT_PRIO, "handle": "800::800", "qdisc": "clsact"}]
    assert redirects_to(None, links(), ingress) == []


def test_predicted_redirects_keep_known_handles():
    current = [{"dev": "s0", "prio": REDIRECT_PRIO, "handle": "800::800", "qdisc": "ingress"}]
    predicted = predicted_redirects(["s1", "s0"], current, {S1: Ingress("clsact")}, links())
    assert predicted == current + [{"dev": "s1", "prio": REDIRECT_PRIO, "handle": None, "qdisc": "clsact"}]


@pytest.mark.parametrize("handle, text", [(0x80000800, "800::800"), (0x80101801, "801:1:801"), (0x80000000, "800::0")])
def test_tc_handle_matches_tc_notation(handle, text):
    assert tc_handle(handle) == text


def test_missing_classifier_or_action_is_named_and_not_retried_as_a_race():
    netlink = pytest.importorskip("ansible_collections.vnet.linux.plugins.module_utils._netlink_tc")
    from pyroute2 import NetlinkError
    with pytest.raises(netlink.MissingFeature) as failure:
        with netlink.missing_feature("create redirect s0", "the u32 classifier or the mirred action"):
            raise NetlinkError(errno.ENOENT)
    assert "the kernel lacks the u32 classifier or the mirred action [ENOENT]" in str(failure.value)
    assert failure.value.code == errno.EOPNOTSUPP
