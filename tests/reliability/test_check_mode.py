"""Check mode changes nothing and predicts the real run, for scenarios covering every module.

Each scenario runs its module four times (check, real, check, real), always with diff, and asserts:
the check run leaves the kernel byte-identical (iproute2 dump); its ``changed``, ``ops`` and
``diff`` equal the real run's; the kernel changes exactly when ``changed``; the diff says so
(before != after) and its ``after`` is what iproute2 reads back; then both reruns change nothing.
Scenarios of one module build on each other, in order.
"""

import json
import os

import pytest

import harness

KERNEL_KINDS = {"tuntap": "tun"}


class Scenario:
    def __init__(self, name, module, args, changes=True, check_diff=None):
        self.name, self.module, self.args, self.changes = name, module, args, changes
        self.check_diff = check_diff


def scenario(name, module, args, changes=True, stock_kernel=False):
    marks = (pytest.mark.stock_kernel,) if stock_kernel else ()
    return pytest.param(Scenario(name, module, args, changes), marks=marks, id="%s-%s" % (module.replace("vnet_", ""), name))


NOBODY = 65534
SCENARIOS = [
    scenario("create", "vnet_netns", {"name": "@NEWNS"}),
    scenario("delete", "vnet_netns", {"name": "@NEWNS", "state": "absent"}),
    scenario("create pair with mtu and address", "vnet_veth",
             {"name": "cv0", "peer": "cv0p", "mtu": 1400, "addresses": ["198.51.100.1/24"], "netns": "@NS"}),
    scenario("mtu in place", "vnet_veth", {"name": "cv0", "peer": "cv0p", "mtu": 9000, "netns": "@NS"}),
    scenario("move peer to another netns", "vnet_veth",
             {"name": "cv0", "peer": "cv0p", "peer_netns": "@NS2", "netns": "@NS"}),
    scenario("down, mac and purge addresses", "vnet_veth",
             {"name": "cv0", "peer": "cv0p", "peer_netns": "@NS2", "up": False, "mac": "02:00:00:00:01:01",
              "addresses": ["2001:db8::1/64"], "purge_addresses": True, "netns": "@NS"}),
    scenario("recreate with another peer", "vnet_veth",
             {"name": "cv0", "peer": "cv0q", "recreate": True, "netns": "@NS"}),
    scenario("delete pair", "vnet_veth", {"name": "cv0", "state": "absent", "netns": "@NS"}),
    scenario("create tap for nobody", "vnet_tuntap",
             {"name": "ct0", "mode": "tap", "owner": "nobody", "vnet_hdr": True, "netns": "@NS"}),
    scenario("group in place", "vnet_tuntap", {"name": "ct0", "mode": "tap", "group": str(NOBODY), "netns": "@NS"}),
    scenario("recreate as tun", "vnet_tuntap", {"name": "ct0", "mode": "tun", "recreate": True, "netns": "@NS"}),
    scenario("delete", "vnet_tuntap", {"name": "ct0", "state": "absent", "netns": "@NS"}),
    scenario("add addresses", "vnet_address",
             {"interface": "base0", "addresses": ["192.0.2.1/24", "2001:db8:1::1/64"], "netns": "@NS"}),
    scenario("purge to one", "vnet_address",
             {"interface": "base0", "addresses": ["192.0.2.2/24"], "purge": True, "netns": "@NS"}),
    scenario("remove", "vnet_address",
             {"interface": "base0", "addresses": ["192.0.2.2/24"], "state": "absent", "netns": "@NS"}),
    scenario("create with redirect", "vnet_ifb", {"name": "cifb0", "redirect_from": ["base0"], "netns": "@NS"}),
    scenario("redirect another source", "vnet_ifb", {"name": "cifb0", "redirect_from": ["base0p"], "netns": "@NS"}),
    scenario("delete with its redirects", "vnet_ifb", {"name": "cifb0", "state": "absent", "netns": "@NS"}),
    scenario("create bridge, enslave, hairpin", "vnet_bridge_hairpin",
             {"bridge": "cbr0", "port": "tap9", "create_bridge": True, "enslave": True, "netns": "@NS"}),
    scenario("flags in place", "vnet_bridge_hairpin",
             {"bridge": "cbr0", "port": "tap9", "learning": False, "isolated": True, "netns": "@NS"}),
    scenario("hairpin off", "vnet_bridge_hairpin", {"bridge": "cbr0", "port": "tap9", "hairpin": False, "netns": "@NS"}),
    scenario("create macvlan", "vnet_macvlan", {"name": "cmv0", "link": "base0", "mode": "bridge", "netns": "@NS"}),
    scenario("mode in place", "vnet_macvlan", {"name": "cmv0", "link": "base0", "mode": "vepa", "netns": "@NS"}),
    scenario("macvtap into another netns", "vnet_macvlan",
             {"name": "cmvt0", "kind": "macvtap", "link": "base0", "mode": "bridge", "move_to_netns": "@NS2",
              "netns": "@NS"}),
    scenario("delete macvlan", "vnet_macvlan", {"name": "cmv0", "state": "absent", "netns": "@NS"}),
    scenario("bulk create", "vnet_links",
             {"netns": "@NS", "links": [{"kind": "veth", "name": "bk-a", "peer": "bk-ap"},
                                        {"kind": "tuntap", "name": "bk-t", "mode": "tun"},
                                        {"kind": "bridge", "name": "bk-br"},
                                        {"kind": "macvlan", "name": "bk-mv", "link": "base0", "mode": "private"}]}),
    scenario("bulk purge to one", "vnet_links",
             {"netns": "@NS", "links": [{"kind": "veth", "name": "bk-a", "peer": "bk-ap", "mtu": 1300}],
              "purge": True, "purge_prefix": "bk-"}),
    scenario("read a namespace", "vnet_info", {"netns": "@NS", "name_pattern": "c*"}, changes=False),
    # The stock kernel's modules, one scenario each: under TCG a module run costs seconds, and their
    # integration targets run the full four-pass sequences in the same VM.
    scenario("create ipvlan", "vnet_ipvlan", {"name": "civ0", "link": "base0", "mode": "l2", "netns": "@NS"},
             stock_kernel=True),
    scenario("tunl0 up with a VIP and a GUE port", "vnet_iptunnel",
             {"addresses": ["192.0.2.80/32"], "fou_port": 6080, "netns": "@NS"}, stock_kernel=True),
    scenario("named ipip tunnel", "vnet_iptunnel",
             {"name": "cip0", "local": "192.0.2.1", "remote": "192.0.2.2", "ttl": 64, "netns": "@NS"},
             stock_kernel=True),
    scenario("ipvs service with tunnel real servers", "vnet_ipvs_tun",
             {"netns": "@NS", "services": [{"address": "192.0.2.80", "port": 80, "scheduler": "rr", "realservers": [
                 {"address": "198.51.100.11"}, {"address": "198.51.100.12", "tun_type": "gue", "tun_port": 6080}]}]},
             stock_kernel=True),
]


