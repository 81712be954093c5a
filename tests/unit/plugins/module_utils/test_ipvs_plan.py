"""IPVS specs, kernel attribute translation and the pure planner: no kernel."""

import gc
import socket
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.vnet.linux.plugins.module_utils import _ipvs as ipvs
from ansible_collections.vnet.linux.plugins.module_utils import _netlink_ipvs as codec
from ansible_collections.vnet.linux.plugins.module_utils._converge import collector_paused
from ansible_collections.vnet.linux.plugins.module_utils._model import VnetError

VIP = "192.0.2.80"


def spec(*services, purge=False, drain=False):
    return ipvs.ipvs_spec({"services": list(services), "purge_services": purge, "drain": drain})


def web(**options):
    service = {"address": VIP, "port": 80, "scheduler": "rr"}
    service.update(options)
    return service


def table_of(*services):
    """A kernel table as a previous apply of these service entries would leave it (counters zero)."""
    wanted = spec(*services)
    return ipvs.apply_ops({}, ipvs.plan_ipvs(wanted, {}))


def lines(ops):
    return [str(op) for op in ops]


# --- want: validation ---------------------------------------------------------------

@pytest.mark.parametrize("service, message", [
    (web(scheduler="fastest"), r"^services\[0\]\.scheduler: unknown scheduler 'fastest' \(one of rr, wrr"),
    ({"address": VIP}, r"^services\[0\]\.port: required with address"),
    ({"port": 80}, r"^services\[0\]: a virtual service needs address and port"),
    ({"address": "192.0.2.300", "port": 80}, r"^services\[0\]\.address: '192.0.2.300' is not an IPv4 or IPv6"),
    ({"fwmark": 1, "address": VIP}, r"^services\[0\]\.address: a fwmark service has no address"),
    ({"fwmark": 0}, r"^services\[0\]\.fwmark: 0 is outside 1\.\.4294967295"),
    ({"address": VIP, "port": 80, "family": "ipv6"}, r"^services\[0\]\.family: ipv6 does not match"),
    ({"address": VIP, "port": 0}, r"^services\[0\]\.port: port 0 \(all ports\) needs persistence_timeout"),
    (web(persistence_netmask="255.0.255.0"), r"^services\[0\]\.persistence_netmask: '255\.0\.255\.0' is not"),
    (web(scheduler="rr", scheduler_flags=["sh-port"]), r"^services\[0\]\.scheduler_flags: 'sh-port' is not a flag"),
    (web(realservers=[{"address": "198.51.100.1", "weight": -1}]),
     r"^services\[0\]\.realservers\[0\]\.weight: -1 is outside 0\.\.2147483647"),
    (web(realservers=[{"address": "198.51.100.1", "tun_port": 6080}]),
     r"^services\[0\]\.realservers\[0\]\.tun_port: only with tun_type: gue"),
    (web(realservers=[{"address": "198.51.100.1", "tun_type": "gue"}]),
     r"^services\[0\]\.realservers\[0\]\.tun_port: required with tun_type: gue"),
    (web(realservers=[{"address": "198.51.100.1", "forward": "route", "tun_type": "gre"}]),
     r"^services\[0\]\.realservers\[0\]\.tun_type: only with forward: tunnel"),
    (web(realservers=[{"address": "198.51.100.1", "tun_type": "gre", "tun_csum": "remcsum"}]),
     r"tun_csum: remcsum \(remote checksum offload\) needs tun_type: gue"),
    (web(realservers=[{"address": "198.51.100.1", "tun_csum": "csum"}]), r"tun_csum: only with tun_type: gue or gre"),
    (web(realservers=[{"address": "2001:db8::1"}]),
     r"^services\[0\]\.realservers\[0\]\.address: 2001:db8::1 is an ipv6 address but the service .* is ipv4; "
     r"mixed address families"),
    (web(realservers=[{"address": "198.51.100.1", "port": 8080}]),
     r"realservers\[0\]\.port: tunnel forwarding keeps the virtual port \(80\)"),
    (web(realservers=[{"address": "198.51.100.1", "lower_threshold": 5}]),
     r"realservers\[0\]\.lower_threshold: 5 is above upper_threshold 0"),
    (web(realservers=[{"address": "198.51.100.1"}, {"address": "198.51.100.1"}]),
     r"^services\[0\]\.realservers\[1\]: 198\.51\.100\.1:80 is already listed as realservers\[0\]"),
])
def test_bad_input_names_the_parameter(service, message):
    with pytest.raises(VnetError, match=message):
        spec(service)


