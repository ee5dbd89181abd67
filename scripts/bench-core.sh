#!/usr/bin/env bash
# Measures capture and restore (hot and cold page cache) of a python3+numpy process and a
# 256 MiB C process. Needs root (it drops the page cache). Usage: scripts/bench-core.sh [RUNS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"
source "$root/scripts/env.sh"
(cd "$root" && mvn -q -B -Dmaven.test.skip=true -DskipTests package 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2)
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
    -cp "$root/bench/target/spice-bench.jar:$root/bench/target/lib/*" dev.spice.bench.CoreBench "$@"