@pytest.fixture(scope="module")
def lab(make_netns):
    ns, ns2 = make_netns("chk"), make_netns("chk2")
    harness.batch(ns, ["link add base0 type veth peer name base0p", "link set base0 up", "link set base0p up",
                       "tuntap add tap9 mode tap"])
    return {"@NS": ns, "@NS2": ns2, "@NEWNS": harness.new_netns_name("chk-new")}


def fill(value, names):
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, dict):
        return dict((k, fill(v, names)) for k, v in value.items())
    if isinstance(value, list):
        return [fill(v, names) for v in value]
    return value


@pytest.mark.parametrize("sc", SCENARIOS)
def test_check_mode_predicts_and_changes_nothing(sc, lab, tally):
    if not harness.module_path(sc.module).exists():
        pytest.skip("%s is not in this tree yet" % sc.module)
    ipvs = sc.module == "vnet_ipvs_tun"
    namespaces = (lab["@NS"], lab["@NS2"])
    args = fill(sc.args, lab)
    try:
        watch = [lab["@NEWNS"]]
        before = harness.settled(*namespaces, ipvs=ipvs, watch=watch)
        check = run_ok(sc.module, args, check=True)
        harness.assert_same(before, harness.world(*namespaces, ipvs=ipvs, watch=watch), "check mode: kernel state")
        real = run_ok(sc.module, args)
        after = harness.settled(*namespaces, ipvs=ipvs, watch=watch)
        for key in ("changed", "ops", "diff"):
            assert check.get(key) == real.get(key), "check %s %r != real %r" % (key, check.get(key), real.get(key))
        assert real.changed == sc.changes, real
        assert (after != before) == real.changed, "kernel changed=%s but the module said %s" % (after != before,
                                                                                                real.changed)
        if sc.module != "vnet_info":
            diff = real["diff"]
            assert (diff["before"] != diff["after"]) == real.changed, diff
            DIFF_ORACLES.get(sc.module, link_diff_matches)(diff["after"], args)
        else:
            assert check["links"] == real["links"]
        for rerun in (run_ok(sc.module, args, check=True), run_ok(sc.module, args)):
            assert not rerun.changed and rerun.get("ops", []) == [], rerun
        harness.assert_same(after, harness.world(*namespaces, ipvs=ipvs, watch=watch), "idempotent reruns: kernel state")
    finally:
        tally["check-mode scenarios"] += 1


