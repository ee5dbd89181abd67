#!/usr/bin/env bash
# The demo: the serverless engine on this machine. Starts `spice serve`, deploys two functions
# (boot, warm-up, snapshot), invokes them cold (restored from the snapshot) and warm with the
# timing breakdown, calls the AWS Lambda Invoke API with curl, shows the metrics, and stops.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"
spice="$root/bin/spice"
"$spice" --version >/dev/null                      # builds on first use
state=$(mktemp -d /tmp/spice-demo.XXXXXX)
port=${SPICE_DEMO_PORT:-9876}
export SPICE_ENDPOINT="http://127.0.0.1:$port"
export SPICE_STATE_DIR="$state"    # where the CLI finds the key the server creates (requests are signed)
"$spice" serve --port "$port" --state-dir "$state" --deploy-root "$root/functions" >"$state/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; rm -rf "$state"' EXIT
for _ in $(seq 100); do curl -sf "$SPICE_ENDPOINT/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "$SPICE_ENDPOINT/healthz" >/dev/null || { cat "$state/serve.log"; exit 1; }

step() { printf '\n== %s\n' "$*"; }
step "spice serve is listening on $SPICE_ENDPOINT (state in $state)"
step "spice deploy functions/hello      (boot, warm-up events, prepare, snapshot)"
"$spice" deploy "$root/functions/hello"
step "spice deploy functions/numpy_stats"
"$spice" deploy "$root/functions/numpy_stats"
step "spice functions"
"$spice" functions
step "spice invoke hello --cold         (a new instance restored from the snapshot)"
"$spice" invoke hello --payload '{"name": "demo"}' --cold
step "spice invoke hello                (the warm instance)"
"$spice" invoke hello --payload '{"name": "again"}' --timings
step "spice invoke numpy_stats --cold"
"$spice" invoke numpy_stats --payload @"$root/functions/numpy_stats/event.json" --cold
step "the AWS Lambda Invoke API, with curl, signed with the server's key (AWS Signature V4)"
key=$(awk -F' = ' '$1 == "aws_access_key_id" {print $2}' "$state/credentials")
secret=$(awk -F' = ' '$1 == "aws_secret_access_key" {print $2}' "$state/credentials")
aws=(--aws-sigv4 "aws:amz:us-east-1:lambda" --user "$key:$secret")
curl -s "${aws[@]}" -X POST "$SPICE_ENDPOINT/2015-03-31/functions/hello/invocations" -d '{"name": "curl"}' \
    -D "$state/headers"
echo
grep -iE '^(x-amz-executed-version|x-spice-path|x-spice-duration-ms):' "$state/headers"
step "the same request unsigned: refused as AWS Lambda refuses it"
curl -s -X POST "$SPICE_ENDPOINT/2015-03-31/functions/hello/invocations" -d '{"name": "curl"}' -w ' (HTTP %{http_code})'
echo
step "metrics (GET /metrics)"
curl -s "${aws[@]}" "$SPICE_ENDPOINT/metrics" | grep -E '^spice_(invocations_total|instances)\{'
