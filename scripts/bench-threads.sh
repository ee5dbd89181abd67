#!/usr/bin/env bash
# Measures restore time against the number of threads (1, 4, 16, 64) of a C process whose threads
# park in pthread_cond_wait. Needs root. Usage: scripts/bench-threads.sh [RUNS]
exec "$(dirname "${BASH_SOURCE[0]}")/bench-main.sh" ThreadBench "$@"
