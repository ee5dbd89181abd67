#!/usr/bin/env bash
# Measures capture and restore (hot and cold page cache) of a python3+numpy process and a
# 256 MiB C process. Needs root (it drops the page cache). Usage: scripts/bench-core.sh [RUNS]
exec "$(dirname "${BASH_SOURCE[0]}")/bench-main.sh" CoreBench "$@"
