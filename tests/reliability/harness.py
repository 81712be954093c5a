"""Run the collection's modules the way Ansible does, and read the kernel with iproute2.

A module runs as Ansible's local AnsiballZ wrapper ends up running it: the module's main(),
reading its arguments from a JSON file (``{"ANSIBLE_MODULE_ARGS": {...}}``), in a fork of
the test process that imported the module once (``Running``). That is milliseconds of
overhead a run instead of ~0.3 s for a fresh Python and ~3 s for a playbook (seconds more
under the VM tier's emulated CPU), which is what makes a large table affordable.

The oracle is iproute2 (``ip -d -j``, ``bridge -d -j``, ``tc -j``; ``ipvsadm -S -n`` where
IPVS exists), never the module's own reading. Volatile fields (counters, timers, DAD state,
operstate) are dropped so that two dumps of an untouched namespace are byte-identical.
"""

import difflib
import importlib
import json
import os
import secrets
import select
import signal
import stat
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

COLLECTION = Path(__file__).resolve().parents[2]
COLL_ROOT = COLLECTION.parents[2]
PYTHON = sys.executable
PREFIX = "vnet-rel-"
NETNS_DIR = Path("/run/netns")
TUN_DEVICE = "/dev/net/tun"

# Keys whose values change without anyone touching the namespace.
VOLATILE_KEYS = {"stats", "stats64", "operstate", "valid_life_time", "preferred_life_time", "tentative",
                 "carrier_changes", "carrier_up_count", "carrier_down_count"}
# Carrier flags follow UP asynchronously (the kernel's linkwatch runs up to a second later).
VOLATILE_FLAGS = {"LOWER_UP", "NO-CARRIER", "M-DOWN"}


class Result:
    """What a module run printed (its JSON result), with its exit status and stderr."""

    def __init__(self, rc, stdout, stderr, elapsed):
        self.rc, self.stdout, self.stderr, self.elapsed = rc, stdout, stderr, elapsed
        self.json = parse_result(stdout)

    @property
    def failed(self):
        return self.rc != 0 or bool(self.json.get("failed"))

    @property
    def msg(self):
        return self.json.get("msg", "")

    @property
    def changed(self):
        return self.json.get("changed")

    def __getitem__(self, key):
        return self.json[key]

    def get(self, key, default=None):
        return self.json.get(key, default)

    def __repr__(self):
        return "Result(rc=%s, msg=%r, %s, stderr=%r)" % (
            self.rc, self.msg, json.dumps(self.json)[:1500], self.stderr[-1500:])


def parse_result(stdout):
    """The module's JSON result: the last line of stdout that is a JSON object."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return {}


def module_path(name):
    return COLLECTION / "plugins" / "modules" / ("%s.py" % name)


def args_file(name, args, check, diff):
    """A JSON args file as Ansible's wrapper hands it to a module; the caller removes it."""
    payload = {"ANSIBLE_MODULE_ARGS": dict(args, _ansible_check_mode=check, _ansible_diff=diff, _ansible_module_name=name)}
    handle, path = tempfile.mkstemp(prefix="vnet-rel-args-", suffix=".json")
    with os.fdopen(handle, "w") as args_file:
        json.dump(payload, args_file)
    os.chmod(path, 0o644)  # readable by a run as another user (setpriv --reuid)
    return path


def run_module(name, args, check=False, diff=True, prefix=(), timeout=300):
    """Run one module to completion; returns its Result."""
    return Running(name, args, check, diff, prefix).wait(timeout)


