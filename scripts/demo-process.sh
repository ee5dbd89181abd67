#!/usr/bin/env bash
# The core mechanism alone: starts a python3 process, snapshots it half-way (the original is
# killed), shows the image, and restores it: it counts on from where it stopped, with its PID.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"
spice="$root/bin/spice"
"$spice" --version >/dev/null                      # builds on first use
work=$(mktemp -d /tmp/spice-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "== starting python3 (numpy imported) =="
# Its stdout is a pipe (restore hands the restored process the restoring command's stdout).
mkfifo "$work/out"
cat "$work/out" &
OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$root/scripts/demo-process-counter.py" </dev/null >"$work/out" &
pid=$!
sleep 1.8
echo "== spice snapshot --pid $pid =="
"$spice" snapshot --pid "$pid" --image "$work/demo.img"
wait "$pid" 2>/dev/null || true                   # reap the original (killed by the snapshot)
echo "== spice inspect (first lines) =="
"$spice" inspect --image "$work/demo.img" | head -6
echo "== spice restore =="
"$spice" restore --image "$work/demo.img" --timings
