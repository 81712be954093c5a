"""How a client's deletes are sent: runs of them become one group delete (the kernel side is
tested in tests/reliability/test_scale.py and test_faults.py)."""

import pytest

from ansible_collections.vnet.linux.plugins.module_utils import _netlink
from ansible_collections.vnet.linux.plugins.module_utils._netlink import (
    IFLA_GROUP, IFLA_IFNAME, IFINFOMSG, NLMSGHDR, RTM_DELLINK, RTM_SETLINK, U32, group_deletes, walk_nlas)

GROUP = 70000


@pytest.fixture(autouse=True)
def fixed_group(monkeypatch):
    monkeypatch.setattr(_netlink.random, "randrange", lambda low, high: GROUP)


def delete(name):
    return ("delete veth %s" % name, b"del " + name.encode(), name)


def other(action):
    return (action, action.encode(), None)


def decoded(request):
    """(message type, ifindex, {attribute type: payload}) of one encoded request."""
    msg_type = NLMSGHDR.unpack_from(request)[1]
    index = IFINFOMSG.unpack_from(request, NLMSGHDR.size)[2]
    attrs = dict((nla_type, request[start:end])
                 for nla_type, start, end in walk_nlas(request, NLMSGHDR.size + IFINFOMSG.size, len(request)))
    return msg_type, index, attrs


def test_a_run_of_deletes_becomes_moves_into_one_group_and_its_delete_in_place():
    queued = [other("create a"), delete("b"), delete("c"), delete("d"), other("set e")]
    sent = group_deletes(queued, {0, 7})
    assert [action for action, _request in sent] == [
        "create a", "delete veth b", "delete veth c", "delete veth d",
        "delete veth b, and 2 more deletes in the same request", "set e"]
    assert sent[0][1] == b"create a" and sent[-1][1] == b"set e"
    for (_action, request), name in zip(sent[1:4], "bcd"):
        msg_type, index, attrs = decoded(request)
        assert (msg_type, index) == (RTM_SETLINK, 0)
        assert attrs[IFLA_IFNAME] == name.encode() + b"\0" and U32.unpack(attrs[IFLA_GROUP])[0] == GROUP
    msg_type, index, attrs = decoded(sent[4][1])
    assert (msg_type, index, list(attrs)) == (RTM_DELLINK, 0, [IFLA_GROUP])  # no name: the whole group
    assert U32.unpack(attrs[IFLA_GROUP])[0] == GROUP


def test_a_lone_delete_and_deletes_apart_are_sent_as_they_are():
    queued = [delete("a"), other("create a"), delete("b")]
    assert group_deletes(queued, {0}) == [(action, data) for action, data, _name in queued]


def test_without_a_dump_of_the_groups_deletes_are_sent_as_they_are():
    queued = [delete("a"), delete("b")]
    assert group_deletes(queued, None) == [(action, data) for action, data, _name in queued]


def test_the_group_is_none_the_namespace_uses(monkeypatch):
    picks = iter([7, GROUP, 5])
    monkeypatch.setattr(_netlink.random, "randrange", lambda low, high: next(picks))
    sent = group_deletes([delete("a"), delete("b")], {0, 7})
    assert U32.unpack(decoded(sent[-1][1])[2][IFLA_GROUP])[0] == GROUP


def test_groups_are_picked_above_the_ones_people_assign(monkeypatch):
    bounds = []
    monkeypatch.setattr(_netlink.random, "randrange", lambda low, high: bounds.append((low, high)) or GROUP)
    group_deletes([delete("a"), delete("b")], {0})
    assert bounds == [(1 << 16, 1 << 32)]


def test_a_delete_by_name_is_the_request_pyroute2_encodes():
    """Bar the header's sequence number and port id: flush numbers each request, the kernel fills the port."""
    pytest.importorskip("pyroute2")
    client = _netlink.NetlinkClient()
    try:
        theirs = client.compile("del", {"ifname": "bv12"})
    finally:
        client.close()
    ours = _netlink.encode_dellink(name="bv12")
    assert NLMSGHDR.unpack_from(ours)[:3] == NLMSGHDR.unpack_from(theirs)[:3]
    assert ours[NLMSGHDR.size:] == theirs[NLMSGHDR.size:]
