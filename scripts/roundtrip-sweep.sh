#!/usr/bin/env bash
# The long sweep of generated memory layouts (GeneratedLayoutTest): each seed builds a layout,
# is captured, restored and checked byte for byte. Usage: scripts/roundtrip-sweep.sh [SEEDS] [HEAP_MIB]
# SEEDS is a list of seeds and ranges (default 1-200), HEAP_MIB the brk heap of each (default 64).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"
source "$root/scripts/env.sh"
cd "$root"
mvn -B -q -pl tests -am verify -Dfuzz.skip=true -Dtest=GeneratedLayoutTest -Dsurefire.failIfNoSpecifiedTests=false \
    -Dspice.layout.seeds="${1:-1-200}" -Dspice.layout.heapMib="${2:-64}" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
echo "spice: every generated layout round-tripped"
