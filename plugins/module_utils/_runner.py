# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Ansible side of every module: library check, error reporting, diff on request."""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.vnet.linux.plugins.module_utils._args import link_argument_spec
from ansible_collections.vnet.linux.plugins.module_utils._model import VnetError
from ansible_collections.vnet.linux.plugins.module_utils._pyroute2 import HAS_PYROUTE2, PYROUTE2_IMPORT_ERROR


def run(module, work):
    """Call ``work()`` -> result dict and exit; VnetError becomes a clear fail_json."""
    if not HAS_PYROUTE2:
        module.fail_json(msg=missing_required_lib("pyroute2"),
                         exception="".join(traceback.format_exception_only(type(PYROUTE2_IMPORT_ERROR),
                                                                           PYROUTE2_IMPORT_ERROR)))
    try:
        result = work()
    except VnetError as exc:
        module.fail_json(msg=str(exc), ops=getattr(exc, "applied", []))
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


def run_link_module(kind):
    """main() of a per-kind link module: one link through the same path as a vnet_links item."""
    # Imported here: modules that only use run() (vnet_ipvs_tun) need not compile the link engine.
    from ansible_collections.vnet.linux.plugins.module_utils._engine import reconcile_links

    module = AnsibleModule(
        argument_spec=link_argument_spec(name=dict(type="str", required=True), **kind.argument_spec),
        required_if=kind.required_if,
        supports_check_mode=True,
    )

    def converge():
        changed, ops, diff, devices = reconcile_links([kind.spec(module.params)], module.check_mode)
        return dict(changed=changed, ops=ops, diff=diff, device=devices[0])

    run(module, converge)
