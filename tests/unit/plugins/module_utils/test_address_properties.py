"""Property test of address planning against a model of the kernel's IPv4 primary/secondary rules.

The kernel makes the first address of an IPv4 subnet (network and prefix length) on a device its
primary and later ones secondaries, lists primaries first, and deletes a primary's secondaries with
it (promote_secondaries is off by default). For random current addresses and random declarations,
applying address_ops() to that model yields exactly the declared result, loses no address that was
not declared gone, and planning again yields nothing.
"""

import ipaddress

from hypothesis import given, settings, strategies as st

from ansible_collections.vnet.linux.plugins.module_utils._plan import address_ops, is_ipv6_link_local

ADDRESSES = ["192.0.2.1/24", "192.0.2.2/24", "192.0.2.3/24", "192.0.2.9/25", "198.51.100.1/24",
             "2001:db8::1/64", "2001:db8::2/64", "fe80::1/64"]


class Device:
    """One device's addresses as the kernel keeps them."""

    def __init__(self):
        self.primaries, self.secondaries = [], []

    def dump(self):
        return self.primaries + self.secondaries

    def add(self, cidr):
        assert cidr not in self.dump(), "EEXIST: %s is already there" % cidr
        subnet = ipaddress.ip_interface(cidr).network
        is_secondary = subnet.version == 4 and any(ipaddress.ip_interface(p).network == subnet for p in self.primaries)
        (self.secondaries if is_secondary else self.primaries).append(cidr)

    def remove(self, cidr):
        assert cidr in self.dump(), "EADDRNOTAVAIL: %s is not there" % cidr
        if cidr in self.secondaries:
            self.secondaries.remove(cidr)
            return
        self.primaries.remove(cidr)
        subnet = ipaddress.ip_interface(cidr).network
        if subnet.version == 4:
            self.secondaries = [s for s in self.secondaries if ipaddress.ip_interface(s).network != subnet]


@st.composite
def cases(draw):
    device = Device()
    for cidr in draw(st.lists(st.sampled_from(ADDRESSES), unique=True)):
        device.add(cidr)
    want = draw(st.lists(st.sampled_from(ADDRESSES), unique=True))
    return device, want, draw(st.booleans()), draw(st.sampled_from(["present", "absent"]))


@settings(max_examples=400, deadline=None)
@given(cases())
def test_address_ops_reach_the_declared_addresses_and_lose_no_other(case):
    device, want, purge, state = case
    have = device.dump()
    if state == "absent":
        expected = set(have) - set(want)
    elif purge:
        expected = set(want) | set(a for a in have if is_ipv6_link_local(a))
    else:
        expected = set(want) | set(have)
    for op in address_ops("dev0", None, want, have, purge, state):
        (device.add if op.verb == "add-address" else device.remove)(op.changes["address"])
    assert set(device.dump()) == expected
    assert address_ops("dev0", None, want, device.dump(), purge, state) == []
