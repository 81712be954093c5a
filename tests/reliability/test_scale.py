"""Large and odd states: 1000 devices present, names the kernel accepts that few would type, devices
spread over 30 namespaces. The modules must still work, stay idempotent, and stay fast (the
bounds are generous: these machines are shared; the measured times are printed at the end).
"""

import re

import pytest

import harness

PAIRS = 500  # 1000 devices
SLOW = 10.0  # seconds: far above what a run takes here, low enough to catch a per-device round trip
ODD_NAMES = ["v\u00e9-\u00fc1", "\u00fc", "a.b", "-lead", "x@y", "#h", "\u0283", "\U0001F600x",
             "\u00e9" * 7 + "1"]  # the last one is 15 bytes


@pytest.fixture(scope="module")
def crowd(make_netns):
    ns = make_netns("scale")
    harness.batch(ns, ["link add s%03d type veth peer name s%03dp" % (i, i) for i in range(PAIRS)])
    return ns


def timed(timings, label, module, args, check=False):
    result = harness.run_module(module, args, check=check)
    assert not result.failed, result
    timings[label] = result.elapsed
    assert result.elapsed < SLOW, "%s took %.1f s" % (label, result.elapsed)
    return result


def test_one_more_pair_among_1000_devices(crowd, timings):
    args = {"name": "extra0", "peer": "extra0p", "netns": crowd}
    assert timed(timings, "1000 devices: vnet_veth create", "vnet_veth", args).changed
    assert not timed(timings, "1000 devices: vnet_veth rerun", "vnet_veth", args).changed
    assert harness.links(crowd)["extra0"]["link"] == "extra0p"


def test_info_reads_1000_devices(crowd, timings):
    result = timed(timings, "1000 devices: vnet_info", "vnet_info", {"netns": crowd, "kinds": ["veth"]})
    names = set(link["name"] for link in result["links"])
    assert set("s%03d" % i for i in range(PAIRS)) | set("s%03dp" % i for i in range(PAIRS)) <= names


def test_declaring_all_1000_is_idempotent(crowd, timings):
    links = [{"kind": "veth", "name": "s%03d" % i, "peer": "s%03dp" % i, "up": False} for i in range(PAIRS)]
    result = timed(timings, "1000 devices: vnet_links 500 pairs, check", "vnet_links",
                   {"netns": crowd, "links": links}, check=True)
    assert not result.changed and result["ops"] == [], result["ops"][:5]


def test_purge_a_tenth_among_1000(crowd, timings):
    result = timed(timings, "1000 devices: vnet_links purge 100 pairs", "vnet_links",
                   {"netns": crowd, "links": [], "purge": True, "purge_prefix": "s4"})
    assert sorted(result["purged"]) == ["s%03d" % i for i in range(400, 500)]
    names = set(harness.links(crowd))
    assert not [name for name in names if name.startswith("s4")]
    assert len([name for name in names if name.startswith("s")]) == 2 * (PAIRS - 100)


def test_bulk_delete_touches_nothing_it_was_not_asked_to(make_netns, timings):
    """100 pairs and a tap, a tun, an ifb and a bridge (with one of the pairs as its port) go in one
    group delete: devices beside them, in the default group, in a group of their own or in another
    namespace, stay exactly as they were (their groups included)."""
    ns, other = make_netns("group"), make_netns("group-other")
    harness.batch(ns, ["link add g%02d type veth peer name g%02dp" % (i, i) for i in range(100)]
                  + ["tuntap add gx-tap mode tap", "tuntap add gx-tun mode tun", "link add gx-ifb type ifb",
                     "link add gx-br type bridge", "link set g00 master gx-br",
                     "link add gkeep0 type veth peer name gkeep0p", "link add gkeep7 group 7 type bridge"])
    harness.batch(other, ["link add g00 type veth peer name g00p"])
    kept_before, other_before = kept_links(ns), harness.world(other)
    extra = [("tuntap", "gx-tap"), ("tuntap", "gx-tun"), ("ifb", "gx-ifb"), ("bridge", "gx-br")]
    result = timed(timings, "100 pairs and 4 more: vnet_links delete", "vnet_links", {"netns": ns, "links": [
        {"kind": kind, "name": name, "state": "absent"}
        for kind, name in [("veth", "g%02d" % i) for i in range(100)] + extra]})
    assert result.changed and len(result["ops"]) == 104
    assert sorted(harness.links(ns)) == ["gkeep0", "gkeep0p", "gkeep7", "lo"]
    assert kept_links(ns) == kept_before and kept_before["gkeep7"]["group"] == "7"
    harness.assert_same(other_before, harness.world(other))


