#!/usr/bin/env bash
# The head's requests on a large department, on SQLite and on Postgres, in one
# run: /team, /top месяц, report digest (KPI block and charts), report kpi
# --month, report figures for one day (JSON) against the same day's calls and
# talk time per manager by one hand-written indexed query in sqlite3, and /me
# p50/p99. Each with its wall time and peak memory.
#
# Usage: bash bench/scale.sh                 # 500 managers x 90 days
#        MANAGERS=100 DAYS=30 bash bench/scale.sh
#        SCALE=1 bash bench/scale.sh         # then the scale table (long)
#        SCALE=1 SCALE_MANAGERS="50 500" SCALE_DAYS="30 90" bash bench/scale.sh
#                                            # a part of it
#        PG=postgres://postgres@127.0.0.1:5432/test bash bench/scale.sh
#        REFERENCE=/path/to/an/earlier/salespulse bash bench/scale.sh
#                                            # the same requests by an earlier
#                                            # build first, side by side
#        REFERENCE_DIR=folder                # its copy of the department, when
#                                            # this build's schema is newer
#        PG=none bash bench/scale.sh         # SQLite only
# The department is generated once per size under bench/data/ and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=$root/target/release/salespulse
cargo build --release --quiet
managers=${MANAGERS:-500}
days=${DAYS:-90}
pg=${PG:-postgres://postgres@127.0.0.1:5432/test}
end=2026-11-20
day=2026-11-19
month=2026-11
now=2026-11-20T06:00:00Z

# One timed command: wall seconds and peak memory, its output kept aside.
timed() {
  local label=$1
  shift
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" > "$tmp/out" 2> "$tmp/err" || {
    echo "FAILED: $label" >&2
    tail -5 "$tmp/err" >&2
    return 1
  }
  read -r wall kb < "$tmp/time"
  printf '%-34s %8.2f s %8d MB\n' "$label" "$wall" $((kb / 1024))
}

# Generates (once) the department of $1 managers over $2 days.
department() {
  local dir=$root/bench/data/scale-$1x$2
  mkdir -p "$dir"
  if [ ! -f "$dir/salespulse-demo.db" ]; then
    (cd "$dir" && "$bin" demo --managers "$1" --days "$2" --end "$end" > demo.log)
  fi
  echo "$dir"
}

# The daily roll-up computed ahead of the first request, as an admin runs it
# after a large ingest (this build; an earlier one has no roll-up): the config
# $1 in the folder $2.
rollup() {
  cd "$2"
  timed "rollup (after the load)" "$bin" --config "$1" rollup --now "$now"
  cat "$tmp/out"
  cd "$root"
}