def test_duplicate_services_are_refused():
    with pytest.raises(VnetError, match=r"^services\[1\]: tcp/192\.0\.2\.80:80 is already listed as services\[0\]"):
        spec(web(), {"address": VIP, "port": 80, "protocol": "tcp"})


def test_defaults_are_ipvsadm_s():
    (entry,) = spec({"address": "2001:DB8::80", "port": 443, "realservers": [{"address": "2001:db8::11"}]}).services
    assert entry.service == ipvs.Service(ipvs.ServiceKey("ipv6", "tcp", "2001:db8::80", 443, None),
                                         scheduler="wlc", persistence_netmask=128)
    assert entry.realservers == (ipvs.RealServer("2001:db8::11", 443),)  # tunnel, ipip, weight 1


def test_masquerade_maps_ports_and_fwmark_real_servers_default_to_port_0():
    (entry,) = spec(web(realservers=[{"address": "10.0.0.1", "port": 8080, "forward": "masquerade"}])).services
    assert entry.realservers[0].port == 8080 and entry.realservers[0].tun_type is None
    (entry,) = spec({"fwmark": 3, "realservers": [{"address": "10.0.0.1"}]}).services
    assert entry.realservers[0].port == 0


def test_scheduler_flag_names_follow_the_scheduler():
    (entry,) = spec(web(scheduler="sh", scheduler_flags=["flag-1", "sh-port"])).services
    assert entry.service.scheduler_flags == ("sh-fallback", "sh-port")


def test_persistence_netmask_forms():
    assert ipvs.persistence_netmask("m", "ipv4", "255.255.255.0") == 24
    assert ipvs.persistence_netmask("m", "ipv4", "/16") == 16
    assert ipvs.persistence_netmask("m", "ipv6", "64") == 64
    with pytest.raises(VnetError, match="1..128"):
        ipvs.persistence_netmask("m", "ipv6", "ffff::")


# --- plan ------------------------------------------------------------------------

def test_new_service_then_its_real_servers():
    ops = ipvs.plan_ipvs(spec(web(realservers=[{"address": "198.51.100.1", "weight": 3},
                                               {"address": "198.51.100.2", "tun_type": "gue", "tun_port": 6080}])), {})
    assert lines(ops) == [
        "create ipvs-service tcp/192.0.2.80:80: scheduler=rr",
        "create ipvs-realserver tcp/192.0.2.80:80 -> 198.51.100.1:80: forward=tunnel, tun_type=ipip, weight=3",
        "create ipvs-realserver tcp/192.0.2.80:80 -> 198.51.100.2:80: forward=tunnel, tun_csum=none, tun_port=6080, "
        "tun_type=gue, weight=1",
    ]


def test_converged_table_plans_nothing():
    service = web(persistence_timeout=60, realservers=[{"address": "198.51.100.1"}])
    assert ipvs.plan_ipvs(spec(service), table_of(service)) == []


@pytest.mark.parametrize("change", [
    {"scheduler": "wrr"}, {"persistence_timeout": 300}, {"one_packet": True}, {"persistence_netmask": "24"},
])
def test_service_options_change_in_place(change):
    before = web(realservers=[{"address": "198.51.100.1"}])
    ops = ipvs.plan_ipvs(spec(dict(before, **change)), table_of(before))
    assert [(op.verb, op.kind) for op in ops] == [("set", "ipvs-service")]


