"""Fixtures of the reliability tier: fresh namespaces per test module, and the tier's counts.

The tier runs as root on the real kernel (``make reliability``). Every namespace it makes
is named ``vnet-rel-<tag>-<random>`` and removed by the fixture that made it.
"""

import json
import os
from collections import Counter

import pytest

import harness

# What the tier tried, by category, and how long the large-state runs took (printed at the end;
# written to $RELIABILITY_COUNTS as JSON when set).
COUNTS = Counter()
TIMINGS = {}


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        for item in items:
            if item.path.is_relative_to(harness.COLLECTION / "tests" / "reliability"):
                item.add_marker(pytest.mark.skip(reason="the reliability tier needs root (real kernel, namespaces)"))


@pytest.fixture(scope="session")
def tally():
    return COUNTS


@pytest.fixture(scope="session")
def timings():
    return TIMINGS


@pytest.fixture(scope="module")
def make_netns():
    """A factory of fresh namespaces, all removed when the test module ends."""
    harness.ensure_tun_device()
    made = []

    def make(tag):
        made.append(harness.add_netns(harness.new_netns_name(tag)))
        return made[-1]

    yield make
    for name in made:
        harness.del_netns(name)


def pytest_terminal_summary(terminalreporter):
    if not COUNTS and not TIMINGS:
        return
    terminalreporter.write_sep("-", "reliability counts")
    for key in sorted(COUNTS):
        terminalreporter.write_line("%-44s %d" % (key, COUNTS[key]))
    for key in sorted(TIMINGS):
        terminalreporter.write_line("%-44s %.2f s" % (key, TIMINGS[key]))
    path = os.environ.get("RELIABILITY_COUNTS")
    if path:
        with open(path, "w") as out:
            json.dump({"counts": dict(COUNTS), "seconds": TIMINGS}, out, indent=1, sort_keys=True)