# The requests of the table, against the config $1 (in the folder $2), by
# the binary $3 (this build by default).
requests() {
  local config=$1 dir=$2
  local bin=${3:-$bin}
  cd "$dir"
  timed "/team (head)" "$bin" --config "$config" ask --as head "/team" --now "$now"
  timed "/top месяц (head)" "$bin" --config "$config" ask --as head "/top месяц" --now "$now"
  timed "report digest" "$bin" --config "$config" report digest --team moscow --date "$day" \
    --out "$tmp/digest" --now "$now"
  timed "report kpi --month" "$bin" --config "$config" report kpi --team moscow --month "$month" \
    --now "$now"
  timed "report figures, one day, JSON" "$bin" --config "$config" report figures --team moscow \
    --from "$day" --to "$day" --format json --now "$now"
  figures_wall=$wall
  "$bin" --config "$config" ask --as m042 "/me" --repeat 200 --now "$now" 2>&1 > /dev/null \
    | grep -iE "p50|p99" | sed 's/^/\/me x200: /' || true
  cd "$root"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

dir=$(department "$managers" "$days")
echo "== SQLite, $managers managers x $days days ($(du -h "$dir/salespulse-demo.db" | cut -f1))"
if [ -n "${REFERENCE:-}" ]; then
  echo "-- the reference build, $REFERENCE"
  requests salespulse-demo.toml "${REFERENCE_DIR:-$dir}" "$REFERENCE"
  echo "-- this build"
fi
rollup salespulse-demo.toml "$dir"
requests salespulse-demo.toml "$dir"
# A pull of the last day: one more call on it (ids of its own in each run)
# drops its caller's days from it; the next /team computes them again.
suffix=$(date +%s%N | cut -c8-13)
(cd "$dir" && grep -m1 "\"$day " salespulse-demo-data/Master.csv \
  | sed -E "s/\"([0-9]{10})\\.([0-9]+)\"/\"\\1.\\2$suffix\"/g" > "$tmp/late.csv")
(cd "$dir" && "$bin" --config salespulse-demo.toml ingest --source pbx "$tmp/late.csv" > /dev/null)
cd "$dir"
timed "/team after a pull of the day" "$bin" --config salespulse-demo.toml ask --as head "/team" --now "$now"
cd "$root"
# 2026-11-19 in Europe/Moscow is [2026-11-18 21:00, 2026-11-19 21:00) UTC.
/usr/bin/time -f "%e %M" -o "$tmp/time" sqlite3 "$dir/salespulse-demo.db" > "$tmp/sql" <<'SQL'
SELECT COUNT(*), SUM(calls), SUM(talk) FROM (
  SELECT employee_id, COUNT(*) AS calls, SUM(talk_seconds) AS talk
  FROM calls
  WHERE started_at >= strftime('%s', '2026-11-18 21:00:00') AND started_at < strftime('%s', '2026-11-19 21:00:00')
    AND direction <> 'internal' AND employee_id IS NOT NULL
  GROUP BY employee_id);
SQL
read -r sql_wall sql_kb < "$tmp/time"
printf '%-34s %8.2f s %8d MB   (%s)\n' "sqlite3: the day per manager" "$sql_wall" $((sql_kb / 1024)) "$(cat "$tmp/sql")"
python3 -c "import sys; f, s = float(sys.argv[1]), max(float(sys.argv[2]), 0.01); print(f'report figures / sqlite3 aggregate: {f / s:.1f}x')" \
  "$figures_wall" "$sql_wall"

if [ "$pg" != none ] && psql "$pg" -Atqc "SELECT 1" > /dev/null 2>&1; then
  # The same files into a fresh Postgres schema; measured right after the load.
  schema=bench_scale
  psql "$pg" -qc "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" > /dev/null
  sep='?'
  [[ $pg == *\?* ]] && sep='&'
  url="$pg${sep}options=-c%20search_path%3D$schema"
  sed "s|^database_url = .*|database_url = \"$url\"|" "$dir/salespulse-demo.toml" > "$dir/pg.toml"
  echo "== Postgres, the same department, right after its load"
  cd "$dir"
  timed "ingest calls (Master.csv)" "$bin" --config pg.toml ingest --source pbx salespulse-demo-data/Master.csv
  timed "ingest CRM files" "$bin" --config pg.toml ingest --source crm salespulse-demo-data/crm
  cd "$root"
  rollup pg.toml "$dir"
  requests pg.toml "$dir"
else
  echo "== Postgres: SKIPPED, $pg does not answer"
fi

if [ "${SCALE:-0}" = 1 ]; then
  echo "== scale: report figures for one day and /team, SQLite"
  echo "   (rollup: the days since the first of last month, once after the load)"
  printf '%-10s %-6s %12s %12s %12s %12s\n' managers days "rollup, s" "figures, s" "/team, s" "kpi month, s"
  for m in ${SCALE_MANAGERS:-50 100 250 500}; do
    for d in ${SCALE_DAYS:-30 90 365}; do
      sdir=$(department "$m" "$d")
      cd "$sdir"
      # The roll-up computed afresh, as after a load.
      sqlite3 salespulse-demo.db "DELETE FROM day_figures" 2> /dev/null || true
      timed "rollup" "$bin" --config salespulse-demo.toml rollup --now "$now" > /dev/null
      r=$wall
      timed "figures" "$bin" --config salespulse-demo.toml report figures --team moscow \
        --from "$day" --to "$day" --format json --now "$now" > /dev/null
      f=$wall
      timed "team" "$bin" --config salespulse-demo.toml ask --as head "/team" --now "$now" > /dev/null
      t=$wall
      timed "kpi" "$bin" --config salespulse-demo.toml report kpi --team moscow --month "$month" \
        --now "$now" > /dev/null
      printf '%-10s %-6s %12s %12s %12s %12s\n' "$m" "$d" "$r" "$f" "$t" "$wall"
      cd "$root"
    done
  done
fi