def test_weight_change_sends_only_that_real_server():
    servers = [{"address": "198.51.100.%d" % i} for i in range(1, 5)]
    have = table_of(web(realservers=servers))
    servers[2] = dict(servers[2], weight=7)
    ops = ipvs.plan_ipvs(spec(web(realservers=servers)), have)
    assert lines(ops) == ["set ipvs-realserver tcp/192.0.2.80:80 -> 198.51.100.3:80: weight=7"]


def test_tunnel_type_change_is_a_set_not_delete_and_add():
    have = table_of(web(realservers=[{"address": "198.51.100.1"}]))
    ops = ipvs.plan_ipvs(spec(web(realservers=[{"address": "198.51.100.1", "tun_type": "gre", "tun_csum": "csum"}])),
                         have)
    assert [(op.verb, op.changes) for op in ops] == [("set", {"tun_type": "gre", "tun_csum": "csum"})]


def test_unlisted_real_servers_go_omitted_list_keeps_them():
    have = table_of(web(realservers=[{"address": "198.51.100.1"}, {"address": "198.51.100.2"}]))
    ops = ipvs.plan_ipvs(spec(web(realservers=[{"address": "198.51.100.1"}])), have)
    assert lines(ops) == ["delete ipvs-realserver tcp/192.0.2.80:80 -> 198.51.100.2:80 (not listed)"]
    assert ipvs.plan_ipvs(spec(web()), have) == []


def test_purge_removes_only_unlisted_services_one_by_one():
    have = table_of(web(), {"address": VIP, "port": 443}, {"fwmark": 9})
    ops = ipvs.plan_ipvs(spec(web(), purge=True), have)
    assert lines(ops) == ["delete ipvs-service fwmark/9/ipv4 (not listed, purge_services=true)",
                          "delete ipvs-service tcp/192.0.2.80:443 (not listed, purge_services=true)"]
    assert ipvs.plan_ipvs(spec(web()), have) == []


def test_absent_service_is_deleted_once():
    have = table_of(web())
    assert lines(ipvs.plan_ipvs(spec(web(state="absent")), have)) == [
        "delete ipvs-service tcp/192.0.2.80:80 (state=absent)"]
    assert ipvs.plan_ipvs(spec(web(state="absent")), {}) == []


def with_active(table, address, active):
    entry = table[next(iter(table))]
    entry.rs_stats[(address, 80)] = with_active_count(entry.rs_stats[(address, 80)], active)
    return table


def with_active_count(counters, active):
    return counters[:ipvs.ACTIVE_CONNECTIONS] + (active,) + counters[ipvs.ACTIVE_CONNECTIONS + 1:]


def test_drain_sets_weight_zero_while_connections_are_active():
    have = with_active(table_of(web(realservers=[{"address": "198.51.100.1"}, {"address": "198.51.100.2"}])),
                       "198.51.100.2", 3)
    wanted = spec(web(realservers=[{"address": "198.51.100.1"}]), drain=True)
    ops = ipvs.plan_ipvs(wanted, have)
    assert lines(ops) == ["set ipvs-realserver tcp/192.0.2.80:80 -> 198.51.100.2:80: weight=0 "
                          "(drain: not listed, 3 active connections)"]
    after = ipvs.apply_ops(have, ops)
    assert ipvs.plan_ipvs(wanted, after) == []
    draining = ipvs.drain_decisions(wanted, after)
    assert ipvs.draining_facts(after, draining) == [
        {"service": "tcp/192.0.2.80:80", "address": "198.51.100.2", "port": 80, "weight": 0,
         "active_connections": 3, "inactive_connections": 0, "persistent_connections": 0}]


