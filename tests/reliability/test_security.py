"""Security properties, each proved on the collection as shipped and on the real kernel.

- No plugin (outside the netns connection plugin, whose job is to run commands) can start a process.
- A namespace name is validated before any path is built from it: traversal names create nothing
  anywhere and never reach an existing namespace.
- vnet_links purge never deletes a device outside its scope, directly or by taking it along.
- A tun/tap device made without owner/group cannot be attached by an unprivileged user (the kernel
  would allow it: vnet_tuntap makes root its owner).
"""

import json
import os
import re
import textwrap

import pytest

import harness

SPAWNERS = re.compile(r"\b(subprocess|os\.system|run_command|Popen|os\.popen|os\.spawn\w*|os\.exec\w*|pty\.spawn)\b")
PLUGINS = harness.COLLECTION / "plugins"


def spawning_lines(text):
    return [line.strip() for line in text.splitlines() if SPAWNERS.search(line)]


def test_no_plugin_starts_a_process():
    files = [path for path in PLUGINS.rglob("*.py") if "connection" not in path.relative_to(PLUGINS).parts]
    assert len(files) >= 20, "found only %d plugin files under %s" % (len(files), PLUGINS)
    found = dict((str(path.relative_to(harness.COLLECTION)), spawning_lines(path.read_text()))
                 for path in files)
    assert dict((path, lines) for path, lines in found.items() if lines) == {}


def test_the_scanner_sees_each_way_to_start_a_process():
    for line in ("import subprocess", "os.system('x')", "module.run_command(['ip'])", "Popen(argv)",
                 "os.popen('x')", "os.spawnvp(0, 'x', [])", "os.execv('/bin/x', [])", "pty.spawn('x')"):
        assert spawning_lines(line), line


# --- namespace names ------------------------------------------------------------------------

TRAVERSAL = ["../x", "a/b", "../../tmp/vnet-rel-esc", "..", ".", "x/../../y", "./x", "/tmp/vnet-rel-abs",
             "x\n", "../netns"]


def paths_a_name_could_reach(name):
    """Where a careless os.path.join('/run/netns', name) (or a mkdir of it) would write."""
    target = os.path.normpath(os.path.join(harness.NETNS_DIR, name.strip()))
    return {target, os.path.dirname(target) if "/" in name.strip("/") else target}


@pytest.fixture(scope="module")
def victim(make_netns):
    """An existing namespace a traversal name could resolve to; it must stay untouched."""
    return make_netns("sec")


def test_vnet_netns_refuses_traversal_names_and_creates_nothing(tally):
    existing = dict((path, os.path.exists(path)) for name in TRAVERSAL for path in paths_a_name_could_reach(name))
    for index, name in enumerate(TRAVERSAL):
        runs = [({"name": name}, True), ({"name": name}, False)]
        if index < 3:
            runs.append(({"name": name, "state": "absent"}, False))
        for args, check in runs:
            result = harness.run_module("vnet_netns", args, check=check)
            tally["netns names refused"] += 1
            assert result.failed and result.msg.startswith("name: network namespace name %r is not allowed" % name), \
                result
    assert dict((path, os.path.exists(path)) for path in existing) == existing


def netns_params(victim):
    """Every module parameter naming a namespace, given '../netns/<victim>' (which a path built
    before validation would resolve to the victim)."""
    sneaky = "../netns/" + victim
    return [
        ("vnet_veth", {"name": "sv0", "peer": "sv0p", "netns": sneaky}, "netns"),
        ("vnet_veth", {"name": "sv0", "peer": "sv0p", "peer_netns": sneaky, "netns": victim}, "peer_netns"),
        ("vnet_tuntap", {"name": "st0", "mode": "tap", "netns": sneaky}, "netns"),
        ("vnet_ifb", {"name": "si0", "netns": sneaky}, "netns"),
        ("vnet_address", {"interface": "lo", "addresses": ["192.0.2.7/32"], "netns": sneaky}, "netns"),
        ("vnet_bridge_hairpin", {"bridge": "sb0", "port": "lo", "create_bridge": True, "netns": sneaky}, "netns"),
        ("vnet_links", {"links": [{"kind": "ifb", "name": "sl0"}], "netns": sneaky}, "netns"),
        ("vnet_links", {"links": [{"kind": "ifb", "name": "sl0", "netns": sneaky}], "netns": victim}, "netns"),
        ("vnet_info", {"netns": sneaky}, "netns"),
        ("vnet_macvlan", {"name": "sm0", "link": "lo", "move_to_netns": sneaky, "netns": victim}, "move_to_netns"),
        ("vnet_ipvlan", {"name": "sp0", "link": "lo", "move_to_netns": sneaky, "netns": victim}, "move_to_netns"),
        ("vnet_iptunnel", {"netns": sneaky}, "netns"),
        ("vnet_ipvs_tun", {"services": [], "purge_services": True, "netns": sneaky}, "netns"),
    ]


