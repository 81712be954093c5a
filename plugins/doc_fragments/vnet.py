# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # netns + state: every module.
    NETNS = r'''
options:
  netns:
    description:
      - Name of the network namespace (as in C(/run/netns/NAME)) to operate in.
      - When omitted the module works in the namespace Ansible runs in.
      - The namespace must already exist (see M(vnet.linux.vnet_netns)); it is never created implicitly.
    type: str
  state:
    description:
      - V(present) makes sure the object exists as declared; V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
requirements:
  - pyroute2 >= 0.9 on the managed host
  - Linux with CAP_NET_ADMIN (run as root or with C(become=true))
'''

    # Options every link module shares.
    LINK = r'''
options:
  mtu:
    description:
      - MTU of the link (68..65535). Changed in place. Left as is when omitted.
    type: int
  mac:
    description:
      - Unicast MAC address of the link, e.g. V(02:00:00:00:00:01). Changed in place.
    type: str
  up:
    description:
      - Whether the link is administratively up.
    type: bool
    default: true
  addresses:
    description:
      - IPv4/IPv6 addresses in CIDR form to have on the link, e.g. V(192.0.2.10/24).
      - Addresses not listed are kept unless O(purge_addresses=true).
    type: list
    elements: str
  purge_addresses:
    description:
      - Remove addresses not listed in O(addresses). IPv6 link-local addresses are the kernel's and are kept.
    type: bool
    default: false
  recreate:
    description:
      - Allow deleting and re-creating the link when a wanted property cannot be changed in place
        (or the name is held by another kind). Without it such a change fails and nothing is touched.
    type: bool
    default: false
'''

    ATTRIBUTES = r'''
attributes:
  check_mode:
    description: Can run in check mode and return the changed status and the planned ops without touching the kernel.
    support: full
  diff_mode:
    description: Returns before and after state of the managed fields when run with C(--diff).
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: linux
'''
