#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: vnet_ipvs_tun
short_description: Manage IPVS virtual services and their real servers (tunnel mode by default)
version_added: 1.0.0
description:
  - Declares IPVS (Linux Virtual Server) virtual services and real servers over generic netlink, idempotently,
    the way C(ipvsadm -R) would load them but as a minimal diff that never flushes.
  - Services are keyed by O(services[].protocol), O(services[].address) and O(services[].port), or by
    O(services[].fwmark) with O(services[].family); IPv4 and IPv6.
  - Scheduler, persistence, scheduler flags, one-packet scheduling, weights, thresholds and forwarding change in
    place with IPVS C(set) commands; nothing is deleted and re-added to change it.
  - Real servers of a listed service are declarative when O(services[].realservers) is given (unlisted ones are
    removed, or drained with O(drain=true)); leave O(services[].realservers) out to keep them as they are.
  - Forwarding is C(tunnel) (LVS-TUN, with ipip, GUE or GRE encapsulation) unless a real server says C(route)
    (direct routing) or C(masquerade) (NAT). The real servers' receive side is M(vnet.linux.vnet_iptunnel).
  - Requests are sent in batches, so large tables apply in about the time C(ipvsadm -R) takes.
  - Fails with C(IPVS is not available in this kernel (load ip_vs)) when the kernel has no IPVS.
author:
  - vnet.linux maintainers (@vnet-linux)
options:
  services:
    description: Virtual services to have (or not to have, with O(services[].state=absent)).
    type: list
    elements: dict
    default: []
    suboptions:
      protocol:
        description: Transport protocol of an address/port service. Defaults to V(tcp) when O(services[].address) is given.
        type: str
        choices: [tcp, udp, sctp]
      address:
        description: The virtual IP address (VIP), IPv4 or IPv6. Needs O(services[].port).
        type: str
      port:
        description: The virtual port. V(0) means all ports and needs O(services[].persistence_timeout).
        type: int
      fwmark:
        description: Firewall mark of a fwmark service (instead of protocol, address and port).
        type: int
      family:
        description: Address family of a fwmark service; for an address service it must match the address.
        type: str
        choices: [ipv4, ipv6]
      scheduler:
        description:
          - Scheduler, e.g. V(rr), V(wrr), V(lc), V(wlc), V(lblc), V(lblcr), V(dh), V(sh), V(sed), V(nq), V(fo),
            V(ovf), V(mh), V(twos). The kernel loads its C(ip_vs_<scheduler>) module on first use.
          - Defaults to V(wlc), like ipvsadm.
        type: str
      persistence_timeout:
        description: Persistence timeout in seconds (C(ipvsadm -p)); V(0) or omitted means not persistent.
        type: int
      persistence_netmask:
        description:
          - Granularity of persistence (C(ipvsadm -M)) as a prefix length, or for IPv4 a netmask like V(255.255.255.0).
          - Defaults to a single client address (V(32) or V(128)).
        type: str
      scheduler_flags:
        description:
          - Scheduler flags; V(sh-fallback) and V(sh-port) for C(sh), V(mh-fallback) and V(mh-port) for C(mh),
            V(flag-1), V(flag-2), V(flag-3) for any scheduler. Flags not listed are cleared.
        type: list
        elements: str
      one_packet:
        description: One-packet scheduling (C(ipvsadm -o)), for UDP services whose datagrams are independent.
        type: bool
        default: false
      state:
        description: V(absent) removes the service with its real servers.
        type: str
        choices: [present, absent]
        default: present
      realservers:
        description:
          - The service's real servers, exactly. Omit to leave the real servers as they are.
        type: list
        elements: dict
        suboptions:
          address:
            description: Real server address; its family must be the service's.
            type: str
            required: true
          port:
            description:
              - Real server port. Tunnel and route forwarding deliver to the virtual port, so for them it defaults
                to, and must equal, the service port (0 for fwmark services). Masquerade can map to another port.
            type: int
          weight:
            description: Weight (0..2147483647); V(0) takes no new connections.
            type: int
            default: 1
          upper_threshold:
            description: Upper connection threshold; V(0) means no limit.
            type: int
            default: 0
          lower_threshold:
            description: Lower connection threshold (at most O(services[].realservers[].upper_threshold)).
            type: int
            default: 0
          forward:
            description: Forwarding method.
            type: str
            choices: [tunnel, route, masquerade]
            default: tunnel
          tun_type:
            description: Encapsulation of tunnel forwarding. Defaults to V(ipip) with O(services[].realservers[].forward=tunnel).
            type: str
            choices: [ipip, gue, gre]
          tun_port:
            description: The real server's GUE port; required with O(services[].realservers[].tun_type=gue), only then.
            type: int
          tun_csum:
            description:
              - Tunnel checksum for V(gue) and V(gre); V(remcsum) (remote checksum offload) is for V(gue) only.
              - Defaults to V(none) for those types.
            type: str
            choices: [none, csum, remcsum]
  purge_services:
    description:
      - Remove virtual services that are not listed in O(services), one by one (never a flush).
    type: bool
    default: false
  drain:
    description:
      - For real servers removed from a listed service, first set their weight to V(0) and remove them only once
        they have no active connections (the RV(draining) result lists those still waiting; a later run finishes
        them). Without it removal is immediate. Services themselves are always removed immediately.
    type: bool
    default: false
  netns:
    description:
      - Name of the network namespace (as in C(/run/netns/NAME)) whose IPVS table to manage; each namespace has
        its own. When omitted the module works in the namespace Ansible runs in.
      - The namespace must already exist (see M(vnet.linux.vnet_netns)).
    type: str
