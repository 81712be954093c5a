"""Stand-in for the get-pip bootstrap script ansible-test downloads (its host is unreachable here).

ansible-test creates each sanity virtualenv without pip and runs this file with pip
install options; we seed pip from the wheel CPython bundles (ensurepip, offline) and
hand the same options to `pip install`, which reaches PyPI as usual.
"""

import runpy
import subprocess
import sys

GET_PIP_ONLY_OPTIONS = {"--no-setuptools", "--no-wheel"}

# In a child: ensurepip.bootstrap() would blank PIP_CONFIG_FILE in our own environment,
# and the pip below needs the machine's pip.conf (index, CA bundle).
subprocess.check_call([sys.executable, "-m", "ensurepip"])
sys.argv = [sys.argv[0], "install"] + [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
runpy.run_module("pip", run_name="__main__", alter_sys=True)
