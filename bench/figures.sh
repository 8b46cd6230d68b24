#!/usr/bin/env bash
# Figures benchmark: every figure for every manager of a 500-manager team, for
# one day and for a month, on a generated 90-day database; then the same day's
# per-manager call counts and talk time by one hand-written query in sqlite3.
# Usage: bash bench/figures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
data=bench/data/big
bin=$PWD/target/release/salespulse
cargo build --release --quiet
mkdir -p "$data"
cd "$data"
if [ ! -f salespulse-demo.db ]; then
  "$bin" demo --managers 500 --days 90 --end 2026-11-20 | head -3
fi
day=2026-11-19
for period in "$day $day" "2026-10-21 $day"; do
  set -- $period
  echo "== report figures --team moscow --from $1 --to $2 (JSON, 500 managers)"
  /usr/bin/time -f "wall %e s, peak memory %M KB" "$bin" --config salespulse-demo.toml report figures \
    --team moscow --from "$1" --to "$2" --now 2026-11-20T06:00:00Z --format json > figures-$1-$2.json
  ls -l figures-$1-$2.json | awk '{print "JSON bytes:", $5}'
done
echo "== the same day's calls and talk time per manager, one SQL query in sqlite3"
# 2026-11-19 in Europe/Moscow is [2026-11-18 21:00, 2026-11-19 21:00) UTC.
sqlite3 salespulse-demo.db <<'SQL'
.timer on
SELECT COUNT(*) AS managers, SUM(calls) AS calls, SUM(talk) AS talk_seconds FROM (
  SELECT employee_id, COUNT(*) AS calls, SUM(talk_seconds) AS talk
  FROM calls
  WHERE started_at >= strftime('%s', '2026-11-18 21:00:00') AND started_at < strftime('%s', '2026-11-19 21:00:00')
    AND direction <> 'internal' AND employee_id IS NOT NULL
  GROUP BY employee_id);
SQL
echo "== the same totals from the JSON"
python3 - "figures-$day-$day.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
calls = sum(e["telephony"]["calls_out"]["value"] + e["telephony"]["calls_in"]["value"] for e in r["employees"])
talk = sum(e["telephony"]["talk_time"]["value"] for e in r["employees"])
print(f"managers {len(r['employees'])}, calls {calls:.0f}, talk_seconds {talk:.0f}")
PY
