"""Faults on the real kernel: things disappear between plan and apply, the kernel refuses (EBUSY,
EOPNOTSUPP, EPERM without CAP_NET_ADMIN), a kernel module is missing.

Each must give a clear error and leave no half-made object, or report exactly what it did (the
engine's PartialApply lists the ops that took effect): checked against iproute2. Faults between
plan and apply are injected by calling the engine in this process with ``apply_plan`` wrapped so
that it first changes the kernel (iproute2), as another writer would.
"""

import os
import subprocess

import pytest

import harness
from ansible_collections.vnet.linux.plugins.module_utils import _bulk, _engine, _engine_side, _ipvs
from ansible_collections.vnet.linux.plugins.module_utils._brport import BridgePortSpec
from ansible_collections.vnet.linux.plugins.module_utils._model import VnetError

NO_NET_ADMIN = ("setpriv", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-net_admin", "--")
NO_NET_OR_SYS_ADMIN = ("setpriv", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-net_admin,-sys_admin",
                       "--")


@pytest.fixture
def ns(make_netns):
    return make_netns("fault")


@pytest.fixture
def before_apply(monkeypatch):
    """before_apply(action): the engine runs ``action`` right before it applies its plan."""
    def install(action):
        original = _engine.apply_plan

        def apply_plan(view, plan, ops):
            action()
            return original(view, plan, ops)
        for engine in (_engine, _engine_side):  # links; ifb and bridge ports
            monkeypatch.setattr(engine, "apply_plan", apply_plan)
    return install


def links(netns, items):
    return _engine.reconcile_links(_bulk.item_specs(items, netns), check_mode=False)


def names(netns):
    return sorted(harness.links(netns))


def kernel_lacks(netns, *ip_link_add):
    """Whether this kernel refuses ``ip link add ...`` (probed in ``netns``, then undone)."""
    probe = subprocess.run(("ip", "-n", netns, "link", "add") + ip_link_add, capture_output=True, check=False)
    if probe.returncode == 0:
        harness.sh("ip", "-n", netns, "link", "del", ip_link_add[0])
    return probe.returncode != 0


# --- things disappear between plan and apply -----------------------------------------------

def test_parent_deleted_before_apply(ns, before_apply, tally):
    harness.batch(ns, ["link add fp0 type veth peer name fp0p"])
    before_apply(lambda: harness.sh("ip", "-n", ns, "link", "del", "fp0"))
    tally["faults injected"] += 1
    with pytest.raises(VnetError, match=r"^create macvlan fm0 .*failed: no such device .*\[ENODEV\]\. Applied before "
                                        r"the failure: unknown: the kernel state changed and cannot be re-planned "
                                        r"\(link: parent device 'fp0' does not exist in netns"):
        links(ns, [{"kind": "macvlan", "name": "fm0", "link": "fp0", "mode": "bridge"}])
    assert names(ns) == ["lo"]


def test_peer_namespace_deleted_before_apply(ns, make_netns, before_apply, tally):
    other = make_netns("fault-peer")
    before_apply(lambda: harness.del_netns(other))
    tally["faults injected"] += 1
    with pytest.raises(VnetError, match=r"^netns: network namespace '%s' was deleted while the task ran" % other) as exc:
        links(ns, [{"kind": "veth", "name": "fv0", "peer": "fv0p", "peer_netns": other}])
    assert exc.value.applied == [] and names(ns) == ["lo"]


def test_own_namespace_deleted_before_apply(ns, before_apply, tally):
    """Its sockets keep the deleted namespace alive until the module ends: what it creates there
    is reported, and vanishes with it (nothing lands anywhere else)."""
    before_apply(lambda: harness.del_netns(ns))
    tally["faults injected"] += 1
    with pytest.raises(VnetError, match=r"^netns: network namespace '%s' was deleted while the task ran" % ns) as exc:
        links(ns, [{"kind": "veth", "name": "fv1", "peer": "fv1p"}])
    assert [op.split(" in netns")[0] for op in exc.value.applied] == ["create veth fv1", "set veth fv1p"]
    assert ns not in harness.our_namespaces()
    for name in ("fv1", "fv1p"):  # not in the namespace the module itself ran in
        assert subprocess.run(["ip", "link", "show", name], capture_output=True, check=False).returncode != 0


@pytest.mark.stock_kernel
def test_ipvs_namespace_deleted_before_apply(ns, monkeypatch, tally):
    """As for links: the socket keeps the deleted namespace alive until the module ends, so its
    writes succeed and a re-read agrees; the task must still fail, saying what vanished with it."""
    original = _ipvs.apply_ipvs

    def apply_after_delete(view, plan, ops):
        harness.del_netns(ns)
        return original(view, plan, ops)
    monkeypatch.setattr(_ipvs, "apply_ipvs", apply_after_delete)
    tally["faults injected"] += 1
    spec = _ipvs.ipvs_spec({"netns": ns, "services": [
        {"address": "192.0.2.80", "port": 80, "scheduler": "rr", "realservers": [{"address": "198.51.100.11"}]}]})
    with pytest.raises(VnetError, match=r"^netns: network namespace '%s' was deleted while the task ran" % ns) as exc:
        _ipvs.reconcile_ipvs(spec, check_mode=False, diff=False)
    assert [op.split(" ")[0] for op in exc.value.applied] == ["create", "create"], exc.value.applied
    assert ns not in harness.our_namespaces()


def test_device_deleted_before_its_change_is_recreated(ns, before_apply, tally):
    """ENODEV on a 'set': another writer deleted the pair; the engine re-reads, re-plans and
    creates it, and says so."""
    harness.batch(ns, ["link add fx0 type veth peer name fx0p"])
    before_apply(lambda: harness.sh("ip", "-n", ns, "link", "del", "fx0"))
    tally["faults injected"] += 1
    changed, ops, _diff, _devices = links(ns, [{"kind": "veth", "name": "fx0", "peer": "fx0p", "mtu": 1400}])
    assert changed and any(op.startswith("create veth fx0 ") for op in ops), ops
    now = harness.links(ns)
    assert now["fx0"]["mtu"] == now["fx0p"]["mtu"] == 1400 and now["fx0"]["link"] == "fx0p"


def test_device_deleted_before_a_bulk_delete(ns, before_apply, tally):
    """Another writer deletes one of the pairs a bulk delete sends as one group delete: its move
    into the group meets ENODEV, the group delete takes the others, and the re-read finds every
    planned delete done."""
    harness.batch(ns, ["link add fg%d type veth peer name fg%dp" % (i, i) for i in range(3)])
    before_apply(lambda: harness.sh("ip", "-n", ns, "link", "del", "fg1"))
    tally["faults injected"] += 1
    changed, ops, _diff, _devices = links(ns, [{"kind": "veth", "name": "fg%d" % i, "state": "absent"}
                                               for i in range(3)])
    assert changed and [op.split(" in netns")[0] for op in ops] == ["delete veth fg%d" % i for i in range(3)], ops
    assert names(ns) == ["lo"]


def test_bridge_deleted_before_enslave(ns, before_apply, tally):
    harness.batch(ns, ["link add fbr0 type bridge", "tuntap add ftap0 mode tap"])
    before_apply(lambda: harness.sh("ip", "-n", ns, "link", "del", "fbr0"))
    tally["faults injected"] += 1
    spec = BridgePortSpec(bridge="fbr0", port="ftap0", netns=ns, flags={"hairpin": True}, enslave=True)
    with pytest.raises(VnetError, match=r"^enslave brport ftap0 .*failed: the kernel refused it as a port of that "
                                        r"bridge: the bridge is gone \(deleted meanwhile\).*\[EINVAL\]\. Applied before "
                                        r"the failure: unknown: .*\(bridge: 'fbr0' does not exist"):
        _engine_side.reconcile_bridge_port(spec, check_mode=False)
    assert "master" not in harness.links(ns)["ftap0"]


def test_ebusy_macvlan_appears_before_enslave(ns, before_apply, tally):
    """The preflight saw a free port; a macvlan lands on it before the enslave: the kernel answers
    EBUSY. The bridge the task created first is reported, and is there."""
    harness.batch(ns, ["link add fb0 type veth peer name fb0p"])
    before_apply(lambda: harness.sh("ip", "-n", ns, "link", "add", "fmv0", "link", "fb0", "type", "macvlan"))
    tally["faults injected"] += 1
    spec = BridgePortSpec(bridge="fbr1", port="fb0", netns=ns, flags={"hairpin": True}, create_bridge=True,
                          enslave=True)
    with pytest.raises(VnetError, match=r"failed: the device is busy: a device that carries macvlan.*\[EBUSY\]") as exc:
        _engine_side.reconcile_bridge_port(spec, check_mode=False)
    # The re-read sees the macvlan and refuses to plan: the message must not claim 'nothing'.
    assert "Applied before the failure: unknown: the kernel state changed and cannot be re-planned (port: fb0 " \
           "carries fmv0 (macvlan)" in str(exc.value)
    now = harness.links(ns)
    assert "fbr1" in now and "master" not in now["fb0"]


def test_own_deletion_takes_a_later_declared_device_along(ns, tally):
    """Two taps declared over both ends of one veth pair: recreating the first deletes the pair, so
    the second end is planned as gone (a delete of it would meet ENODEV from our own plan)."""
    harness.batch(ns, ["link add fa0 type veth peer name fa1"])
    tally["faults injected"] += 1
    changed, ops, _diff, _devices = links(ns, [{"kind": "tuntap", "name": name, "mode": "tun", "recreate": True}
                                               for name in ("fa0", "fa1")])
    now = harness.links(ns)
    assert changed and [op.split(" in netns")[0] for op in ops] == ["delete veth fa0", "create tuntap fa0",
                                                                    "create tuntap fa1"], ops
    assert sorted(now) == ["fa0", "fa1", "lo"]
    assert all(now[name]["linkinfo"]["info_kind"] == "tun" for name in ("fa0", "fa1"))


# --- the kernel refuses -----------------------------------------------------------------------

def test_eopnotsupp_after_part_of_a_bulk_task(ns, tally):
    """vnet_links creates a veth, then an ipvlan this kernel lacks: the veth is reported and there."""
    harness.batch(ns, ["link add fpar type veth peer name fparp"])
    if not kernel_lacks(ns, "fprobe", "link", "fpar", "type", "ipvlan"):
        pytest.skip("this kernel has ipvlan: no EOPNOTSUPP to provoke")
    tally["faults injected"] += 1
    result = harness.run_module("vnet_links", {"netns": ns, "links": [
        {"kind": "veth", "name": "fo0", "peer": "fo0p"}, {"kind": "ipvlan", "name": "fo1", "link": "fpar"}]})
    assert result.failed and "the kernel lacks support for this (missing driver or feature) [ENOTSUP]" in result.msg
    assert result.msg.startswith("create ipvlan fo1 "), result
    assert [op.split(":")[0] for op in result["ops"]] == ["create veth fo0 in netns %s" % ns,
                                                          "set veth fo0p in netns %s" % ns], result
    now = harness.links(ns)
    assert "fo1" not in now and now["fo0"]["link"] == "fo0p" and "UP" in now["fo0p"]["flags"]


@pytest.mark.parametrize("module, args, probe", [
    ("vnet_ipvlan", {"name": "fi0", "link": "fq0", "mode": "l2"}, ("fprobe", "link", "fq0", "type", "ipvlan")),
    ("vnet_iptunnel", {"addresses": ["192.0.2.80/32"]}, ("fprobe", "type", "ipip")),
], ids=["ipvlan", "ipip"])
def test_eopnotsupp_missing_kind_leaves_nothing(ns, module, args, probe, tally):
    harness.batch(ns, ["link add fq0 type veth peer name fq0p"])
    if not kernel_lacks(ns, *probe):
        pytest.skip("this kernel has %s" % probe[-1])
    if not harness.module_path(module).exists():
        pytest.skip("%s is not in this tree yet" % module)
    before = harness.settled(ns)
    tally["faults injected"] += 1
    result = harness.run_module(module, dict(args, netns=ns))
    assert result.failed and result.msg.endswith(
        "failed: the kernel lacks support for this (missing driver or feature) [ENOTSUP]. Applied before the "
        "failure: nothing"), result
    harness.assert_same(before, harness.world(ns))


EPERM = "operation not permitted: needs CAP_NET_ADMIN (run as root, become: true) [EPERM]"


@pytest.mark.parametrize("module, args", [
    ("vnet_veth", {"name": "fe0", "peer": "fe0p"}),
    ("vnet_tuntap", {"name": "fe1", "mode": "tap"}),
    ("vnet_ifb", {"name": "fe2"}),
    ("vnet_address", {"interface": "lo", "addresses": ["192.0.2.9/32"]}),
    ("vnet_bridge_hairpin", {"bridge": "fe3", "port": "fe4", "create_bridge": True, "enslave": True}),
    ("vnet_links", {"links": [{"kind": "bridge", "name": "fe5"}, {"kind": "tuntap", "name": "fe6", "mode": "tun"}]}),
], ids=lambda value: value if isinstance(value, str) else "")
def test_eperm_without_cap_net_admin(ns, module, args, tally):
    harness.batch(ns, ["tuntap add fe4 mode tap"])
    before = harness.settled(ns)
    tally["faults injected"] += 1
    result = harness.run_module(module, dict(args, netns=ns), prefix=NO_NET_ADMIN)
    assert result.failed and EPERM in result.msg and result.msg.endswith("Applied before the failure: nothing"), result
    assert "Traceback" not in result.stderr
    harness.assert_same(before, harness.world(ns))


def test_eperm_netns_without_cap_sys_admin(tally):
    name = harness.new_netns_name("fault-perm")
    tally["faults injected"] += 1
    result = harness.run_module("vnet_netns", {"name": name}, prefix=NO_NET_OR_SYS_ADMIN)
    assert result.failed and result.msg.startswith(
        "create network namespace %r failed: operation not permitted: a named network namespace needs CAP_SYS_ADMIN "
        "to create or delete (run as root, become: true) [EPERM]" % name), result
    assert name not in harness.our_namespaces()


# --- a kernel module missing (stock kernel: IPVS present, a scheduler absent) ----------------

@pytest.mark.stock_kernel
def test_missing_ipvs_scheduler_after_part_of_the_table(ns, tally):
    if subprocess.run(["modprobe", "-n", "ip_vs_twos"], capture_output=True, check=False).returncode == 0:
        pytest.skip("this kernel has the twos scheduler")
    tally["faults injected"] += 1
    result = harness.run_module("vnet_ipvs_tun", {"netns": ns, "services": [
        {"address": "192.0.2.80", "port": 80, "scheduler": "rr", "realservers": [{"address": "198.51.100.11"}]},
        {"address": "192.0.2.80", "port": 443, "scheduler": "twos"}]})
    assert result.failed and "the kernel has no scheduler twos (module ip_vs_twos)" in result.msg, result
    saved = harness.sh("ip", "netns", "exec", ns, "ipvsadm", "-S", "-n").splitlines()
    assert saved == ["-A -t 192.0.2.80:80 -s rr", "-a -t 192.0.2.80:80 -r 198.51.100.11:80 -i -w 1 --tun-type ipip"]
    assert len(result["ops"]) == 2 and all(":80" in op for op in result["ops"]), result


def test_ipvs_lookup_imports_nothing_more(ns):
    """The IPVS family is looked up on the engine's own socket, in a fresh interpreter as a module run
    is: on a kernel without IPVS (this host) the module's message, and either way no asyncio, which
    pyroute2's generic-netlink socket imported for that one request (~60 ms of every run)."""
    probe = ("import sys\n"
             "from ansible_collections.vnet.linux.plugins.module_utils._netlink_ipvs import IpvsClient, "
             "KernelFeatureMissing\n"
             "try:\n    IpvsClient(%r).close()\n    print('IPVS found')\n"
             "except KernelFeatureMissing as exc:\n    print(exc)\n"
             "print('asyncio imported' if 'asyncio' in sys.modules else 'no asyncio')\n" % ns)
    proc = subprocess.run([harness.PYTHON, "-c", probe], capture_output=True, text=True, check=False,
                          env=dict(os.environ, PYTHONPATH=str(harness.COLL_ROOT)))
    out = proc.stdout.splitlines()
    assert proc.returncode == 0 and len(out) == 2, proc
    assert out[0] in ("IPVS found", "IPVS is not available in this kernel (load ip_vs)"), out
    assert out[1] == "no asyncio", out