def test_drain_removes_once_connections_are_gone_and_without_drain_at_once():
    have = table_of(web(realservers=[{"address": "198.51.100.1"}, {"address": "198.51.100.2", "weight": 0}]))
    for drain in (True, False):
        ops = ipvs.plan_ipvs(spec(web(realservers=[{"address": "198.51.100.1"}]), drain=drain), have)
        assert [op.verb for op in ops] == ["delete"]
    busy = with_active(have, "198.51.100.2", 1)
    assert [op.verb for op in ipvs.plan_ipvs(spec(web(realservers=[{"address": "198.51.100.1"}])), busy)] == ["delete"]


def test_drain_decision_is_kept_when_connections_close_before_verify():
    have = with_active(table_of(web(realservers=[{"address": "198.51.100.2"}])), "198.51.100.2", 1)
    wanted = spec(web(realservers=[]), drain=True)
    decided = ipvs.drain_decisions(wanted, have)
    after = with_active(ipvs.apply_ops(have, ipvs.plan_ipvs(wanted, have, decided)), "198.51.100.2", 0)
    assert ipvs.plan_ipvs(wanted, after, decided) == []


def test_diff_covers_the_declared_scope_only():
    have = table_of(web(), {"fwmark": 9})
    assert list(ipvs.declared_table(spec(web()), have)) == ["tcp/192.0.2.80:80"]
    assert list(ipvs.declared_table(spec(web(), purge=True), have)) == ["fwmark/9/ipv4", "tcp/192.0.2.80:80"]


# --- kernel attributes: our codec, the kernel's layout, pyroute2's reading ---------------------

def decoded(table, attrs, decoder):
    data = codec.encode_attrs(table, attrs)
    return codec.decode_attrs(data, 0, len(data), decoder)


def as_dumped(attrs, flags_extra=0, stats=None):
    """What a service dump returns for a service added with ``attrs``: flags with the hashed bit, stats."""
    dumped = dict(attrs)
    dumped["IPVS_SVC_ATTR_FLAGS"] = (attrs["IPVS_SVC_ATTR_FLAGS"][0] | ipvs.F_HASHED | flags_extra, 0xFFFFFFFF)
    dumped["IPVS_SVC_ATTR_STATS64"] = stats or {}
    return dumped


@pytest.mark.parametrize("service", [
    web(scheduler="sh", scheduler_flags=["sh-port"], persistence_timeout=300, persistence_netmask="24"),
    {"address": "2001:db8::80", "port": 53, "protocol": "udp", "one_packet": True, "persistence_timeout": 60,
     "persistence_netmask": "64"},
    {"fwmark": 77, "family": "ipv6", "scheduler": "mh", "scheduler_flags": ["mh-fallback"]},
])
def test_service_round_trips_through_the_kernel_layout(service):
    (entry,) = spec(service).services
    attrs = ipvs.service_attrs(entry.service)
    back = decoded(codec.SERVICE_ATTRS, as_dumped(attrs), codec.SERVICE_DECODER)
    assert ipvs.service_from_kernel(back) == entry.service


def test_ipv6_persistence_netmask_is_a_host_order_prefix_length():
    (entry,) = spec({"address": "2001:db8::80", "port": 80, "persistence_netmask": "64"}).services
    assert ipvs.service_attrs(entry.service)["IPVS_SVC_ATTR_NETMASK"] == struct.pack("=I", 64)
    (entry,) = spec(web(persistence_netmask="24")).services
    assert ipvs.service_attrs(entry.service)["IPVS_SVC_ATTR_NETMASK"] == socket.inet_aton("255.255.255.0")


def counters_of(row):
    """A real server's counters by name, as the table keeps them (the row's tail)."""
    return dict(zip(ipvs.RS_COUNTER_FIELDS, row[ipvs.COUNTERS_AT:]))


