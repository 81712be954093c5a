"""What a module compiles: each run compiles its module_utils from AnsiballZ's zip, so a module
imports the code it runs and no more (see _kinds.py). Each check runs in a fresh interpreter."""

import os
import subprocess
import sys

import pytest

MODULE_UTILS = "ansible_collections.vnet.linux.plugins.module_utils."
LINK_ENGINE = {"_engine", "_plan", "_kinds", "_kind", "_brport"}


def loaded_after(code, prefix=MODULE_UTILS):
    """The modules under ``prefix`` (vnet's module_utils by default) a fresh interpreter has imported
    after running ``code``, without the prefix."""
    listing = "import sys; print(' '.join(sorted(m for m in sys.modules if m.startswith(%r))))" % prefix
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code + "\n" + listing], env=env, check=True,
                         capture_output=True, text=True).stdout
    return set(name[len(prefix):] for name in out.split())


def test_the_engine_loads_no_kind_until_asked():
    loaded = loaded_after("import %s_engine" % MODULE_UTILS)
    assert "_engine" in loaded
    assert not [name for name in loaded if name.startswith("_kind_") or name == "_brport"]


def test_a_link_task_compiles_no_tc_or_bridge_port_code():
    """What a vnet_veth run imports: the module, the engine (imported by run_link_module) and its kind."""
    loaded = loaded_after("import ansible_collections.vnet.linux.plugins.modules.vnet_veth\n"
                          "import {0}_engine\nfrom {0}_kinds import KINDS; KINDS['veth']".format(MODULE_UTILS))
    assert "_engine" in loaded and "_kind_veth" in loaded
    assert not loaded & {"_netlink_tc", "_engine_side", "_kind_ifb", "_brport"}


def test_a_lookup_loads_only_that_kinds_file():
    loaded = loaded_after("from %s_kinds import KINDS; KINDS['macvtap']" % MODULE_UTILS)
    assert sorted(name for name in loaded if name.startswith("_kind_")) == ["_kind_macvlan"]


def test_ipvs_module_compiles_no_link_code():
    loaded = loaded_after("import ansible_collections.vnet.linux.plugins.modules.vnet_ipvs_tun")
    assert "_ipvs" in loaded
    assert not loaded & LINK_ENGINE and not [name for name in loaded if name.startswith("_kind_")]


def test_link_modules_import_no_pyroute2_they_do_not_run():
    """The link message class and the namespace tools are imported when used (a link dump with kind
    data, a pyroute2-encoded request, vnet_netns): not in a veth task's run."""
    code = "import ansible_collections.vnet.linux.plugins.modules.vnet_veth"
    assert loaded_after(code, "pyroute2.") == {"common", "netlink", "netlink.exceptions"}
    assert not loaded_after(code, "multiprocessing")


def test_the_engine_hands_over_exactly_the_ops_the_tc_module_runs():
    """The engine names those op kinds itself so that it need not import _netlink_tc (the footprint above)."""
    pytest.importorskip("pyroute2")
    from ansible_collections.vnet.linux.plugins.module_utils._engine import SIDE_KINDS
    from ansible_collections.vnet.linux.plugins.module_utils._netlink_tc import SIDE_APPLY
    assert sorted(SIDE_KINDS) == sorted(SIDE_APPLY)
