#!/usr/bin/env bash
# Every line accounted for in a mixed good/bad Master.csv of 1,000,000 lines:
# lines read = legs stored + lines rejected + blank lines.
# Usage: bash bench/mixed.sh [LINES] [BIN]
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-1000000}
bin=${2:-target/release/salespulse}
data=bench/data
mkdir -p "$data"
[ -x "$bin" ] || cargo build --release --quiet
"$bin" generate-cdr --rows "$lines" --out "$data/Master-good-$lines.csv" > /dev/null
python3 bench/mixed.py "$data/Master-good-$lines.csv" "$data/Master-mixed-$lines.csv"
db="$data/mixed.db"
rm -f "$db" "$db-wal" "$db-shm"
sed "s#sqlite://unused.db#sqlite://$db#" tests/fixtures/salespulse.toml > "$data/mixed.toml"
/usr/bin/time -f "wall %e s, peak memory %M KB" \
  "$bin" --config "$data/mixed.toml" ingest --source pbx "$data/Master-mixed-$lines.csv" | head -1
physical=$(wc -l < "$data/Master-mixed-$lines.csv")
blank=$(grep -c -a -x -E '[[:space:]]*' "$data/Master-mixed-$lines.csv" || true)
legs=$(sqlite3 "$db" "SELECT SUM(legs) FROM calls")
rejected=$(sqlite3 "$db" "SELECT COUNT(*) FROM ingest_errors")
echo "physical lines $physical = legs stored $legs + rejected $rejected + blank $blank ?"
if [ "$physical" -eq $((legs + rejected + blank)) ]; then echo "every line accounted for"; else echo "LINES MISSING"; exit 1; fi
