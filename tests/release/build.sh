#!/usr/bin/env bash
# Builds the release tarball from the work tree, as a maintainer would, and
# proves that galaxy.yml's build_ignore keeps generated files out of it:
#   1. every file in the tarball is a source file (tracked, or new and not
#      ignored by git), so nothing this tree generated leaked into it;
#   2. a copy of the sources with every kind of generated file planted in it
#      builds to the very same file list, so they stay out even when present.
# Usage: build.sh WORK_TREE OUT_DIR (the tarball goes there).
set -euo pipefail
src=$1 out=$2

# What the tools used here leave behind (venvs, VM tier, ansible-test, CPython,
# pytest, hypothesis, ansible-lint, an earlier build).
junk=(.venv/bin/python .venv-py312/pyvenv.cfg build/vm/result tests/output/junit/x.xml
      plugins/modules/__pycache__/x.cpython-311.pyc .pytest_cache/README.md
      tests/.pytest_cache/README.md .hypothesis/examples/x tests/unit/.hypothesis/examples/x
      .ansible/collections/x vnet-linux-0.0.1.tar.gz)

sources() {  # the work tree's source files, as `make collection` copies them
    git -C "$src" ls-files -co --exclude-standard | while read -r f; do [[ -e $src/$f ]] && echo "$f"; done | sort
}

build() {  # build DIR DEST: prints the file list of the tarball built from DIR
    ansible-galaxy collection build --force --output-path "$2" "$1" >/dev/null
    tar -tzf "$2"/vnet-linux-*.tar.gz | grep -v '/$' | sort
}

rm -rf "$out" && mkdir -p "$out/planted/src"
built=$(build "$src" "$out")

leaked=$(comm -23 <(echo "$built" | grep -vx 'MANIFEST.json\|FILES.json') <(sources))
if [[ -n $leaked ]]; then
    echo "build: files that are not sources are in the tarball; add them to build_ignore in galaxy.yml:" >&2
    echo "$leaked" >&2
    exit 1
fi

sources | tar -C "$src" -T - -cf - | tar -xf - -C "$out/planted/src"
for path in "${junk[@]}"; do
    mkdir -p "$(dirname "$out/planted/src/$path")" && echo junk >"$out/planted/src/$path"
done
if ! diff <(echo "$built") <(build "$out/planted/src" "$out/planted") >&2; then
    echo "build: generated files (> above) got into the tarball; add them to build_ignore in galaxy.yml" >&2
    exit 1
fi
rm -rf "$out/planted"
