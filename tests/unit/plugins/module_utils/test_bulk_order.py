# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vnet_links ordering: deletions children first, creations parents first, the rest as listed."""

from __future__ import annotations

from ansible_collections.vnet.linux.plugins.module_utils._bulk import order_specs
from ansible_collections.vnet.linux.plugins.module_utils._model import LinkSpec


def stacked(name, parent, netns=None, link_netns=None, state="present"):
    return LinkSpec(name=name, kind="macvlan", netns=netns, state=state,
                    options={"link": parent, "link_netns": link_netns})


def veth(name, netns=None, state="present"):
    return LinkSpec(name=name, kind="veth", netns=netns, state=state, options={"peer": name + "p"})


def names(specs):
    return [spec.name for spec in specs]


def test_creations_put_parents_before_children_and_keep_the_rest_in_order():
    specs = [stacked("mv1", "mv0"), veth("a"), stacked("mv0", "v0"), veth("v0"), veth("b")]
    assert names(order_specs(specs)) == ["a", "v0", "b", "mv0", "mv1"]


def test_deletions_come_first_children_before_parents():
    specs = [veth("v0", state="absent"), veth("new"), stacked("mv0", "v0", state="absent")]
    assert names(order_specs(specs)) == ["mv0", "v0", "new"]


def test_a_parent_is_looked_up_in_the_namespace_the_device_names_for_it():
    # mv0 is moved into ns1 but its parent v0 is the module's own namespace's (link_netns None);
    # a v0 declared in ns1 is another device and no parent of it.
    specs = [stacked("mv0", "v0", netns="ns1", link_netns=None), veth("v0", netns="ns1")]
    assert names(order_specs(specs)) == ["mv0", "v0"]
    specs = [stacked("mv0", "v0", netns="ns1", link_netns=None), veth("v0")]
    assert names(order_specs(specs)) == ["v0", "mv0"]


def test_a_cycle_does_not_recurse_forever():
    specs = [stacked("x", "y"), stacked("y", "x")]
    assert sorted(names(order_specs(specs))) == ["x", "y"]


def test_a_thousand_unrelated_links_keep_their_order():
    specs = [veth("bv%d" % index) for index in range(1000)]
    assert names(order_specs(specs)) == names(specs)