@pytest.mark.parametrize("server", [
    {"address": "198.51.100.1", "weight": 5, "upper_threshold": 100, "lower_threshold": 10},
    {"address": "198.51.100.1", "tun_type": "gue", "tun_port": 6080, "tun_csum": "remcsum"},
    {"address": "198.51.100.1", "tun_type": "gre", "tun_csum": "csum"},
    {"address": "198.51.100.1", "forward": "route"},
    {"address": "198.51.100.1", "forward": "masquerade", "port": 8080},
])
def test_real_server_round_trips_through_the_kernel_layout(server):
    (entry,) = spec(web(realservers=[server])).services
    attrs = ipvs.realserver_attrs(entry.realservers[0])
    attrs.update({"IPVS_DEST_ATTR_ACTIVE_CONNS": 2, "IPVS_DEST_ATTR_STATS64": {"IPVS_STATS_ATTR_INPKTS": 9}})
    data = codec.encode_attrs(codec.DEST_ATTRS, attrs)
    row = codec.decode_row(data, 0, len(data), codec.DEST_DECODER, ipvs.DEST_ROW)
    assert ipvs.realserver_from_kernel(row, "ipv4") == entry.realservers[0]
    assert counters_of(row)["active_connections"] == 2
    assert counters_of(row)["in_packets"] == 9
    assert counters_of(row)["out_bytes"] == 0


def test_a_kernel_without_tunnel_type_attributes_reads_as_ipip():
    """Before Linux 5.2 a real server has no TUN_* attributes (and before 4.14 no STATS64): they read 0."""
    (entry,) = spec(web(realservers=[{"address": "198.51.100.1"}])).services
    attrs = dict((name, value) for name, value in ipvs.realserver_attrs(entry.realservers[0]).items()
                 if not name.startswith("IPVS_DEST_ATTR_TUN_"))
    row = codec.row_of(decoded(codec.DEST_ATTRS, attrs, codec.DEST_DECODER), ipvs.DEST_ROW)
    assert ipvs.realserver_from_kernel(row, "ipv4") == entry.realservers[0]
    assert set(counters_of(row).values()) == {0}


def test_kernel_flags_we_do_not_manage_and_ipip_checksums_are_not_compared():
    (entry,) = spec(web(realservers=[{"address": "198.51.100.1"}])).services
    dumped = as_dumped(ipvs.service_attrs(entry.service), flags_extra=0x100)
    assert ipvs.service_from_kernel(dumped) == entry.service
    dest = dict(ipvs.realserver_attrs(entry.realservers[0]), IPVS_DEST_ATTR_TUN_FLAGS=1)
    assert ipvs.realserver_from_kernel(codec.row_of(dest, ipvs.DEST_ROW), "ipv4") == entry.realservers[0]


def test_attribute_numbers_agree_with_pyroute2():
    from pyroute2.netlink.generic import ipvs as pr_ipvs
    for table, nla_class in ((codec.SERVICE_ATTRS, pr_ipvs.ipvsmsg.service), (codec.DEST_ATTRS, pr_ipvs.ipvsmsg.dest),
                             (codec.STATS_ATTRS, pr_ipvs.ipvsstats.stats64)):
        numbers = dict((name, index) for index, (name, _fmt) in enumerate(nla_class.nla_map))
        assert dict((name, attr.id) for name, attr in table.items()) == dict((n, numbers[n]) for n in table)


