#!/usr/bin/env bash
# Prepares the benchmark functions under functions/ (idempotent, quick when done): runs
# scripts/setup.sh, installs the Debian packages the functions import, then generates their
# inputs (JSON document, JPEG, MP4, trained models) with functions/generate_inputs.py, and the
# npm packages of the Node.js functions (functions/*/package-lock.json) with npm ci.
# The VM modes' QEMU and guest (vm-cold, vm-ws) are set up by scripts/vm-setup.sh, which the bench
# runs only when one of them is selected (a first build takes minutes), as it does CRIU's setup.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"
packages=(python3-pyaes python3-chameleon python3-pil python3-sklearn python3-joblib
          python3-torch python3-torchvision python3-opencv python3-numpy ffmpeg)
source "$root/scripts/packages.sh"
install_missing "spice bench-setup" --no-install-recommends -- "${packages[@]}"
# Debian's python3 (the one functions run with), never a python3 found first on PATH.
/usr/bin/python3 -B "$root/functions/generate_inputs.py"
# npm (Debian's, unless node came with its own) installs exactly what each lock file pins; a stamp
# in node_modules holding the lock file's digest makes a second run skip it.
command -v npm >/dev/null || install_missing "spice bench-setup" --no-install-recommends -- npm
for lock in "$root"/functions/*/package-lock.json; do
    dir=$(dirname "$lock")
    digest=$(sha256sum "$lock" | cut -d' ' -f1)
    [[ $(cat "$dir/node_modules/.spice-lock-sha256" 2>/dev/null) == "$digest" ]] && continue
    echo "spice bench-setup: npm ci in functions/$(basename "$dir")" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
    echo "$digest" >"$dir/node_modules/.spice-lock-sha256"
done
