#!/usr/bin/env bash
# `make release-check`: is this tree releasable? Rendered docs up to date and
# lint-clean, a tarball free of generated files, galaxy-importer clean on it,
# and the installed tarball works (smoke.sh). Prints each step with its time.
# Usage: check.sh VENV_BIN CLEAN_COPY OUT_DIR (run from the work tree, with the
# clean copy on ANSIBLE_COLLECTIONS_PATH: the Makefile does both).
set -euo pipefail
bin=$1 clean=$2 out=$3
here=tests/release

step() {  # step NAME COMMAND...: runs it, says how long it took
    local start=$SECONDS
    "${@:2}"
    echo "release-check: $1 ok ($((SECONDS - start)) s)"
}

importer() {  # importer TARBALL: galaxy-importer passes and logs no warning or error
    local log=$out/galaxy-importer.log config=$PWD/$here/galaxy-importer.cfg
    # It writes importer_result.json into the current directory: keep that out of the tree.
    (cd "$out" && GALAXY_IMPORTER_CONFIG=$config "$bin/python" -m galaxy_importer.main "$1") >"$log" 2>&1 \
        || { cat "$log"; return 1; }
    if grep -E '^(WARNING|ERROR):' "$log"; then
        echo "galaxy-importer: warnings or errors above (full log: $log)" >&2
        return 1
    fi
}

step "docs/reference is up to date" "$bin/python" $here/docs.py --check docs/reference
step "antsibull-docs lint-collection-docs --plugin-docs" "$bin/antsibull-docs" lint-collection-docs \
    --plugin-docs --output-format simplified-rst "$clean"
step "build the tarball; build_ignore keeps generated files out" $here/build.sh . "$out"
tarball=$(echo "$out"/vnet-linux-*.tar.gz)
step "galaxy-importer" importer "$tarball"
step "install the tarball, run a module and a role from it" $here/smoke.sh "$bin" "$tarball"
