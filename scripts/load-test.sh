#!/usr/bin/env bash
# The long load test of spice serve (docs/benchmarks.md): hello, numpy_stats and hello_narrow
# (max_concurrency 2) under 3 clients each for DURATION seconds (default 180); prints the table
# and writes it to bench-results/load-TIMESTAMP/load.md. Exits non-zero if any check failed.
# Further options go to spice bench load (see its --help).
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
duration=${1:-180}
shift || true
exec "$root/bin/spice" bench load --duration "$duration" "$@"