requirements:
  - pyroute2 >= 0.9 on the managed host
  - Linux with IPVS (C(ip_vs) and the scheduler modules) and CAP_NET_ADMIN (run as root or with C(become=true))
extends_documentation_fragment:
  - vnet.linux.vnet.attributes
notes:
  - Real servers of another address family than their service (which the kernel allows for tunnels) are refused.
  - Counters (connections, packets, bytes) are returned but never compared; they are zero for objects check mode
    predicts.
seealso:
  - module: vnet.linux.vnet_iptunnel
'''

EXAMPLES = r'''
- name: An LVS-TUN web service with three real servers behind ipip tunnels
  vnet.linux.vnet_ipvs_tun:
    services:
      - protocol: tcp
        address: 192.0.2.80
        port: 80
        scheduler: wrr
        realservers:
          - {address: 198.51.100.11, weight: 10}
          - {address: 198.51.100.12, weight: 10}
          - {address: 198.51.100.13, weight: 5}

- name: GUE encapsulation with checksums, persistent clients per /24
  vnet.linux.vnet_ipvs_tun:
    services:
      - address: 192.0.2.80
        port: 443
        persistence_timeout: 300
        persistence_netmask: 24
        realservers:
          - {address: 198.51.100.11, tun_type: gue, tun_port: 6080, tun_csum: csum}

- name: A fwmark service for IPv6 with a consistent-hash scheduler
  vnet.linux.vnet_ipvs_tun:
    services:
      - fwmark: 7
        family: ipv6
        scheduler: mh
        scheduler_flags: [mh-port]
        realservers:
          - {address: "2001:db8::11"}

- name: Take a real server out gracefully; the service is the only one the director should have
  vnet.linux.vnet_ipvs_tun:
    purge_services: true
    drain: true
    services:
      - address: 192.0.2.80
        port: 80
        realservers:
          - {address: 198.51.100.11}
  register: lvs

- name: Report real servers still draining
  ansible.builtin.debug:
    msg: "{{ lvs.draining }}"