def test_every_netns_parameter_is_validated_before_use(victim, tally):
    before = harness.settled(victim)
    for module, args, param in netns_params(victim):
        if not harness.module_path(module).exists():
            continue
        result = harness.run_module(module, args)
        tally["netns names refused"] += 1
        assert result.failed and "%s: network namespace name '../netns/%s' is not allowed" % (param, victim) \
            in result.msg, (module, result)
    harness.assert_same(before, harness.world(victim))


# --- purge scope ----------------------------------------------------------------------------

def test_purge_keeps_everything_outside_its_scope(make_netns, tally):
    ns, elsewhere = make_netns("sec-purge"), make_netns("sec-purge2")
    harness.batch(ns, [
        "link add p-a0 type veth peer name p-a1",          # in scope: purged
        "tuntap add p-t mode tun",                         # in scope: purged
        "link add q-b0 type veth peer name q-b1",          # other prefix
        "link add p-mv link q-b0 type macvlan",            # in scope, on an out-of-scope parent: purged
        "link add p-x type veth peer name q-x",            # its peer is out of scope
        "link add p-y type veth peer name p-y netns %s" % elsewhere,  # its peer is in another namespace
        "link add p-vx type vxlan id 7 dstport 4789",      # a kind the collection does not manage
        "tuntap add p-keep mode tap",                      # listed
        "link add p-par type veth peer name p-parp",       # carries an out-of-scope macvlan
        "link add q-mv link p-par type macvlan",
    ])
    survivors = ["q-b0", "q-b1", "p-x", "q-x", "p-y", "p-vx", "p-keep", "p-par", "p-parp", "q-mv", "lo"]
    before = survivor_dump(ns, survivors)
    args = {"netns": ns, "links": [{"kind": "tuntap", "name": "p-keep", "mode": "tap", "up": False}],
            "purge": True, "purge_prefix": "p-"}
    check = harness.run_module("vnet_links", args, check=True)
    real = harness.run_module("vnet_links", args)
    tally["purge scopes checked"] += 1
    assert not real.failed and sorted(real["purged"]) == ["p-a0", "p-mv", "p-t"], real
    assert check["purged"] == real["purged"] and check["ops"] == real["ops"]
    assert sorted(harness.links(ns)) == sorted(survivors)
    assert survivor_dump(ns, survivors) == before
    assert "p-y" in harness.links(elsewhere)


def survivor_dump(ns, names):
    links = json.loads(harness.snapshot(ns))["links"]
    return dict((link["ifname"], link) for link in links if link["ifname"] in names)


# --- tun/tap access -----------------------------------------------------------------------------

ATTACH = textwrap.dedent("""\
    import fcntl, os, struct, sys
    TUNSETIFF, IFF_TAP, IFF_NO_PI = 0x400454CA, 0x0002, 0x1000
    fd = os.open("/dev/net/tun", os.O_RDWR)  # opened as root: the device's own check is what is tested
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)  # nobody, with no capabilities left
    try:
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", sys.argv[1].encode(), IFF_TAP | IFF_NO_PI))
        print("attached")
    except OSError as exc:
        print("errno", exc.errno)
    """)


def attach_as_nobody(ns, name):
    return harness.sh("ip", "netns", "exec", ns, harness.PYTHON, "-c", ATTACH, name).strip()


def test_tap_without_owner_is_not_world_accessible(make_netns, tally):
    """The kernel lets anyone who can open /dev/net/tun attach to a device with neither owner nor
    group (here proved on one made with iproute2); vnet_tuntap's devices are owned by root then."""
    ns = make_netns("sec-tun")
    harness.sh("ip", "-n", ns, "tuntap", "add", "sec-bare", "mode", "tap")
    for name, owner in (("sec-tap0", None), ("sec-tap1", "nobody")):
        args = {"name": name, "mode": "tap", "netns": ns}
        if owner:
            args["owner"] = owner
        assert not harness.run_module("vnet_tuntap", args).failed
    data = dict((name, harness.links(ns)[name]["linkinfo"]["info_data"]) for name in ("sec-bare", "sec-tap0", "sec-tap1"))
    tally["tun/tap access checks"] += 3
    assert "user" not in data["sec-bare"] and data["sec-tap0"]["user"] == "root" and "group" not in data["sec-tap0"]
    assert data["sec-tap1"]["user"] == "nobody", data
    assert attach_as_nobody(ns, "sec-bare") == "attached"   # what the kernel allows without an owner
    assert attach_as_nobody(ns, "sec-tap0") == "errno 1"    # EPERM: not world-accessible
    assert attach_as_nobody(ns, "sec-tap1") == "attached"   # the same attempt works where it is asked for
