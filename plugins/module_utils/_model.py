# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plain data shared by every step of the engine: what we want, what is, what to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional


# How ops and results name the namespace the module itself runs in when it has no name.
HOST_NETNS = "(host)"


class VnetError(Exception):
    """A failure whose message is fit to show the user as is."""


@dataclass
class Link:
    """A link as the kernel reports it (the 'have' side)."""

    name: str
    ifindex: int
    netns: Optional[str] = None
    kind: Optional[str] = None
    up: bool = False
    mtu: Optional[int] = None
    mac: Optional[str] = None
    master: Optional[int] = None
    parent: Optional[int] = None
    link_netnsid: Optional[int] = None
    group: int = 0
    data: Dict[str, Any] = field(default_factory=dict)
    slave_kind: Optional[str] = None
    slave_data: Dict[str, Any] = field(default_factory=dict)
    addresses: List[str] = field(default_factory=list)
    # Kind-specific properties in the user's terms (peer name, tun mode...), filled by the kind.
    props: Dict[str, Any] = field(default_factory=dict)


@dataclass
class LinkSpec:
    """A link as the user declared it (the 'want' side); None means 'leave as is'."""

    name: str
    kind: str
    netns: Optional[str] = None
    state: str = "present"
    mtu: Optional[int] = None
    mac: Optional[str] = None
    up: Optional[bool] = True
    addresses: Optional[List[str]] = None
    purge_addresses: bool = False
    recreate: bool = False
    options: Dict[str, Any] = field(default_factory=dict)


@dataclass
class Op:
    """One planned step. ``verb`` selects how apply() executes it; str() is what users read."""

    verb: str
    name: str
    netns: Optional[str] = None
    kind: Optional[str] = None
    changes: Dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    # The spec an op was planned from (create/set need all of it); not part of the op's identity.
    spec: Any = field(default=None, compare=False, repr=False)

    def __str__(self):
        where = " in netns %s" % self.netns if self.netns else ""
        what = "%s %s %s%s" % (self.verb, self.kind or "link", self.name, where)
        if self.changes:
            what += ": " + render_changes(self.changes)
        if self.reason:
            what += " (%s)" % self.reason
        return what


def render_changes(changes):
    return ", ".join("%s=%s" % (key, render_value(value)) for key, value in sorted(changes.items()))


def render_value(value):
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)