def run_ok(module, args, check=False):
    result = harness.run_module(module, args, check=check)
    assert not result.failed, result
    return result


# --- diff accuracy: the diff's 'after' against iproute2 after the real run ----------------

def link_diff_matches(after, args):
    """Each 'kind name (netns X)' entry of a link module's diff, against ``ip -d -j``."""
    for label, state in after.items():
        kind, name, netns = parse_label(label)
        link = harness.links(netns).get(name) if netns else None
        if not state:
            assert link is None or link["linkinfo"]["info_kind"] != KERNEL_KINDS.get(kind, kind), label
            continue
        assert link is not None, "%s: diff says present, iproute2 has no such device" % label
        assert link["linkinfo"]["info_kind"] == KERNEL_KINDS.get(kind, kind), label
        data = link["linkinfo"].get("info_data", {})
        checks = {
            "mtu": link["mtu"],
            "up": "UP" in link["flags"],
            "mac": link.get("address"),
            "addresses": harness.addresses(netns, name),
            "mode": data.get("type") if kind == "tuntap" else data.get("mode"),
            "owner": user_id(data.get("user")),
            "group": group_id(data.get("group")),
            "vnet_hdr": data.get("vnet_hdr"),
            "peer": veth_peer(netns, link, state.get("peer_netns")),
            "ttl": data.get("ttl"),
            "local": data.get("local"),
            "remote": data.get("remote"),
        }
        for key, value in state.items():
            if key in checks and not (key in ("owner", "group") and value is None and checks[key] is None):
                assert checks[key] == value, "%s: diff says %s=%r, iproute2 reads %r" % (label, key, value, checks[key])


def parse_label(label):
    """'veth cv0 (netns X)' -> ('veth', 'cv0', 'X')."""
    head, netns = (label.split(" (netns ", 1) + [""])[:2]
    kind, name = head.split(" ", 1)
    return kind, name, netns.rstrip(")") or None


def veth_peer(netns, link, peer_netns):
    if link["linkinfo"]["info_kind"] != "veth":
        return None
    if "link_netnsid" not in link:
        return link.get("link")
    others = harness.links(peer_netns) if peer_netns else {}
    return next((name for name, other in others.items() if other["ifindex"] == link.get("link_index")), None)


