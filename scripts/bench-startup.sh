#!/usr/bin/env bash
# How fast the command line and a freshly started server are (issue 14): wall time of bin/spice
# --version, invoke --cold without a server, invoke through a server, and the first restores after
# `bin/spice serve` starts against the steady state. Needs root. Usage: scripts/bench-startup.sh [RUNS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"
source "$root/scripts/env.sh"
"$root/bin/spice" --version >/dev/null             # builds what is stale, trains the start-up caches
"$root/bin/spice" serve --help >/dev/null
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
    -cp "$root/bench/target/spice-bench.jar:$root/bench/target/lib/*" dev.spice.bench.StartupBench \
    "$root/bin/spice" "$root/functions/hello" "${1:-10}"
