"""Run benchmarks/links_bench.yml once and print each figure with its target (ratios, not asserts).

Module time = a task's wall time minus the wall time of an ansible.builtin.ping task in the
same run: the fixed Ansible cost no module can remove.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def seconds(delta):
    """'0:00:01.234567' (command delta) -> 1.234567."""
    hours, minutes, secs = delta.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(secs)


def run_playbook(times_file, results_file):
    env = dict(os.environ, VNET_BENCH_TIMES=times_file, VNET_BENCH_RESULTS=results_file,
               ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, "callback_plugins"),
               ANSIBLE_CALLBACKS_ENABLED="task_timer")
    subprocess.run(["ansible-playbook", "-i", "localhost,", os.path.join(HERE, "links_bench.yml")],
                   env=env, check=True, stdout=subprocess.DEVNULL)


FLEET_SIZE = 50


def fleet_seconds(forks):
    """Wall time of the fleet setup play over FLEET_SIZE namespace hosts with this many forks."""
    with tempfile.TemporaryDirectory() as tmp:
        inventory = os.path.join(tmp, "fleet.ini")
        with open(inventory, "w") as handle:
            handle.write("[fleet]\n" + "".join("vnet-fleet-%d\n" % i for i in range(1, FLEET_SIZE + 1)))
            handle.write("[fleet:vars]\nansible_connection=vnet.linux.netns\n"
                         "ansible_python_interpreter=%s\n" % sys.executable)

        def play(phase):
            started = time.monotonic()
            subprocess.run(["ansible-playbook", "-i", inventory, "-f", str(forks), "-e", "fleet_phase=%s" % phase,
                            "-e", "fleet_size=%d" % FLEET_SIZE, os.path.join(HERE, "fleet_bench.yml")],
                           check=True, stdout=subprocess.DEVNULL)
            return time.monotonic() - started

        play("create")
        try:
            return play("setup")
        finally:
            play("destroy")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        times_file, results_file = os.path.join(tmp, "times.json"), os.path.join(tmp, "results.json")
        run_playbook(times_file, results_file)
        with open(times_file) as handle:
            samples = json.load(handle)
        times = dict((name, statistics.median(values)) for name, values in samples.items())
        with open(results_file) as handle:
            rounds = json.load(handle)
    ping = times["Ping"]
    ip_create = statistics.median(seconds(run["ip_create"]) for run in rounds)
    ip_delete = statistics.median(seconds(run["ip_delete"]) for run in rounds)

    def module(name):
        return times[name] - ping

    def writes(key):
        return "/".join(str(run[key]) for run in rounds)

    rows = [
        ("create 1000 veth pairs: module / ip -batch", module("Vnet_links create") / ip_create,
         "<= 1.5x", "%.2fs vs %.2fs" % (module("Vnet_links create"), ip_create)),
        ("no-op rerun of 1000: module time", module("Vnet_links no-op"), "<= 1.0 s",
         "write requests: %s" % writes("noop_ops")),
        ("delete 1000: module / ip -batch", module("Vnet_links delete") / ip_delete,
         "<= 1.5x", "%.2fs vs %.2fs" % (module("Vnet_links delete"), ip_delete)),
        ("one vnet_veth task / one command task", times["One vnet_veth"] / times["One command ip link add"],
         "<= 1.1x", "%.3fs vs %.3fs" % (times["One vnet_veth"], times["One command ip link add"])),
        ("loop of 100 vnet_veth / one vnet_links of 100", times["Loop of vnet_veth"] / times["Vnet_links same count"],
         "report", "%.2fs vs %.2fs" % (times["Loop of vnet_veth"], times["Vnet_links same count"])),
    ]
    fleet_1, fleet_10 = fleet_seconds(1), fleet_seconds(10)
    rows.append(("fleet of %d netns hosts: forks 1 / forks 10" % FLEET_SIZE, fleet_1 / fleet_10, "report",
                 "%.1fs vs %.1fs" % (fleet_1, fleet_10)))
    print("%-48s %10s  %-9s %s" % ("benchmark", "figure", "target", "detail"))
    for name, figure, target, detail in rows:
        print("%-48s %10.2f  %-9s %s" % (name, figure, target, detail))
    print("(medians: 1000 links over %d rounds, ip -batch first in half of them, each step on a settled kernel; "
          "single tasks and the ping task over %d; the ping task, the fixed Ansible cost, is subtracted: %.3fs)"
          % (len(rounds), len(samples["One vnet_veth"]), ping))


if __name__ == "__main__":
    sys.exit(main())
