"""want-step validators: every error names the parameter and what is allowed."""

import pytest

from ansible_collections.vnet.linux.plugins.module_utils._model import VnetError
from ansible_collections.vnet.linux.plugins.module_utils import _spec


@pytest.mark.parametrize("name, fragment", [
    ("a" * 16, "at most 15"),
    ("é" * 8, "16 bytes long"),
    ("", "required"),
    ("a/b", "not allowed"),
    ("a b", "not allowed"),
    ("a:b", "not allowed"),
    ("..", "not allowed"),
])
def test_bad_interface_names(name, fragment):
    with pytest.raises(VnetError, match="^name: .*" + fragment):
        _spec.check_ifname("name", name)


def test_fifteen_byte_unicode_name_is_fine():
    assert _spec.check_ifname("name", "veth-ü" + "x" * 8) == "veth-ü" + "x" * 8


@pytest.mark.parametrize("name", ["../x", "a/b", ".", "..", "", "a b", "x\x00"])
def test_bad_netns_names(name):
    with pytest.raises(VnetError, match="^netns: "):
        _spec.check_netns_name("netns", name)


@pytest.mark.parametrize("value, normalised", [
    ("10.0.0.1/24", "10.0.0.1/24"),
    ("2001:DB8::1/64", "2001:db8::1/64"),
    (" 192.0.2.1/32", "192.0.2.1/32"),
])
def test_cidr_normalised_like_the_kernel(value, normalised):
    assert _spec.check_cidr("addresses", value) == normalised


@pytest.mark.parametrize("value", ["10.0.0.1", "10.0.0.300/24", "10.0.0.1/33", "nope/24", "fe80::1"])
def test_bad_cidr(value):
    with pytest.raises(VnetError, match="^addresses: "):
        _spec.check_cidr("addresses", value)


def test_cidrs_deduplicated_in_order():
    assert _spec.check_cidrs("addresses", ["10.0.0.2/24", "10.0.0.1/24", "10.0.0.2/24"]) == \
        ["10.0.0.2/24", "10.0.0.1/24"]


@pytest.mark.parametrize("value, fragment", [("02:00:00:00:00", "not a MAC"), ("zz:00:00:00:00:01", "not a MAC"),
                                             ("01:00:5e:00:00:01", "multicast")])
def test_bad_mac(value, fragment):
    with pytest.raises(VnetError, match="^mac: .*" + fragment):
        _spec.check_mac("mac", value)


def test_mac_normalised():
    assert _spec.check_mac("mac", "02-AB-00-00-00-01") == "02:ab:00:00:00:01"


def test_mtu_bounds():
    with pytest.raises(VnetError, match="^mtu: 67 is outside"):
        _spec.check_mtu("mtu", 67)


def test_owner_by_name_and_number():
    assert _spec.resolve_uid("owner", "root") == 0
    assert _spec.resolve_uid("owner", "1234") == 1234
    with pytest.raises(VnetError, match="^owner: unknown user 'no-such-user-x'"):
        _spec.resolve_uid("owner", "no-such-user-x")
    with pytest.raises(VnetError, match="^group: unknown group"):
        _spec.resolve_gid("group", "no-such-group-x")
