#!/usr/bin/env bash
# The whole default test suite: builds everything (Java and C) and runs every test. Needs root.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"
source "$root/scripts/env.sh"
cd "$root"
mvn -B -q verify "$@" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
echo "spice: all tests passed"
