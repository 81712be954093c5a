"""Races: two runs at once on overlapping devices.

Each run must end converged or fail with a clear message (no traceback, a message that says what
the kernel refused); the kernel must end with no leaked, duplicated or half-made device (iproute2),
and a rerun must converge. EEXIST/ENODEV between one run's dump and its requests are the other
run's doing: the engine re-reads and re-plans instead of failing.
"""

import json
import os
import textwrap

import pytest

import harness

PAIRS = 50
ITERATIONS = 20
NAMES = ["r%02d" % i for i in range(PAIRS)]


def veths(netns, state="present"):
    return {"netns": netns, "links": [{"kind": "veth", "name": name, "peer": name + "p", "state": state}
                                      for name in NAMES]}


def clean(result):
    """A run that succeeded, or failed with a message fit for a user."""
    assert "Traceback" not in result.stderr and "MODULE FAILURE" not in result.msg, result
    if result.failed:
        refused = "failed:" in result.msg and "[E" in result.msg  # the kernel's errno, explained
        undone = result.msg.startswith("verify after apply failed: the kernel state still differs: ")
        assert refused or undone, result
    return not result.failed


def whole_pairs(netns):
    """Names of complete veth pairs rNN/rNNp; fails on anything else in the namespace."""
    links = harness.links(netns)
    present = set()
    for name in NAMES:
        end, peer = links.pop(name, None), links.pop(name + "p", None)
        assert (end is None) == (peer is None), "half a pair: %s" % name
        if end is not None:
            assert end.get("link") == name + "p" and peer.get("link") == name, "%s is not paired right" % name
            present.add(name)
    assert set(links) == {"lo"}, "leaked devices: %s" % sorted(set(links) - {"lo"})
    return present


@pytest.fixture(scope="module")
def ns(make_netns):
    return make_netns("race")


@pytest.mark.parametrize("iteration", range(ITERATIONS))
def test_two_bulk_runs_at_once(ns, iteration, tally):
    """Even iterations: both create the same 50 pairs. Odd ones: one creates them, one deletes them."""
    harness.batch(ns, ["link del %s" % name for name in whole_pairs(ns)] or ["link show lo"])
    create_create = iteration % 2 == 0
    if not create_create:
        harness.batch(ns, ["link add %s type veth peer name %sp" % (n, n) for n in NAMES[:PAIRS // 2]])
    other = veths(ns) if create_create else veths(ns, "absent")
    runs = [harness.Running("vnet_links", veths(ns)), harness.Running("vnet_links", other)]
    results = [run.wait() for run in runs]
    tally["races run"] += 1
    succeeded = [clean(result) for result in results]
    tally["race runs failed cleanly"] += succeeded.count(False)
    present = whole_pairs(ns)
    if create_create:
        assert any(succeeded), results
        if all(succeeded):
            assert present == set(NAMES)
    converge = harness.run_module("vnet_links", veths(ns))
    assert clean(converge), converge
    assert whole_pairs(ns) == set(NAMES)  # the rerun verified itself: converged


def test_same_namespace_created_twice_at_once(tally):
    name = harness.new_netns_name("race-ns")
    try:
        for _round in range(3):
            runs = [harness.Running("vnet_netns", {"name": name}) for _twice in range(2)]
            results = [run.wait() for run in runs]
            tally["races run"] += 1
            assert all(clean(result) for result in results), results
            assert os.path.ismount(os.path.join(harness.NETNS_DIR, name))
            harness.sh("ip", "-n", name, "link", "show", "lo")  # a usable namespace, not a stale file
            runs = [harness.Running("vnet_netns", {"name": name, "state": "absent"}) for _twice in range(2)]
            results = [run.wait() for run in runs]
            tally["races run"] += 1
            assert all(clean(result) for result in results), results
            assert name not in harness.our_namespaces()
    finally:
        harness.del_netns(name)


def test_two_ports_joining_a_new_bridge_at_once(make_netns, tally):
    ns = make_netns("race-br")
    for attempt in range(3):
        bridge = "rbr%d" % attempt
        harness.batch(ns, ["tuntap add rt%d%s mode tap" % (attempt, side) for side in "ab"])
        runs = [harness.Running("vnet_bridge_hairpin", dict(port_args(bridge, attempt, side), netns=ns))
                for side in "ab"]
        results = [run.wait() for run in runs]
        tally["races run"] += 1
        for side, result in zip("ab", results):
            if not clean(result):  # the loser reruns and must converge
                assert clean(harness.run_module("vnet_bridge_hairpin", dict(port_args(bridge, attempt, side), netns=ns)))
        links = harness.links(ns)
        bridges = sorted(name for name, link in links.items() if link.get("linkinfo", {}).get("info_kind") == "bridge")
        assert bridges == ["rbr%d" % i for i in range(attempt + 1)], "leaked or missing bridges: %s" % bridges
        assert all(links["rt%d%s" % (attempt, side)].get("master") == bridge for side in "ab")
        ports = harness.ip_json(ns, "-d", "link", "show", "master", bridge)
        assert all(p["linkinfo"]["info_slave_data"]["hairpin"] for p in ports), ports


def port_args(bridge, attempt, side):
    return {"bridge": bridge, "port": "rt%d%s" % (attempt, side), "create_bridge": True, "enslave": True}


PLAYBOOK = textwrap.dedent("""\
    - hosts: localhost
      connection: local
      gather_facts: false
      vars: {ansible_python_interpreter: "%(python)s"}
      tasks:
        - name: The same 50 veth pairs as the other playbook
          vnet.linux.vnet_links: %(links)s
        - name: One more device each, next to them
          vnet.linux.vnet_tuntap: {name: %(tap)s, mode: tap, netns: %(netns)s}
    """)


def test_two_playbooks_at_once(ns, tmp_path, tally):
    harness.batch(ns, ["link del %s" % name for name in whole_pairs(ns)] or ["link show lo"])
    runs = []
    for tap in ("rtap1", "rtap2"):
        playbook = tmp_path / ("%s.yml" % tap)
        playbook.write_text(PLAYBOOK % {"python": harness.PYTHON, "netns": ns, "tap": tap, "links": json.dumps(veths(ns))})
        runs.append(harness.start_playbook(playbook))
    outputs = [harness.wait_playbook(run) for run in runs]
    tally["races run"] += 1
    for rc, output in outputs:
        assert "Traceback" not in output, output
        assert rc == 0 or ("failed:" in output and "[E" in output), output
    assert whole_pairs_and(ns, {"rtap1", "rtap2"}) == set(NAMES)


def whole_pairs_and(netns, extra):
    """whole_pairs(), allowing (and requiring) the ``extra`` devices besides the pairs."""
    links = harness.links(netns)
    assert extra <= set(links), "missing: %s" % (extra - set(links))
    harness.batch(netns, ["link del %s" % name for name in sorted(extra)])
    return whole_pairs(netns)
