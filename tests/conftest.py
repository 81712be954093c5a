"""Make the collection importable as ansible_collections.vnet.linux and route kernel tiers.

Tests run from a copy of the collection at .../ansible_collections/vnet/linux
(``make unit`` builds it). Tests marked ``stock_kernel`` need features this host
kernel lacks: they are skipped here and run inside the stock-kernel VM tier.
"""

import os
import sys
from pathlib import Path

import pytest

COLLECTION_ROOT = Path(__file__).resolve().parents[1]
if COLLECTION_ROOT.parents[1].name != "ansible_collections":
    raise pytest.UsageError("run the tests from a collection tree (.../ansible_collections/vnet/linux): "
                            "use `make unit`, which builds one under build/collections")
sys.path.insert(0, str(COLLECTION_ROOT.parents[2]))

IN_VM_TIER = os.environ.get("VNET_VM_TIER") == "1"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "stock_kernel" in item.keywords and not IN_VM_TIER:
            item.add_marker(pytest.mark.skip(reason="runs in the VM tier"))
