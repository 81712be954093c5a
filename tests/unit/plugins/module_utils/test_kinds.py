"""The kind registry: its names agree with the Kind classes (test_import_footprint.py: it loads them lazily)."""

import pytest

from ansible_collections.vnet.linux.plugins.module_utils._kinds import KERNEL_KIND_NAMES, KINDS


@pytest.mark.parametrize("name", sorted(KINDS))
def test_each_name_is_its_kinds_own(name):
    kind = KINDS[name]
    assert kind.name == name
    assert KERNEL_KIND_NAMES[kind.kernel_kind] == name


def test_every_kernel_kind_belongs_to_a_kind():
    assert sorted(KERNEL_KIND_NAMES.values()) == sorted(KINDS)


def test_unknown_kind_is_a_key_error_and_not_a_member():
    assert "vxlan" not in KINDS and KINDS.get("vxlan") is None
    with pytest.raises(KeyError):
        KINDS["vxlan"]  # pylint: disable=pointless-statement
