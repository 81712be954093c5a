"""Smoke test of the stock-kernel VM tier.

The kernel features the CI machine lacks (dummy, ipvlan, vlan, tunl0, IPVS
tunnel mode) work through pyroute2 the way the collection's engine drives
them, and independent tools (ip -j, ipvsadm) agree. Each test gets its own
fresh network namespace.
"""

import json
import re
import socket
import subprocess
import uuid

import pytest
from pyroute2 import IPVS, IPRoute, IPVSDest, IPVSService

pytestmark = pytest.mark.stock_kernel

IP_VS_CONN_F_TUNNEL = 2  # IPVSDest defaults to 3, direct routing
IP_VS_CONN_F_FWD_MASK = 0x7
IP_VS_CONN_F_TUN_TYPE_GUE = 1
VIP, RIP, GUE_PORT = "192.0.2.80", "198.51.100.11", 6080


@pytest.fixture
def netns():
    name = f"vnet-smoke-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    yield name
    subprocess.run(["ip", "netns", "del", name], check=True)


def run(*argv):
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def ip_links(ns, *args):
    """`ip -d -j` output of the netns, by interface name."""
    return {link["ifname"]: link for link in json.loads(run("ip", "-n", ns, "-d", "-j", *args))}


def test_dummy_parent_with_ipvlan_and_vlan(netns):
    with IPRoute(netns=netns, flags=0) as ipr:
        ipr.link("add", ifname="nic0", kind="dummy")
        (nic,) = ipr.link_lookup(ifname="nic0")
        # l3, not the default l2, so that an ignored keyword would show.
        ipr.link("add", ifname="ipvl0", kind="ipvlan", link=nic, ipvlan_mode=1)
        ipr.link("add", ifname="nic0.100", kind="vlan", link=nic, vlan_id=100)

    links = ip_links(netns, "link", "show")
    assert links["nic0"]["linkinfo"]["info_kind"] == "dummy"
    ipvlan = links["ipvl0"]
    assert ipvlan["linkinfo"]["info_kind"] == "ipvlan"
    assert ipvlan["linkinfo"]["info_data"]["mode"] == "l3"
    assert ipvlan["link"] == "nic0"
    vlan = links["nic0.100"]
    assert vlan["linkinfo"]["info_kind"] == "vlan"
    assert vlan["linkinfo"]["info_data"]["id"] == 100
    assert vlan["link"] == "nic0"


def test_tunl0_up_with_address(netns):
    with IPRoute(netns=netns, flags=0) as ipr:
        (tunl,) = ipr.link_lookup(ifname="tunl0")
        ipr.link("set", index=tunl, state="up")
        ipr.addr("add", index=tunl, address=VIP, prefixlen=32)

    tunl0 = ip_links(netns, "addr", "show", "dev", "tunl0")["tunl0"]
    assert tunl0["linkinfo"]["info_kind"] == "ipip"
    assert "UP" in tunl0["flags"]
    assert [(a["local"], a["prefixlen"]) for a in tunl0["addr_info"]] == [(VIP, 32)]


def tunnel_dest(weight):
    # Every field on each request: SET_DEST replaces the whole entry, and
    # IPVSDest fills omitted ones with its defaults (fwd_method 3 = DR).
    return IPVSDest(
        addr=RIP,
        port=80,
        fwd_method=IP_VS_CONN_F_TUNNEL,
        weight=weight,
        tun_type=IP_VS_CONN_F_TUN_TYPE_GUE,
        tun_port=socket.htons(GUE_PORT),  # pyroute2 encodes it in host order
    )


def test_ipvs_tunnel_service(netns):
    # A fresh netns has no local routing table until an address exists (lo
    # up adds 127.0.0.1), and without it IPVS refuses every dest: EINVAL.
    with IPRoute(netns=netns, flags=0) as ipr:
        ipr.link("set", index=ipr.link_lookup(ifname="lo")[0], state="up")
    service = IPVSService(addr=VIP, port=80, protocol=socket.IPPROTO_TCP, sched_name="rr")
    with IPVS(netns=netns, flags=0) as ipvs:
        ipvs.service("add", service=service)
        ipvs.dest("add", service=service, dest=tunnel_dest(weight=1))
        ipvs.dest("set", service=service, dest=tunnel_dest(weight=3))  # "update" would delete
        services = [m.get("IPVS_CMD_ATTR_SERVICE") for m in ipvs.service("dump")]
        dests = [m.get("IPVS_CMD_ATTR_DEST") for m in ipvs.dest("dump", service=service)]

    (svc,) = services
    assert svc.get("IPVS_SVC_ATTR_ADDR") == VIP
    assert svc.get("IPVS_SVC_ATTR_PORT") == 80
    assert svc.get("IPVS_SVC_ATTR_PROTOCOL") == socket.IPPROTO_TCP
    assert svc.get("IPVS_SVC_ATTR_SCHED_NAME") == "rr"
    (dest,) = dests
    assert dest.get("IPVS_DEST_ATTR_ADDR") == RIP
    assert dest.get("IPVS_DEST_ATTR_FWD_METHOD") & IP_VS_CONN_F_FWD_MASK == IP_VS_CONN_F_TUNNEL
    assert dest.get("IPVS_DEST_ATTR_WEIGHT") == 3
    assert dest.get("IPVS_DEST_ATTR_TUN_TYPE") == IP_VS_CONN_F_TUN_TYPE_GUE
    assert socket.ntohs(dest.get("IPVS_DEST_ATTR_TUN_PORT")) == GUE_PORT

    saved = run("ip", "netns", "exec", netns, "ipvsadm", "-S", "-n").splitlines()
    assert saved == [
        f"-A -t {VIP}:80 -s rr",
        f"-a -t {VIP}:80 -r {RIP}:80 -i -w 3 --tun-type gue --tun-port {GUE_PORT} --tun-nocsum",
    ]
    listing = run("ip", "netns", "exec", netns, "ipvsadm", "-L", "-n")
    assert re.search(rf"^TCP\s+{VIP}:80 rr\s*$", listing, re.M), listing
    assert re.search(rf"^\s+-> {RIP}:80\s+Tunnel\s+3\s", listing, re.M), listing