def kept_links(netns):
    return dict((name, harness.strip_volatile(link)) for name, link in harness.links(netns).items()
                if not re.fullmatch(r"g\d\dp?|gx-.*", name))


def test_odd_names_the_kernel_accepts(make_netns, tally):
    """Every odd name as an ifb (netlink), the ASCII ones as taps too (pyroute2 creates tun/tap by
    ioctl with ASCII names only: vnet_tuntap refuses the others up front, see test_bad_input)."""
    ns = make_netns("odd")
    for name in ODD_NAMES:
        runs = [("vnet_ifb", {"name": name})]
        if name.isascii():
            runs.append(("vnet_tuntap", {"name": name + "t", "mode": "tap"}))
        for module, args in runs:
            args = dict(args, netns=ns)
            created = harness.run_module(module, args)
            assert not created.failed and created.changed, created
            assert not harness.run_module(module, args).changed
            tally["odd names round-tripped"] += 1
    pair = {"name": "p" + ODD_NAMES[0], "peer": ODD_NAMES[0] + "p", "addresses": ["192.0.2.5/24"], "netns": ns}
    assert harness.run_module("vnet_veth", pair).changed
    assert not harness.run_module("vnet_veth", pair).changed
    assert harness.addresses(ns, pair["name"]) == ["192.0.2.5/24"]
    kernel = harness.links(ns)
    assert set(ODD_NAMES) <= set(kernel) and kernel[pair["name"]]["link"] == pair["peer"]
    info = harness.run_module("vnet_info", {"netns": ns})
    assert set(kernel) == set(link["name"] for link in info["links"])
    purge = harness.run_module("vnet_links", {"netns": ns, "links": [], "purge": True, "purge_prefix": "v\u00e9-"})
    assert purge["purged"] == [ODD_NAMES[0]] and ODD_NAMES[0] not in harness.links(ns)
    assert len(harness.links(ns)) == len(kernel) - 1


def test_devices_in_30_namespaces(make_netns, timings):
    hub = make_netns("hub")
    spokes = [make_netns("spoke%02d" % i) for i in range(30)]
    links = [{"kind": "veth", "name": "to%02d" % i, "peer": "eth0", "peer_netns": spoke}
             for i, spoke in enumerate(spokes)]
    assert timed(timings, "30 namespaces: vnet_links 30 cross-netns pairs", "vnet_links",
                 {"netns": hub, "links": links}).changed
    result = timed(timings, "30 namespaces: vnet_info all_netns", "vnet_info", {"all_netns": True})
    seen = result["namespaces"]
    for i, spoke in enumerate(spokes):
        assert [link["name"] for link in seen[spoke] if link["name"] != "lo"] == ["eth0"], seen[spoke]
        (eth0,) = [link for link in seen[spoke] if link["name"] == "eth0"]
        assert eth0["peer"] == "to%02d" % i and eth0["peer_netns"] == hub
        assert harness.links(spoke)["eth0"]["link_netnsid"] is not None
    hub_links = dict((link["name"], link) for link in seen[hub])
    assert all(hub_links["to%02d" % i]["peer_netns"] == spoke for i, spoke in enumerate(spokes))
