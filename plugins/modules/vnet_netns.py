#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: vnet_netns
short_description: Create and delete named network namespaces
version_added: 1.0.0
description:
  - Ensures a named network namespace (C(/run/netns/NAME), as C(ip netns add) makes) exists or not.
  - Names match exactly (never as a prefix or substring of another namespace's name), and check mode
    predicts C(changed) exactly.
  - Deleting a namespace destroys the virtual devices in it and returns physical devices to the host namespace.
author:
  - vnet.linux maintainers (@vnet-linux)
options:
  name:
    description:
      - Namespace name. A plain file name; V(/), whitespace, V(.) and V(..) are refused before anything is touched.
    type: str
    required: true
  state:
    description: V(present) creates the namespace if missing; V(absent) deletes it if present.
    type: str
    choices: [present, absent]
    default: present
requirements:
  - pyroute2 >= 0.9 on the managed host
  - Linux with CAP_SYS_ADMIN and CAP_NET_ADMIN (run as root or with C(become=true))
extends_documentation_fragment:
  - vnet.linux.vnet.attributes
'''

EXAMPLES = r'''
- name: A namespace per container
  vnet.linux.vnet_netns:
    name: "{{ item }}"
  loop: [web, db]

- name: Remove a lab namespace
  vnet.linux.vnet_netns:
    name: lab
    state: absent
'''

RETURN = r'''
name:
  description: The namespace name.
  returned: always
  type: str
  sample: web
namespaces:
  description: All named namespaces after the run (in check mode, as they will be).
  returned: always
  type: list
  elements: str
  sample: [db, web]
ops:
  description: What was done (or, in check mode, would be done).
  returned: always
  type: list
  elements: str
  sample: ["create netns web"]
'''

from ansible.module_utils.basic import AnsibleModule

# First, so that the module_utils imported below compile once per run.
from ansible_collections.vnet.linux.plugins.module_utils import _compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.vnet.linux.plugins.module_utils._engine import reconcile_netns
from ansible_collections.vnet.linux.plugins.module_utils._runner import run
from ansible_collections.vnet.linux.plugins.module_utils._spec import check_netns_name


def converge(module):
    name = check_netns_name("name", module.params["name"])
    changed, ops, diff, namespaces = reconcile_netns(name, module.params["state"], module.check_mode)
    return dict(changed=changed, ops=ops, diff=diff, name=name, namespaces=namespaces)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        supports_check_mode=True,
    )
    run(module, lambda: converge(module))


if __name__ == "__main__":
    main()
