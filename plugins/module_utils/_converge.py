# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plan -> apply -> verify for any kernel object: links (_engine.py), IPVS (_ipvs.py), GUE ports.

Kept apart from the link engine so that vnet_ipvs_tun, which never plans a link,
does not compile the link code in every run (see _kinds.py for why that counts).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

from ansible_collections.vnet.linux.plugins.module_utils._model import VnetError
from ansible_collections.vnet.linux.plugins.module_utils._netlink import netns_exists


def check_netns_exists(param, name):
    if name and not netns_exists(name):
        raise VnetError("%s: network namespace %r does not exist (create it first, e.g. with "
                        "vnet.linux.vnet_netns)" % (param, name))


@contextmanager
def collector_paused():
    """Pause the cyclic garbage collector (also as a decorator). A table read builds tens of thousands of
    acyclic records and objects that its passes only walk: ~8% of an IPVS no-op of 5000 entries under TCG.
    Reference counting still frees them; a cycle made meanwhile (an error's traceback) waits for the next pass."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class PartialApply(VnetError):
    """An apply that stopped part-way: says exactly which ops took effect, or that it cannot tell."""

    def __init__(self, error, applied, unknown=None):
        self.applied = applied
        done = "; ".join(applied) if applied else "nothing"
        if unknown:
            done = ("%s; then " % done if applied else "") + \
                "unknown: the kernel state changed and cannot be re-planned (%s)" % unknown
        super().__init__("%s. Applied before the failure: %s" % (error, done))


def namespace_deleted(view):
    """A VnetError naming the namespaces deleted while the task worked in them, or None. Their
    /run/netns entry is gone, yet they still answer through our open sockets (a verify would pass),
    and vanish with everything done there once those close."""
    gone = sorted(ns for ns in view.namespaces() if ns and not netns_exists(ns))
    if gone:
        return VnetError("netns: network namespace %s was deleted while the task ran; what it did there is "
                         "gone with it" % ", ".join(repr(ns) for ns in gone))
    return None


def verify(view, plan):
    """Re-read and re-plan: anything left means the kernel did not take a step."""
    view.forget()
    deleted = namespace_deleted(view)
    if deleted:
        raise deleted
    leftover = plan(view)
    if leftover:
        raise VnetError("verify after apply failed: the kernel state still differs: %s"
                        % "; ".join(str(op) for op in leftover))


def converge(view, plan, check_mode, apply):
    """plan -> apply -> verify; returns (changed, op strings). Check mode stops after plan.
    ``apply(view, plan, ops)`` -> applied op strings: the link engine's apply_plan, or batched
    requests for IPVS."""
    ops = plan(view)
    if check_mode or not ops:
        return bool(ops), [str(op) for op in ops]
    applied = apply(view, plan, ops)
    try:
        verify(view, plan)
    except VnetError as exc:
        raise PartialApply(exc, applied)
    return True, applied
