#!/usr/bin/env bash
# `make matrix`: the support matrix's second row. With the newest ansible-core on
# Python 3.12 (VENV, from matrix-requirements.txt): the unit tests, ansible-test
# sanity, and a tarball built by that ansible-galaxy, installed and smoke-tested.
# Usage: matrix.sh VENV CLEAN_COPY OUT_DIR (run from the work tree).
set -euo pipefail
venv=$(realpath "$1") clean=$2 out=$3
tools=$PWD/tests
export PATH=$venv/bin:$PATH

step() {  # step NAME COMMAND...: runs it, says how long it took
    local start=$SECONDS
    "${@:2}"
    echo "matrix: $1 ok ($((SECONDS - start)) s)"
}

# ansible-test seeds pip in its sanity venvs with a script it cannot download
# here; the same stand-in as the sanity tier's (Makefile), for this pip version.
pip_version=$(python -c "import types; from ansible_test._internal.python_requirements import get_venv_packages as g; \
print(g(types.SimpleNamespace(version='3.12'))['pip'])")
mkdir -p ~/.ansible/test/cache && cp "$tools/tools/get_pip_offline.py" ~/.ansible/test/cache/get_pip_"${pip_version//./_}".py

echo "matrix: $(ansible --version | sed -n 1p), $(python --version)"
step "unit" bash -c "cd '$clean' && python -m pytest -q tests/unit -p no:cacheprovider"
step "sanity" bash -c "cd '$clean' && ansible-test sanity --local --python 3.12 --color no"
rm -rf "$out" && mkdir -p "$out"
ansible-galaxy collection build --output-path "$out" "$clean" >/dev/null
step "install the tarball, run a module and a role from it" "$tools/release/smoke.sh" "$venv/bin" "$out"/vnet-linux-*.tar.gz
