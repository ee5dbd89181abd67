#!/usr/bin/env bash
# Builds the project and runs one of the bench module's own programs: scripts/bench-main.sh CLASS [ARGS...]
# (CLASS in dev.spice.bench, e.g. CoreBench). bench-core.sh and bench-threads.sh call it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
main=$1
shift
"$root/scripts/setup.sh"
source "$root/scripts/env.sh"
(cd "$root" && mvn -q -B -Dmaven.test.skip=true -DskipTests package 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2)
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
    -cp "$root/bench/target/spice-bench.jar:$root/bench/target/lib/*" "dev.spice.bench.$main" "$@"
