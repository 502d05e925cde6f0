#!/usr/bin/env bash
# Scaling out: the same load from wrk (a C load generator, so the client takes little of the 2 cores the
# server needs) against 1 and then 2 uvicorn worker processes. The Python load script
# (benchmarks/load_test.py) checks every answer's segments; this one only measures how far workers scale.
#
#   bash benchmarks/wrk_scaling.sh [SECONDS] [CONNECTIONS]     (needs `apt-get install wrk`)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"; connections="${2:-32}"; port="${PORT:-47100}"
data="${DATA:-../shared/data/dev}"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# The request bodies are read from the dev data at run time; nothing of it is kept.
.venv/bin/python -c '
import glob, json, sys
for path in sorted(glob.glob(sys.argv[1] + "/*.jsonl")):
    for line in open(path, encoding="utf-8"):
        print(json.dumps(json.loads(line)["request"], ensure_ascii=False))
' "$data" > "$work/bodies.txt"
for workers in 1 2; do
  .venv/bin/uvicorn app:app --host 127.0.0.1 --port "$port" --workers "$workers" --log-level warning \
    > "$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 90); do curl -sf "http://127.0.0.1:$port/v2/health" >/dev/null && break; sleep 1; done
  sleep 3  # every worker warm
  printf '%s worker(s), %s connections, %s s: ' "$workers" "$connections" "$seconds"
  BODIES="$work/bodies.txt" wrk -t2 -c"$connections" -d"${seconds}s" -s benchmarks/wrk_cycle.lua \
    "http://127.0.0.1:$port" | tail -n 1
  kill "$server"; wait "$server" 2>/dev/null || true; sleep 2
done