def test_pyroute2_reads_our_messages_with_its_tun_port_trap():
    """pyroute2 parses our NEW_DEST as the kernel does, except TUN_PORT, which it declares uint16."""
    from pyroute2.netlink.generic import ipvs as pr_ipvs
    (entry,) = spec(web(realservers=[{"address": "198.51.100.1", "tun_type": "gue", "tun_port": 6080}])).services
    client = codec.IpvsClient.__new__(codec.IpvsClient)
    client.family_id = 30
    data = client.message("new_dest", 5, 7, ipvs.service_key_attrs(entry.service.key),
                          ipvs.realserver_attrs(entry.realservers[0]))
    msg = pr_ipvs.ipvsmsg(data)
    msg.decode()
    service = dict(msg.get_attr("IPVS_CMD_ATTR_SERVICE")["attrs"])
    dest = dict(msg.get_attr("IPVS_CMD_ATTR_DEST")["attrs"])
    assert msg["cmd"] == pr_ipvs.IPVS_CMD_NEW_DEST and msg["header"]["sequence_number"] == 7
    assert (service["IPVS_SVC_ATTR_ADDR"], service["IPVS_SVC_ATTR_PORT"]) == (VIP, 80)
    assert (dest["IPVS_DEST_ATTR_ADDR"], dest["IPVS_DEST_ATTR_FWD_METHOD"]) == ("198.51.100.1", 2)
    assert dest["IPVS_DEST_ATTR_TUN_PORT"] == socket.htons(6080)


def test_learned_layouts_read_records_exactly_as_the_generic_walk():
    (entry,) = spec(web(realservers=[{"address": "198.51.100.1", "tun_type": "gue", "tun_port": 6080},
                                     {"address": "198.51.100.2", "weight": 9}])).services
    stats = {"IPVS_STATS_ATTR_CONNS": 3, "IPVS_STATS_ATTR_OUTBYTES": 2 ** 40}
    first, second = (codec.encode_attrs(codec.DEST_ATTRS, dict(ipvs.realserver_attrs(rs), IPVS_DEST_ATTR_STATS64=stats))
                     for rs in entry.realservers)
    service = codec.encode_attrs(codec.SERVICE_ATTRS, as_dumped(ipvs.service_attrs(entry.service), stats=stats))
    codec.LAYOUTS.clear()
    for data, table in ((first, codec.DEST_DECODER), (second, codec.DEST_DECODER), (service, codec.SERVICE_DECODER),
                        (service, codec.SERVICE_DECODER)):
        assert codec.decode_record(data, 0, len(data), table) == codec.decode_attrs(data, 0, len(data), table)
    for data in (first, second):
        generic = codec.row_of(codec.decode_attrs(data, 0, len(data), codec.DEST_DECODER), ipvs.DEST_ROW)
        assert codec.decode_row(data, 0, len(data), codec.DEST_DECODER, ipvs.DEST_ROW) == generic
    service_fields = ("IPVS_SVC_ATTR_SCHED_NAME", "IPVS_SVC_ATTR_FLAGS", "IPVS_SVC_ATTR_PORT", "IPVS_STATS_ATTR_CONNS")
    service_layout = codec.LAYOUTS[(id(codec.SERVICE_DECODER), len(service))]
    assert service_layout.row(service, 0, service_fields) == codec.row_of(
        codec.decode_attrs(service, 0, len(service), codec.SERVICE_DECODER), service_fields)  # strings and pairs
    layout = codec.LAYOUTS[(id(codec.DEST_DECODER), len(first))]
    assert layout.usable and layout.read(second, 0) is not None
    assert layout.row(first, 0, ipvs.DEST_ROW)[ipvs.DEST_ROW.index("IPVS_DEST_ATTR_TUN_PORT")] == 6080  # network order
    # Same size, other attributes: the layout does not apply, the generic walk reads it.
    other = codec.encode_attrs(codec.DEST_ATTRS, dict(ipvs.realserver_attrs(entry.realservers[0]),
                                                      IPVS_DEST_ATTR_STATS64=stats, IPVS_DEST_ATTR_U_THRESH=7))
    swapped = other.replace(struct.pack("=HH", 8, 5), struct.pack("=HH", 8, 9))  # U_THRESH is now PERSIST_CONNS
    assert len(swapped) == len(first) and layout.read(swapped, 0) is None
    assert codec.decode_record(swapped, 0, len(swapped), codec.DEST_DECODER)["IPVS_DEST_ATTR_PERSIST_CONNS"] == 7
    assert layout.row(swapped, 0, ipvs.DEST_ROW) is None
    assert codec.decode_row(swapped, 0, len(swapped), codec.DEST_DECODER,
                            ipvs.DEST_ROW)[ipvs.DEST_ROW.index("IPVS_DEST_ATTR_PERSIST_CONNS")] == 7


