# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: netns
short_description: Run tasks inside a named network namespace on the controller
version_added: 1.0.0
description:
  - Runs a host's tasks inside a named network namespace (C(/run/netns/NAME)) of the controller, with
    C(ip netns exec) semantics, so one machine can play a whole fleet (each inventory host is a namespace).
  - Inside, a task sees the namespace's own links, addresses, routes, C(/proc/sys/net) and C(/sys/class/net),
    and the files of C(/etc/netns/NAME/) bind-mounted over their C(/etc) counterparts (for example
    C(/etc/netns/NAME/resolv.conf), or a C(sysctl.d) directory that keeps each namespace's persistent sysctls
    apart). So M(ansible.posix.sysctl), M(ansible.builtin.command) or the C(vnet.linux) modules act on
    that namespace only.
  - Everything else is the controller's own filesystem, so modules and files move by local copies; they go
    through the namespace too, so a path means in a transfer what it means to a task.
  - A namespace that does not exist makes the host unreachable, with a message that names it.
author:
  - vnet.linux maintainers (@vnet-linux)
options:
  remote_addr:
    description:
      - The namespace name, a plain file name under C(/run/netns) (no V(/), whitespace, V(.) or V(..)).
      - Defaults to the inventory host name; C(ansible_host) overrides it, and C(vnet_netns_name) overrides
        both (useful when C(ansible_host) means something else for your other plays).
    type: string
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
      - name: vnet_netns_name
  executable:
    description: The shell that runs each command inside the namespace.
    type: string
    default: /bin/sh
    ini:
      - section: defaults
        key: executable
    env:
      - name: ANSIBLE_EXECUTABLE
    vars:
      - name: ansible_executable
extends_documentation_fragment:
  - connection_pipelining