def user_id(name):
    return None if name is None else int(harness.sh("id", "-u", name).strip())


def group_id(name):
    return None if name is None else int(harness.sh("getent", "group", name).split(":")[2])


def address_diff_matches(after, args):
    assert after["addresses"] == harness.addresses(args["netns"], args["interface"])


def netns_diff_matches(after, args):
    assert (args["name"] in after["namespaces"]) == os.path.exists(os.path.join(harness.NETNS_DIR, args["name"]))


def port_diff_matches(after, args):
    ports = json.loads(harness.sh("bridge", "-n", args["netns"], "-d", "-j", "link", "show"))
    port = next(p for p in ports if p["ifname"] == args["port"])
    assert after["bridge"] == port["master"]
    for flag in ("hairpin", "isolated", "learning", "flood", "neigh_suppress"):
        assert after[flag] == port[flag], flag


def ifb_diff_matches(after, args):
    netns, name = args["netns"], args["name"]
    if not after:
        assert name not in harness.links(netns)
        return
    declared = dict((k, v) for k, v in after.items() if k != "redirect_from")
    link_diff_matches({"ifb %s (netns %s)" % (name, netns): declared}, args)
    assert sorted(after["redirect_from"]) == redirecting_to(netns, name)


def redirecting_to(netns, target):
    """Devices whose ingress filters redirect to ``target`` (tc -j filter)."""
    sources = []
    for qdisc in json.loads(harness.sh("tc", "-n", netns, "-j", "qdisc", "show")):
        if qdisc["kind"] not in ("ingress", "clsact"):
            continue
        filters = json.loads(harness.sh("tc", "-n", netns, "-j", "filter", "show", "dev", qdisc["dev"], "ingress"))
        if any(action.get("to_dev") == target for f in filters for action in f.get("options", {}).get("actions", [])):
            sources.append(qdisc["dev"])
    return sorted(sources)


def ipvs_diff_matches(after, args):
    """The services (protocol, VIP:port, scheduler) and real servers (address:port, weight) of the
    diff's 'after' against ``ipvsadm -S -n`` (IPv4 services, as the scenarios declare)."""
    services, dests = {}, {}
    for line in harness.sh("ip", "netns", "exec", args["netns"], "ipvsadm", "-S", "-n").splitlines():
        tokens = line.split()
        key = (tokens[1], tokens[2])
        if tokens[0] == "-A":
            services[key] = tokens[tokens.index("-s") + 1]
            dests.setdefault(key, set())
        else:
            dests.setdefault(key, set()).add((tokens[tokens.index("-r") + 1], int(tokens[tokens.index("-w") + 1])))
    flags = {"tcp": "-t", "udp": "-u", "sctp": "--sctp-service"}
    expected = dict(((flags[s["protocol"]], "%s:%d" % (s["address"], s["port"])), s) for s in after.values())
    assert services == dict((key, s["scheduler"]) for key, s in expected.items())
    assert dests == dict((key, set(("%s:%d" % (rs["address"], rs["port"]), rs["weight"]) for rs in s["realservers"]))
                         for key, s in expected.items())


def iptunnel_diff_matches(after, args):
    """The tunnel entry as a link's, and the GUE receive ports against ``ip fou show``."""
    link_diff_matches(dict((k, v) for k, v in after.items() if k != "gue_ports"), args)
    if "gue_ports" in after:
        lines = harness.sh("ip", "-n", args["netns"], "fou", "show").splitlines()
        assert sorted(int(line.split()[1]) for line in lines if line.split()[2:3] == ["gue"]) == after["gue_ports"]


DIFF_ORACLES = {"vnet_address": address_diff_matches, "vnet_netns": netns_diff_matches,
                "vnet_bridge_hairpin": port_diff_matches, "vnet_ifb": ifb_diff_matches,
                "vnet_ipvs_tun": ipvs_diff_matches, "vnet_iptunnel": iptunnel_diff_matches}