def test_a_batch_is_one_send_and_only_failures_and_the_last_request_are_acked():
    client = codec.IpvsClient.__new__(codec.IpvsClient)
    client.family_id, client.seq, client.requests_sent = 30, 100, 0
    sent = []
    client.sock = type("Sock", (), {"send": lambda self, data: sent.append(data)})()

    def ack(seq, code):
        return codec.NLMSG_HDR.pack(36, codec.NLMSG_ERROR, 0, seq, 0) + struct.pack("=i", -code) + b"\0" * 16

    replies = [ack(102, 17), ack(103, 0)]
    client.receive = lambda action: replies.pop(0)
    codes = client.execute_batch([("del_service", {"IPVS_SVC_ATTR_AF": 2, "IPVS_SVC_ATTR_FWMARK": n}, None)
                                  for n in (1, 2, 3)])
    assert codes == [0, 17, 0] and client.requests_sent == 3 and len(sent) == 1 and replies == []
    flags = [flags for _type, flags, _seq, _start, _end in codec.iter_messages(sent[0])]
    assert [bool(f & codec.NLM_F_ACK) for f in flags] == [False, False, True]


@pytest.mark.parametrize("service", [
    web(),
    {"address": "2001:db8::80", "port": 53, "protocol": "udp"},
    {"fwmark": 77, "family": "ipv6"},
])
def test_a_real_server_dump_request_is_the_generic_message_of_the_dumped_key(service):
    """The packed request names the service by its dumped attributes exactly as message() encodes its key."""
    client = codec.IpvsClient.__new__(codec.IpvsClient)
    client.family_id = 30
    (entry,) = spec(service).services
    dumped = decoded(codec.SERVICE_ATTRS, as_dumped(ipvs.service_attrs(entry.service)), codec.SERVICE_DECODER)
    generic = client.message("get_dest", codec.NLM_F_REQUEST | codec.NLM_F_DUMP, 7,
                             ipvs.service_key_attrs(entry.service.key))
    assert client.dest_dump_request(7, dumped) == generic


# --- property: random wants against random tables ----------------------------------------------

RS_ADDRESSES = ["198.51.100.%d" % i for i in (1, 2, 3)]


@st.composite
def realserver_params(draw):
    forward = draw(st.sampled_from(["tunnel", "route", "masquerade"]))
    params = {"address": draw(st.sampled_from(RS_ADDRESSES)), "forward": forward,
              "weight": draw(st.integers(0, 3)), "upper_threshold": draw(st.sampled_from([0, 50]))}
    if forward == "masquerade":
        params["port"] = draw(st.sampled_from([80, 8080]))
    if forward == "tunnel":
        params["tun_type"] = draw(st.sampled_from(["ipip", "gue", "gre"]))
        if params["tun_type"] == "gue":
            params["tun_port"] = draw(st.sampled_from([6080, 6081]))
        if params["tun_type"] != "ipip":
            params["tun_csum"] = draw(st.sampled_from(["none", "csum"]))
    return params


@st.composite
def service_params(draw):
    if draw(st.booleans()):
        # few keys, so that wants and tables meet
        params = {"address": VIP, "port": draw(st.sampled_from([80, 443])), "protocol": "tcp"}
    else:
        params = {"fwmark": draw(st.sampled_from([1, 2]))}
    params["scheduler"] = draw(st.sampled_from(["rr", "wlc", "sh"]))
    params["persistence_timeout"] = draw(st.sampled_from([0, 300]))
    params["scheduler_flags"] = draw(st.sampled_from([[], ["flag-1"]]))
    params["state"] = draw(st.sampled_from(["present", "present", "present", "absent"]))
    if draw(st.integers(0, 3)):
        servers = draw(st.lists(realserver_params(), max_size=3, unique_by=lambda rs: rs["address"]))
        params["realservers"] = servers
    return params