class Running:
    """One module run, started at once; ``wait()`` gives its Result (two at a time: races).

    The run is a fork of this process with the module imported, calling the module's main() with
    the args file, as Ansible's wrapper does once its zip is on sys.path: no Python start and imports
    per run (seconds each under the VM tier's emulated CPU). Each fork starts from the same state
    (nothing was run here). With a ``prefix`` (setpriv as another user) the module file is exec'd
    by the venv's Python instead, the collections root on PYTHONPATH."""

    def __init__(self, name, args, check=False, diff=True, prefix=()):
        self.path = args_file(name, args, check, diff)
        self.output = [tempfile.TemporaryFile(mode="w+") for _stream in ("stdout", "stderr")]
        self.start = time.monotonic()
        if prefix:
            env = dict(os.environ, PYTHONPATH=str(COLL_ROOT), ANSIBLE_COLLECTIONS_PATH=str(COLL_ROOT))
            self.proc = subprocess.Popen(list(prefix) + [PYTHON, str(module_path(name)), self.path], env=env,
                                         stdout=self.output[0], stderr=self.output[1])
        else:
            self.proc = ForkedModule(name, self.path, *self.output)

    def wait(self, timeout=300):
        try:
            returncode = self.proc.wait(timeout)
        finally:
            os.unlink(self.path)
        stdout, stderr = (self.read(stream) for stream in self.output)
        return Result(returncode, stdout, stderr, time.monotonic() - self.start)

    @staticmethod
    def read(stream):
        stream.seek(0)
        text = stream.read()
        stream.close()
        return text


class ForkedModule:
    """main() of a collection module in a child of this process, stdout and stderr into the given files."""

    def __init__(self, name, path, stdout, stderr):
        module = importlib.import_module("ansible_collections.vnet.linux.plugins.modules." + name)
        self.pid = os.fork()
        if self.pid == 0:
            self.run_child(module, path, stdout, stderr)

    @staticmethod
    def run_child(module, path, stdout, stderr):
        code = 1
        try:
            os.dup2(stdout.fileno(), 1)
            os.dup2(stderr.fileno(), 2)
            # pytest's capture replaced sys.stdout/sys.stderr: the module prints to the files instead.
            sys.stdout, sys.stderr = open(1, "w", closefd=False), open(2, "w", closefd=False)
            sys.argv = [module.__file__, path]
            module.main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        except BaseException:  # a crash is a result too: its traceback on stderr, exit status 1
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def wait(self, timeout):
        pidfd = os.pidfd_open(self.pid)
        try:
            if not select.select([pidfd], [], [], timeout)[0]:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                raise subprocess.TimeoutExpired("module run (pid %d)" % self.pid, timeout)
        finally:
            os.close(pidfd)
        return os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])


