#!/usr/bin/env bash
# Ingest benchmark: 1,000,000 generated Asterisk CDR rows into SQLite, next to
# sqlite3's own .import of the same file into a plain table with the same
# three B-trees as the calls table: the unique id, agent + time, number + time.
# Usage: bash bench/ingest.sh [ROWS]
#        REFERENCE=/path/to/an/earlier/salespulse bash bench/ingest.sh
#                                  # the same load by an earlier build first
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
data=bench/data
bin=target/release/salespulse
mkdir -p "$data"
cargo build --release --quiet

if [ ! -f "$data/Master-$rows.csv" ]; then
  "$bin" generate-cdr --rows "$rows" --out "$data/Master-$rows.csv"
fi
ls -l "$data/Master-$rows.csv"

# A config with 500 managers mapped to their extensions (the demo's), and a fresh database.
"$bin" demo --managers 500 --days 1 --end 2026-11-20 --db "$data/config-only.db" \
  --data-dir "$data/demo" --config-out "$data/bench.toml" --out "$data/out" > /dev/null
rm -f "$data/ingest.db" "$data/ingest.db-wal" "$data/ingest.db-shm"

if [ -n "${REFERENCE:-}" ]; then
  echo "== the reference build, $REFERENCE"
  rm -f "$data/reference.db" "$data/reference.db-wal" "$data/reference.db-shm"
  SALESPULSE_DATABASE_URL="sqlite://$data/reference.db" /usr/bin/time -f "wall %e s, peak memory %M KB" \
    "$REFERENCE" --config "$data/bench.toml" ingest --source pbx "$data/Master-$rows.csv"
fi

echo "== salespulse ingest (SQLite, WAL, indexes built after the load)"
SALESPULSE_DATABASE_URL="sqlite://$data/ingest.db" /usr/bin/time -f "wall %e s, peak memory %M KB" \
  "$bin" --config "$data/bench.toml" ingest --source pbx "$data/Master-$rows.csv"

echo "== sqlite3 .import into a plain table with three B-trees (unique id, agent + time, number + time)"
rm -f "$data/import.db"
cols=$(printf 'c%d TEXT,' $(seq 1 21)); cols=${cols%,}
sqlite3 "$data/import.db" "CREATE TABLE cdr ($cols); CREATE UNIQUE INDEX cdr_uniqueid ON cdr (c17); \
  CREATE INDEX cdr_agent_time ON cdr (c6, c10); CREATE INDEX cdr_number_time ON cdr (c3, c10);"
/usr/bin/time -f "wall %e s, peak memory %M KB" \
  sqlite3 "$data/import.db" ".mode csv" ".import $data/Master-$rows.csv cdr"
sqlite3 "$data/import.db" "SELECT COUNT(*) || ' rows imported' FROM cdr"
