# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Linux bridges (kernel kind 'bridge'). Their ports' flags are planned in _brport.py."""

from __future__ import annotations

from ansible_collections.vnet.linux.plugins.module_utils._kind import Kind


class Bridge(Kind):
    name = kernel_kind = "bridge"
