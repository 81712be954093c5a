#!/usr/bin/env bash
# Prints, one per line, the integration targets whose aliases file has the line
# needs/stock-kernel: they run in the VM tier, and the host run excludes them.
set -euo pipefail
shopt -s nullglob

targets_dir=$(dirname "${BASH_SOURCE[0]}")/../integration/targets
for aliases in "$targets_dir"/*/aliases; do
    if grep -qxE '[[:space:]]*needs/stock-kernel[[:space:]]*' "$aliases"; then
        basename "$(dirname "$aliases")"
    fi
done
