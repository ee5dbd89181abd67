#!/usr/bin/env bash
# Fuzzes the image reader for real: scripts/fuzz.sh [DURATION]   (default 30m; 90s, 2h, ... as Jazzer reads them)
# One fuzzing JVM (Jazzer, ImageReaderFuzzTest); the corpus it grows is kept in .cache/fuzz-corpus (outside
# git) and resumed by the next run. A finding fails the run and is left in
# image/src/test/resources/dev/spice/image/ImageReaderFuzzTestInputs/readsAnyFileCleanly/crash-*:
# fix the reader, commit the input with the fix, and every `mvn verify` replays it.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
source "$root/scripts/env.sh"
duration=${1:-30m}
corpus="$root/.cache/fuzz-corpus/image-reader"
inputs="$root/image/src/test/resources/dev/spice/image/ImageReaderFuzzTestInputs/readsAnyFileCleanly"
log="$root/.cache/fuzz-$(date +%Y%m%d-%H%M%S).log"
mkdir -p "$corpus"
before=$(find "$corpus" -type f | wc -l)
findings_before=$(find "$inputs" -name 'crash-*' | sort)

echo "fuzz: image reader for $duration; corpus $corpus ($before inputs); log $log"
status=0
(cd "$root" && mvn -B -pl image -am verify -Dtest=ImageReaderFuzzTest -Dsurefire.failIfNoSpecifiedTests=false \
    -Dfuzz.duration="$duration" -Dfuzz.corpus="$corpus") 2>&1 | sed 's/\x1b\[[0-9;]*m//g' > "$log" || status=$?

grep -E '^#[0-9]+ +(INITED|DONE)|^Done [0-9]+ runs|^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' \
    "$log" | awk '!seen[$0]++' || true
echo "fuzz: corpus $(find "$corpus" -type f | wc -l) inputs (was $before), $(du -sh "$corpus" | cut -f1)"
new_findings=$(comm -13 <(echo "$findings_before") <(find "$inputs" -name 'crash-*' | sort) | sed '/^$/d')
if [[ -n "$new_findings" ]]; then
    echo "fuzz: FINDINGS (kept as regression inputs):"
    echo "$new_findings"
    grep -m3 -E 'FuzzTestFindingException|^Caused by' "$log" || true
fi
if [[ $status -ne 0 ]]; then
    echo "fuzz: failed (status $status), see $log" >&2
fi
exit $status