notes:
  - The controller runs C(ip netns exec), which needs root (CAP_SYS_ADMIN), so run C(ansible-playbook) as root.
    C(become) to another user inside the namespace works (root needs no password); password prompts are not
    supported.
  - Set C(ansible_python_interpreter) for these hosts when interpreter discovery would pick a Python that
    does not work on the controller, for example C(ansible_python_interpreter={{ ansible_playbook_python }}).
  - Create the namespaces before a play connects to them, e.g. with M(vnet.linux.vnet_netns) in an
    earlier play on C(localhost). A named namespace created by a task that runs through this connection
    exists only while that task runs (C(ip netns exec) gives each command its own mount namespace, a slave
    of the controller's, so the new C(/run/netns) mount does not propagate back).
  - Enable pipelining (O(pipelining), C(ansible_pipelining=true)) to run each module with one C(ip netns exec)
    instead of several.
requirements:
  - iproute2 (C(ip)) on the controller
'''

EXAMPLES = r'''
# inventory.ini: each host is a namespace of the controller
#   [realservers]
#   rs1
#   rs2 vnet_netns_name=lab-rs2
#   [realservers:vars]
#   ansible_connection=vnet.linux.netns
#   ansible_python_interpreter=/usr/bin/python3

- name: Create the namespaces on the controller first
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: One namespace per inventory host
      vnet.linux.vnet_netns:
        name: "{{ hostvars[item].vnet_netns_name | default(item) }}"
      loop: "{{ groups['realservers'] }}"

- name: Configure each namespace as if it were a machine
  hosts: realservers
  gather_facts: false
  tasks:
    - name: Relax reverse-path filtering in this namespace only
      ansible.posix.sysctl:
        name: net.ipv4.conf.all.rp_filter
        value: "0"
        sysctl_set: true
        state: present
        # /etc/netns/<name>/sysctl.d must exist for this file to stay per namespace
        sysctl_file: /etc/sysctl.d/90-lab.conf

    - name: Links of this namespace
      ansible.builtin.command: ip -j link show
      changed_when: false
'''

import os
import shlex
import shutil
import subprocess

from ansible.errors import AnsibleConnectionFailure, AnsibleError, AnsibleFileNotFound
from ansible.module_utils.common.process import get_bin_path
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text
from ansible.plugins.connection import BUFSIZE, ConnectionBase
from ansible.utils.display import Display

from ansible_collections.vnet.linux.plugins.module_utils._model import VnetError
from ansible_collections.vnet.linux.plugins.module_utils._spec import check_netns_name

display = Display()

# Where named namespaces live (what `ip netns add` and vnet.linux.vnet_netns create).
NETNS_RUN_DIR = "/run/netns"
# `ip netns exec` exits 255 when it cannot enter the namespace (e.g. it vanished mid-play).
IP_NETNS_EXEC_FAILED = 255


class Connection(ConnectionBase):
    """Local connection whose commands run under `ip netns exec NAME`."""

    transport = "vnet.linux.netns"
    has_pipelining = True
    has_tty = False
    default_user = "root"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.netns = None
        self.ip_cmd = None

    def _connect(self):
        if not self._connected:
            self.netns = self._checked_netns()
            self.ip_cmd = self._ip_command()
            display.vvv("NETNS CONNECTION INTO %s" % self.netns, host=self.netns)
            super()._connect()
            self._connected = True
        return self

    def _checked_netns(self):
        """The namespace to enter; a bad or missing one makes the host unreachable, with the reason."""
        name = self.get_option("remote_addr")
        try:
            check_netns_name("vnet.linux.netns connection: remote_addr", name)
        except VnetError as exc:
            raise AnsibleConnectionFailure(to_native(exc))
        if os.geteuid() != 0:
            raise AnsibleConnectionFailure(
                "vnet.linux.netns connection: entering network namespace %r needs root (CAP_SYS_ADMIN); "
                "run ansible-playbook as root" % name)
        if not os.path.exists(os.path.join(NETNS_RUN_DIR, name)):
            raise AnsibleConnectionFailure(
                "vnet.linux.netns connection: network namespace %r does not exist (no %s/%s); create it first, "
                "e.g. with vnet.linux.vnet_netns on the controller" % (name, NETNS_RUN_DIR, name))
        return name

    @staticmethod
    def _ip_command():
        try:
            return get_bin_path("ip")
        except ValueError:
            raise AnsibleConnectionFailure("vnet.linux.netns connection: 'ip' (iproute2) is not installed on the controller")

    def _popen(self, cmd, stdin=subprocess.PIPE):
        """Start `ip netns exec NAME SHELL -c CMD` (a fresh mount namespace: /sys and /etc/netns files as inside)."""
        argv = [self.ip_cmd, "netns", "exec", self.netns, self.get_option("executable"), "-c", cmd]
        display.vvv("EXEC %s" % argv, host=self.netns)
        return subprocess.Popen([to_bytes(a, errors="surrogate_or_strict") for a in argv],
                                stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def _raise_if_not_entered(self, returncode, stderr):
        """`ip netns exec` failing to enter (not the command failing) means the host is gone."""
        if returncode == IP_NETNS_EXEC_FAILED and b"network namespace" in stderr:
            raise AnsibleConnectionFailure("vnet.linux.netns connection: cannot enter network namespace %r: %s"
                                           % (self.netns, to_text(stderr).strip()))

    def exec_command(self, cmd, in_data=None, sudoable=True):
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        proc = self._popen(to_text(cmd))
        stdout, stderr = proc.communicate(in_data)
        self._raise_if_not_entered(proc.returncode, stderr)
        return proc.returncode, stdout, stderr

    def _transfer(self, cmd, in_file=None, out_file=None):
        """Stream a file through dd inside the namespace (so /etc/netns/NAME files resolve as a task sees them)."""
        proc = self._popen(cmd, stdin=in_file if in_file is not None else subprocess.DEVNULL)
        if out_file is not None:
            shutil.copyfileobj(proc.stdout, out_file, BUFSIZE)
        stdout, stderr = proc.communicate()
        self._raise_if_not_entered(proc.returncode, stderr)
        if proc.returncode != 0:
            raise AnsibleError("vnet.linux.netns connection: %s failed in namespace %r: %s"
                               % (cmd, self.netns, to_text(stderr or stdout).strip()))

    def put_file(self, in_path, out_path):
        super().put_file(in_path, out_path)
        display.vvv("PUT %s TO %s" % (in_path, out_path), host=self.netns)
        if not os.path.exists(to_bytes(in_path, errors="surrogate_or_strict")):
            raise AnsibleFileNotFound("file or module does not exist: %s" % to_native(in_path))
        with open(to_bytes(in_path, errors="surrogate_or_strict"), "rb") as in_file:
            self._transfer("dd of=%s bs=%d status=none" % (shlex.quote(to_text(out_path)), BUFSIZE), in_file=in_file)

    def fetch_file(self, in_path, out_path):
        super().fetch_file(in_path, out_path)
        display.vvv("FETCH %s TO %s" % (in_path, out_path), host=self.netns)
        with open(to_bytes(out_path, errors="surrogate_or_strict"), "wb") as out_file:
            self._transfer("dd if=%s bs=%d status=none" % (shlex.quote(to_text(in_path)), BUFSIZE), out_file=out_file)

    def reset(self):
        pass

    def close(self):
        super().close()
        self._connected = False
