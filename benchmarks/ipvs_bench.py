# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IPVS benchmark: vnet_ipvs_tun's engine against ``ipvsadm -R`` of the same table, same kernel.

Needs root, IPVS and ipvsadm: ``make bench`` runs it in the stock-kernel VM when the host lacks IPVS.
Three steps, each timed in-process (the engine call: socket, dumps, plan,
batched writes, verify, result; no diff, as a run without ``--diff``) and
compared with ``ipvsadm -R`` loading the whole table into an empty namespace:

1. apply SERVICES x 4 tunnel real servers into an empty table (target <= 2x),
2. the same spec again, a no-op (target <= 0.5x, and zero write requests);
   also with the diff a ``--diff`` run adds (reported, no target),
3. 10% of the real servers' weights changed (only those objects may be sent);
   also compared with ``ipvsadm -R`` of just the corresponding ``-e`` lines.

Each step runs five times (apply and ``ipvsadm -R`` each into five empty
namespaces, one of each in turn, so that a change in the host's load hits both)
and is reported as the ratio of the medians, with every run's seconds: one run
under TCG swings by 20-30%, and with three runs the ratio still moved by ~0.1.
Prints ratios; asserts nothing.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

COLLECTION_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
REAL_SERVERS = 4


def import_engine():
    """The collection copy this file sits in (…/ansible_collections/vnet/linux/benchmarks)."""
    sys.path.insert(0, COLLECTION_ROOT)
    started = time.monotonic()
    from ansible_collections.vnet.linux.plugins.module_utils import _ipvs, _netlink_ipvs
    return _ipvs, _netlink_ipvs, time.monotonic() - started


def vip(index):
    return "10.%d.%d.1" % (index // 256, index % 256)


def realserver_address(index, rs):
    return "172.16.%d.%d" % (index // 60, (index % 60) * 4 + rs + 1)


def table(count, weights):
    """(services params, ipvsadm -R text): VIP 10.x.y.1:80, real servers 172.16.x.y+1..4."""
    services, rules = [], []
    for index in range(count):
        servers = []
        rules.append("-A -t %s:80 -s wrr" % vip(index))
        for rs in range(REAL_SERVERS):
            address = realserver_address(index, rs)
            weight = weights.get((index, rs), 1)
            servers.append({"address": address, "weight": weight})
            rules.append("-a -t %s:80 -r %s:80 -i -w %d --tun-type ipip" % (vip(index), address, weight))
        services.append({"address": vip(index), "port": 80, "scheduler": "wrr", "realservers": servers})
    return services, "\n".join(rules) + "\n"


def netns(name):
    """A fresh namespace with lo up: without any IPv4 address the kernel refuses IPv4 real servers."""
    subprocess.run(["ip", "netns", "del", name], stderr=subprocess.DEVNULL, check=False)
    subprocess.run(["ip", "netns", "add", name], check=True)
    subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)


def ipvsadm_restore(name, rules):
    started = time.monotonic()
    subprocess.run(["ip", "netns", "exec", name, "ipvsadm", "-R"], input=rules.encode(), check=True)
    return time.monotonic() - started


class WriteCounter:
    """Counts the write requests the IPVS client sends (the engine's own counter is per view)."""

    def __init__(self, netlink_ipvs):
        self.count = 0
        original = netlink_ipvs.IpvsClient.execute

        def counting(client, requests):
            self.count += len(requests)
            return original(client, requests)
        netlink_ipvs.IpvsClient.execute = counting


def engine_run(ipvs, counter, name, services, diff=False):
    spec = ipvs.ipvs_spec({"services": services, "netns": name})
    before = counter.count
    started = time.monotonic()
    result = ipvs.reconcile_ipvs(spec, check_mode=False, diff=diff)
    return time.monotonic() - started, counter.count - before, len(result["ops"])


ROUNDS = 5


def report(label, runs, reference, target, extra=""):
    """``runs``: engine_run's results; ``reference``: ipvsadm's seconds. The ratio is of the medians."""
    ours, writes = [run[0] for run in runs], [run[1] for run in runs]
    ours_s, reference_s = statistics.median(ours), statistics.median(reference)
    ratio = ours_s / reference_s
    verdict = "" if target is None else (" (target <= %.1fx: %s)" % (target, "met" if ratio <= target else "MISSED"))
    print("%-28s ours %6.2f s  ipvsadm -R %5.2f s  ratio %5.2fx%s  write requests %s%s  [runs: ours %s; ipvsadm %s]"
          % (label, ours_s, reference_s, ratio, verdict, "/".join(str(n) for n in writes), extra,
             seconds_list(ours), seconds_list(reference)))


def seconds_list(values):
    return " ".join("%.2f" % value for value in values)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--services", type=int, default=1000)
    args = parser.parse_args()
    ipvs, netlink_ipvs, import_s = import_engine()
    counter = WriteCounter(netlink_ipvs)
    ours_ns = ["bench-ipvs-engine-%d" % n for n in range(ROUNDS)]
    ref_ns = ["bench-ipvs-ipvsadm-%d" % n for n in range(ROUNDS)]
    edit_ns = "bench-ipvs-edit"
    try:
        for name in ours_ns + ref_ns + [edit_ns]:
            netns(name)
        services, rules = table(args.services, {})
        objects = args.services * (1 + REAL_SERVERS)
        print("table: %d services x %d tunnel real servers (%d objects); engine import %.2f s (not counted); "
              "figures: medians of %d runs" % (args.services, REAL_SERVERS, objects, import_s, ROUNDS))

        restore, runs = [], []
        for ref, ours in zip(ref_ns, ours_ns):
            restore.append(ipvsadm_restore(ref, rules))
            runs.append(engine_run(ipvs, counter, ours, services))
        report("apply into an empty table", runs, restore, 2.0, "  ops %d" % runs[0][2])

        runs = [engine_run(ipvs, counter, ours_ns[0], services) for _round in range(ROUNDS)]
        report("no-op rerun", runs, restore, 0.5)
        runs = [engine_run(ipvs, counter, ours_ns[0], services, diff=True) for _round in range(ROUNDS)]
        report("no-op rerun with --diff", runs, restore, None)

        # every 10th real server gets weight 5 (10% of them, spread over the table), then back to 1, ...:
        # each round changes the same 10%
        changed = sorted((n // REAL_SERVERS, n % REAL_SERVERS) for n in range(0, args.services * REAL_SERVERS, 10))
        ipvsadm_restore(edit_ns, rules)
        runs, edits = [], []
        for round_number in range(ROUNDS):
            weight = 1 if round_number % 2 else 5
            services, _rules = table(args.services, dict((server, weight) for server in changed))
            runs.append(engine_run(ipvs, counter, ours_ns[0], services))
            edits.append(ipvsadm_restore(edit_ns, edit_rules(changed, weight)))
        report("10%% of weights changed (%d)" % len(changed), runs, restore, None,
               "  ops %d; vs ipvsadm -R of the %d edits: %.2fx"
               % (runs[0][2], len(changed), statistics.median(run[0] for run in runs) / statistics.median(edits)))
    finally:
        for name in ours_ns + ref_ns + [edit_ns]:
            subprocess.run(["ip", "netns", "del", name], check=False)


def edit_rules(servers, weight):
    """ipvsadm -R input setting these (service index, real server index) weights in place."""
    return "".join("-e -t %s:80 -r %s:80 -i -w %d --tun-type ipip\n" % (vip(i), realserver_address(i, rs), weight)
                   for i, rs in servers)


if __name__ == "__main__":
    main()
