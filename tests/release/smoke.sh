#!/usr/bin/env bash
# Installs the release tarball into an empty collections path and runs smoke.yml
# (a module, the netns connection, a role) from that installed copy, twice: the
# second run must change nothing. No repository path is on ANSIBLE_COLLECTIONS_PATH,
# and the run starts in a scratch directory, so nothing resolves to the source tree.
# Usage: smoke.sh VENV_BIN TARBALL
set -euo pipefail
bin=$1 tarball=$(realpath "$2")
work=$(mktemp -d /tmp/vnet-release-smoke.XXXXXX)
ns=vnet-rel-$$  # everything the smoke creates lives in this namespace
trap 'ip netns delete "$ns" 2>/dev/null || true; rm -rf "$work"' EXIT

export ANSIBLE_COLLECTIONS_PATH=$work/collections
# --no-deps: Galaxy is unreachable here; the smoke needs nothing outside vnet.linux.
"$bin/ansible-galaxy" collection install --offline --no-deps -p "$ANSIBLE_COLLECTIONS_PATH" "$tarball" >/dev/null
found=$("$bin/ansible-galaxy" collection list vnet.linux --format json | jq -r 'keys[]')
if [[ $found != "$ANSIBLE_COLLECTIONS_PATH/ansible_collections" ]]; then
    echo "smoke: vnet.linux must be found only in the installed copy, found in: $found" >&2
    exit 1
fi

cp "$(dirname "$0")/smoke.yml" "$work/"
printf 'localhost\n[vnet_release_smoke]\n%s\n' "$ns" >"$work/inventory"
cd "$work"
for run in first second; do
    "$bin/ansible-playbook" -i inventory smoke.yml >"$run.log" 2>&1 || { cat "$run.log"; exit 1; }
    echo "smoke: $run run:" && grep -E '^\S+ +: ok=' "$run.log"
done
if grep -E ': ok=.* changed=[1-9]' second.log >/dev/null; then
    echo "smoke: the second run changed something (see above)" >&2
    exit 1
fi