def unique_services(items):
    seen, result = set(), []
    for item in items:
        key = ipvs.service_key("s", item)
        if key not in seen:
            seen.add(key)
            result.append(item)
    return result


@st.composite
def kernel_tables(draw):
    """A table some earlier run left, with random active connections."""
    present = [dict(item, state="present") for item in unique_services(draw(st.lists(service_params(), max_size=5)))]
    table = table_of(*present)
    for entry in table.values():
        for rs_key, counters in entry.rs_stats.items():
            entry.rs_stats[rs_key] = with_active_count(counters, draw(st.integers(0, 2)))
    return table


def model_apply(table, ops):
    """An independent model of the kernel: {key: (service, {rs key: rs})}, one op at a time."""
    model = dict((key, (entry.service, dict(entry.realservers))) for key, entry in table.items())
    for op in ops:
        key, obj = op.spec
        if op.kind == ipvs.SERVICE:
            assert (op.verb == "create") == (key not in model), "create iff missing: %s" % op
            if op.verb == "delete":
                del model[key]
            else:
                model[key] = (obj, model[key][1] if key in model else {})
        else:
            servers = model[key][1]
            assert (op.verb == "create") == (obj.key not in servers), "create iff missing: %s" % op
            if op.verb == "delete":
                del servers[obj.key]
            else:
                servers[obj.key] = obj
    return model


@settings(max_examples=300, deadline=None)
@given(table=kernel_tables(), wanted=st.lists(service_params(), max_size=5), purge=st.booleans(),
       drain=st.booleans())
def test_plan_reaches_the_declared_state_and_touches_nothing_else(table, wanted, purge, drain):
    want = spec(*unique_services(wanted), purge=purge, drain=drain)
    draining = ipvs.drain_decisions(want, table)
    ops = ipvs.plan_ipvs(want, table, draining)
    model = model_apply(table, ops)
    names = [(op.kind, op.name) for op in ops]
    assert len(names) == len(set(names)), "one op per object: never delete and re-add"

    listed = {}
    for entry in want.services:
        key = entry.service.key
        listed[key] = entry
        if entry.state == "absent":
            assert key not in model
            continue
        service, servers = model[key]
        assert service == entry.service
        before = table[key].realservers if key in table else {}
        if entry.realservers is None:
            assert servers == before, "real servers not declared here are kept"
            continue
        wanted_servers = dict((rs.key, rs) for rs in entry.realservers)
        for rs_key, rs in servers.items():
            if rs_key in wanted_servers:
                assert rs == wanted_servers[rs_key]
            else:  # only a draining one may stay, at weight 0
                assert (key, rs_key) in draining and rs.weight == 0 and drain
        assert set(wanted_servers) <= set(servers)
    for key, entry in table.items():
        if key not in listed:
            if purge:
                assert key not in model
            else:
                assert model[key] == (entry.service, entry.realservers), "unlisted services are not touched"

    after = ipvs.apply_ops(table, ops)
    assert dict((key, (e.service, e.realservers)) for key, e in after.items()) == model
    assert ipvs.plan_ipvs(want, after, draining) == [], "a second run plans nothing"


def test_the_collector_is_paused_for_a_run_and_restored_even_on_error():
    @collector_paused()
    def run(fail):
        assert not gc.isenabled()
        if fail:
            raise VnetError("boom")

    assert gc.isenabled()
    run(False)
    assert gc.isenabled()
    with pytest.raises(VnetError):
        run(True)
    assert gc.isenabled()
    gc.disable()  # a caller that paused it itself keeps it paused
    try:
        run(False)
        assert not gc.isenabled()
    finally:
        gc.enable()