'''

RETURN = r'''
services:
  description:
    - The whole IPVS table of the namespace after the run (in check mode, as it will be), sorted by name, with counters.
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: "The service's name in ops, e.g. C(tcp/192.0.2.80:80) or C(fwmark/7/ipv6).", type: str}
    family: {description: C(ipv4) or C(ipv6)., type: str}
    protocol: {description: "C(tcp), C(udp) or C(sctp); null for fwmark services.", type: str}
    address: {description: The VIP; null for fwmark services., type: str}
    port: {description: The virtual port; null for fwmark services., type: int}
    fwmark: {description: The firewall mark; null for address services., type: int}
    scheduler: {description: Scheduler name., type: str}
    persistence_timeout: {description: Persistence timeout (0 if not persistent)., type: int}
    persistence_netmask: {description: Persistence granularity as a prefix length., type: raw}
    scheduler_flags: {description: Scheduler flags set., type: list, elements: str}
    one_packet: {description: One-packet scheduling., type: bool}
    connections: {description: Connections scheduled so far., type: int}
    in_packets: {description: Packets in., type: int}
    out_packets: {description: "Packets out (0 with tunnel or route forwarding, the replies bypass the director).", type: int}
    in_bytes: {description: Bytes in., type: int}
    out_bytes: {description: Bytes out., type: int}
    realservers:
      description: Real servers with their options and counters.
      type: list
      elements: dict
      contains:
        address: {description: Address., type: str}
        port: {description: Port., type: int}
        weight: {description: Weight., type: int}
        upper_threshold: {description: Upper threshold., type: int}
        lower_threshold: {description: Lower threshold., type: int}
        forward: {description: "C(tunnel), C(route) or C(masquerade).", type: str}
        tun_type: {description: "C(ipip), C(gue) or C(gre); null unless tunnel.", type: str}
        tun_port: {description: GUE port; null unless gue., type: int}
        tun_csum: {description: "C(none), C(csum) or C(remcsum); null unless gue or gre.", type: str}
        active_connections: {description: Active (established) connections., type: int}
        inactive_connections: {description: Other connections., type: int}
        persistent_connections: {description: Persistence templates., type: int}
        connections: {description: Connections scheduled so far., type: int}
        in_packets: {description: Packets in., type: int}
        out_packets: {description: Packets out., type: int}
        in_bytes: {description: Bytes in., type: int}
        out_bytes: {description: Bytes out., type: int}
  sample:
    - name: tcp/192.0.2.80:80
      family: ipv4
      protocol: tcp
      address: 192.0.2.80
      port: 80
      fwmark: null
      scheduler: wrr
      persistence_timeout: 0
      persistence_netmask: 32
      scheduler_flags: []
      one_packet: false
      connections: 12
      in_packets: 80
      out_packets: 0
      in_bytes: 5400
      out_bytes: 0
      realservers:
        - {address: 198.51.100.11, port: 80, weight: 10, upper_threshold: 0, lower_threshold: 0, forward: tunnel,
           tun_type: ipip, tun_port: null, tun_csum: null, active_connections: 1, inactive_connections: 3,
           persistent_connections: 0, connections: 6, in_packets: 40, out_packets: 0, in_bytes: 2700, out_bytes: 0}
draining:
  description: Real servers removed with O(drain=true) that still have active connections (kept at weight 0).
  returned: always
  type: list
  elements: dict
  sample:
    - {service: tcp/192.0.2.80:80, address: 198.51.100.13, port: 80, weight: 0, active_connections: 2,
       inactive_connections: 0, persistent_connections: 0}
ops:
  description: What was done (or, in check mode, would be done), one line per IPVS request.
  returned: always
  type: list
  elements: str
  sample:
    - "create ipvs-service tcp/192.0.2.80:80: scheduler=wrr"
    - "create ipvs-realserver tcp/192.0.2.80:80 -> 198.51.100.11:80: forward=tunnel, tun_type=ipip, weight=10"
    - "set ipvs-realserver tcp/192.0.2.80:80 -> 198.51.100.13:80: weight=0 (drain: not listed, 2 active connections)"
'''

from ansible.module_utils.basic import AnsibleModule

# First, so that the module_utils imported below compile once per run.
from ansible_collections.vnet.linux.plugins.module_utils import _compile_once  # noqa: F401 pylint: disable=unused-import
from ansible_collections.vnet.linux.plugins.module_utils._ipvs import ipvs_spec, reconcile_ipvs
from ansible_collections.vnet.linux.plugins.module_utils._runner import run

REALSERVER_OPTIONS = dict(
    address=dict(type="str", required=True),
    port=dict(type="int"),
    weight=dict(type="int", default=1),
    upper_threshold=dict(type="int", default=0),
    lower_threshold=dict(type="int", default=0),
    forward=dict(type="str", choices=["tunnel", "route", "masquerade"], default="tunnel"),
    tun_type=dict(type="str", choices=["ipip", "gue", "gre"]),
    tun_port=dict(type="int"),
    tun_csum=dict(type="str", choices=["none", "csum", "remcsum"]),
)

SERVICE_OPTIONS = dict(
    protocol=dict(type="str", choices=["tcp", "udp", "sctp"]),
    address=dict(type="str"),
    port=dict(type="int"),
    fwmark=dict(type="int"),
    family=dict(type="str", choices=["ipv4", "ipv6"]),
    scheduler=dict(type="str"),
    persistence_timeout=dict(type="int"),
    persistence_netmask=dict(type="str"),
    scheduler_flags=dict(type="list", elements="str"),
    one_packet=dict(type="bool", default=False),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    realservers=dict(type="list", elements="dict", options=REALSERVER_OPTIONS),
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            services=dict(type="list", elements="dict", options=SERVICE_OPTIONS, default=[]),
            purge_services=dict(type="bool", default=False),
            drain=dict(type="bool", default=False),
            netns=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    run(module, lambda: reconcile_ipvs(ipvs_spec(module.params), module.check_mode, diff=module._diff))


if __name__ == "__main__":
    main()
