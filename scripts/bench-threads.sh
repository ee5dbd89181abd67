#!/usr/bin/env bash
# Measures restore time against the number of threads (1, 4, 16, 64) of a C process whose threads
# park in pthread_cond_wait. Needs root. Usage: scripts/bench-threads.sh [RUNS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"
source "$root/scripts/env.sh"
(cd "$root" && mvn -q -B -Dmaven.test.skip=true -DskipTests package 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2)
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
    -cp "$root/bench/target/spice-bench.jar:$root/bench/target/lib/*" dev.spice.bench.ThreadBench "$@"