def start_playbook(playbook):
    """ansible-playbook on localhost, in the background (races between whole runs)."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLL_ROOT), ANSIBLE_NOCOLOR="1")
    return subprocess.Popen([str(Path(PYTHON).parent / "ansible-playbook"), "-i", "localhost,", str(playbook)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_playbook(proc, timeout=300):
    """(exit status, output) of a playbook started by start_playbook()."""
    output = proc.communicate(timeout=timeout)[0]
    return proc.returncode, output


# --- the oracle ---------------------------------------------------------------------

def sh(*argv, check=True, input=None):
    proc = subprocess.run(argv, capture_output=True, text=True, input=input, check=False)
    if check and proc.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (" ".join(argv), proc.returncode, proc.stderr.strip()))
    return proc.stdout


def ip_json(netns, *argv):
    out = sh("ip", "-n", netns, "-j", *argv)
    return json.loads(out) if out.strip() else []


def links(netns):
    """``ip -d -j link show`` of the namespace, by name."""
    return dict((link["ifname"], link) for link in ip_json(netns, "-d", "link", "show"))


def addresses(netns, dev):
    """Addresses (CIDR) of one device, sorted, from ``ip -j addr``."""
    info = ip_json(netns, "addr", "show", "dev", dev)
    return sorted("%s/%d" % (a["local"], a["prefixlen"]) for entry in info for a in entry.get("addr_info", []))


def strip_volatile(value):
    if isinstance(value, dict):
        return dict((key, [f for f in item if f not in VOLATILE_FLAGS] if key == "flags" else strip_volatile(item))
                    for key, item in value.items() if key not in VOLATILE_KEYS and not key.endswith("_timer"))
    if isinstance(value, list):
        return [strip_volatile(item) for item in value]
    return value


def snapshot(netns, ipvs=False):
    """Everything a module could change in ``netns``, as canonical JSON text."""
    state = {
        "links": ip_json(netns, "-d", "link", "show"),
        "addresses": [dict(ifname=e["ifname"], addr_info=e.get("addr_info", []))
                      for e in ip_json(netns, "addr", "show")],
        "brports": json.loads(sh("bridge", "-n", netns, "-d", "-j", "link", "show") or "[]"),
        "qdiscs": json.loads(sh("tc", "-n", netns, "-j", "qdisc", "show") or "[]"),
    }
    state["filters"] = dict(
        (q["dev"], json.loads(sh("tc", "-n", netns, "-j", "filter", "show", "dev", q["dev"], "ingress") or "[]"))
        for q in state["qdiscs"] if q["kind"] in ("ingress", "clsact"))
    if ipvs:
        state["ipvs"] = sh("ip", "netns", "exec", netns, "ipvsadm", "-S", "-n").splitlines()
    return json.dumps(strip_volatile(state), sort_keys=True, indent=1)


def our_namespaces():
    """Named namespaces of this suite (other engineers' namespaces come and go meanwhile)."""
    return sorted(name for name in os.listdir(NETNS_DIR) if name.startswith(PREFIX)) if NETNS_DIR.exists() else []


def world(*namespaces, ipvs=False, watch=()):
    """Snapshots of several namespaces, and whether each namespace named in ``watch`` exists (only
    those: other runs of this suite may create and delete theirs meanwhile)."""
    return json.dumps({"netns": existing(watch),
                       "state": dict((ns, json.loads(snapshot(ns, ipvs))) for ns in namespaces)},
                      sort_keys=True, indent=1)


def existing(names):
    """Whether a namespace of each name exists."""
    return dict((name, os.path.exists(os.path.join(NETNS_DIR, name))) for name in names)


def settled(*namespaces, ipvs=False, watch=(), timeout=5.0):
    """A world() taken once two consecutive dumps agree (a device just brought up gets its IPv6
    link-local address and carrier a moment later)."""
    deadline = time.monotonic() + timeout
    previous = world(*namespaces, ipvs=ipvs, watch=watch)
    while True:
        time.sleep(0.15)
        current = world(*namespaces, ipvs=ipvs, watch=watch)
        if current == previous or time.monotonic() > deadline:
            return current
        previous = current


def assert_same(before, after, what="kernel state"):
    if before != after:
        diff = "\n".join(difflib.unified_diff(before.splitlines(), after.splitlines(), "before", "after", lineterm=""))
        raise AssertionError("%s changed:\n%s" % (what, diff))


# --- namespaces -----------------------------------------------------------------------

def new_netns_name(tag):
    return "%s%s-%s" % (PREFIX, tag, secrets.token_hex(3))


def add_netns(name):
    sh("ip", "netns", "add", name)
    # No IPv6 link-local addresses: they appear asynchronously after a device comes up and would
    # make before/after dumps flap. IPv6 itself keeps working (declared addresses are added).
    sh("ip", "netns", "exec", name, "sh", "-c", "echo 1 >/proc/sys/net/ipv6/conf/all/addr_gen_mode && "
       "echo 1 >/proc/sys/net/ipv6/conf/default/addr_gen_mode")
    sh("ip", "-n", name, "link", "set", "lo", "up")
    return name


def ensure_tun_device():
    """tun/tap devices need /dev/net/tun, which the VM tier's guest (no udev, tun not loaded) lacks."""
    if os.path.exists(TUN_DEVICE):
        return
    sh("modprobe", "tun", check=False)
    if not os.path.exists(TUN_DEVICE):
        os.makedirs(os.path.dirname(TUN_DEVICE), exist_ok=True)
        os.mknod(TUN_DEVICE, stat.S_IFCHR | 0o600, os.makedev(10, 200))


def del_netns(name):
    sh("ip", "netns", "delete", name, check=False)


def batch(netns, commands):
    """Run iproute2 commands (one per line) in the namespace with ``ip -batch``."""
    sh("ip", "-n", netns, "-batch", "-", input="\n".join(commands) + "\n")
