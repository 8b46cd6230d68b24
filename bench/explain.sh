#!/usr/bin/env bash
# Query plans of the queries that load a scope (src/storage/load/), on the
# 12-manager demo: EXPLAIN QUERY PLAN in SQLite, and EXPLAIN in Postgres after
# loading the same files there. Look for SEARCH ... USING INDEX, not SCAN.
# The tasks and deals of a period come twice: each person's (one query with
# every condition) and each condition's (ranges, and the period's moves).
# Usage: bash bench/explain.sh [postgres://postgres@127.0.0.1:5432/test]
set -euo pipefail
cd "$(dirname "$0")/.."
pg=${1:-postgres://postgres@127.0.0.1:5432/test}
data=bench/data/explain
bin=$PWD/target/release/salespulse
cargo build --release --quiet
mkdir -p "$data" && cd "$data"
"$bin" demo --end 2026-11-20 > /dev/null

# One manager's day, 2026-11-19 in Moscow: [1763499600, 1763586000).
queries=$(cat <<'SQL'
SELECT * FROM calls WHERE started_at >= 1763499600 AND started_at < 1763586000 AND employee_id IN ('m001', 'm002') ORDER BY started_at, id;
WITH n(number) AS (VALUES ('79000000001'), ('79000000002')) SELECT n.number, (SELECT c.started_at FROM calls c WHERE c.number = n.number AND c.started_at < 1763586000 ORDER BY c.started_at LIMIT 1), (SELECT c.started_at FROM calls c WHERE c.number = n.number AND c.started_at < 1763586000 AND c.talk_seconds >= 40 ORDER BY c.started_at LIMIT 1) FROM n;
SELECT phone, MIN(created_at) FROM deals WHERE phone IN ('79000000001', '79000000002') GROUP BY phone;
SELECT * FROM deals WHERE (closed_at >= 1763499600 OR created_at >= 1763499600 OR EXISTS (SELECT 1 FROM stage_changes c WHERE c.deal_ext = deals.external_id AND c.source = deals.source AND c.changed_at >= 1763499600 AND c.changed_at < 1763586000)) AND employee_id IN ('m001', 'm002');
SELECT * FROM deals WHERE closed_at >= 1763499600 AND employee_id IN ('m001', 'm002');
SELECT * FROM deals WHERE created_at >= 1763499600 AND (closed_at IS NULL OR closed_at < 1763499600) AND employee_id IN ('m001', 'm002');
SELECT d.* FROM stage_changes c CROSS JOIN deals d WHERE c.changed_at >= 1763499600 AND c.changed_at < 1763586000 AND d.source = c.source AND d.external_id = c.deal_ext AND d.created_at < 1763499600 AND (d.closed_at IS NULL OR d.closed_at < 1763499600) AND d.employee_id IN ('m001', 'm002');
SELECT * FROM stage_changes WHERE changed_at >= 1760821200 AND deal_ext IN ('10001', '10002') ORDER BY changed_at;
SELECT * FROM tasks WHERE (completed_at >= 1763499600 OR due_at >= 1763499600 OR created_at >= 1763499600 OR (source, external_id) IN (SELECT source, task_ext FROM task_postponements WHERE changed_at >= 1763499600 AND changed_at < 1763586000)) AND employee_id IN ('m001', 'm002');
SELECT * FROM tasks WHERE completed_at >= 1763499600 AND employee_id IN ('m001', 'm002');
SELECT * FROM tasks WHERE due_at >= 1763499600 AND (completed_at IS NULL OR completed_at < 1763499600) AND employee_id IN ('m001', 'm002');
SELECT * FROM tasks WHERE created_at >= 1763499600 AND due_at < 1763499600 AND (completed_at IS NULL OR completed_at < 1763499600) AND employee_id IN ('m001', 'm002');
SELECT t.* FROM task_postponements p CROSS JOIN tasks t WHERE p.changed_at >= 1763499600 AND p.changed_at < 1763586000 AND t.source = p.source AND t.external_id = p.task_ext AND t.created_at < 1763499600 AND t.due_at < 1763499600 AND (t.completed_at IS NULL OR t.completed_at < 1763499600) AND t.employee_id IN ('m001', 'm002');
SELECT * FROM tasks WHERE deal_ext IN ('10001', '10002');
SELECT * FROM task_postponements WHERE task_ext IN ('t10001', 't10002');
SELECT * FROM activities WHERE at >= 1762894800 AND at < 1763593200 AND employee_id IN ('m001', 'm002');
SELECT * FROM activities WHERE at >= 1762894800 AND at < 1763593200 AND deal_ext IN ('10001', '10002');
SELECT * FROM comments WHERE at >= 1762894800 AND at < 1763593200 AND employee_id IN ('m001', 'm002');
SELECT * FROM comments WHERE at >= 1762894800 AND at < 1763593200 AND deal_ext IN ('10001', '10002');
SQL
)

echo "== SQLite: EXPLAIN QUERY PLAN"
while IFS= read -r q; do
  echo "-- $q" | cut -c1-150
  sqlite3 salespulse-demo.db "EXPLAIN QUERY PLAN $q" | sed 's/^/   /'
done <<< "$queries"

if psql "$pg" -c 'SELECT 1' > /dev/null 2>&1; then
  echo "== Postgres: EXPLAIN (the same files ingested into a fresh schema)"
  schema=sp_explain
  psql -q "$pg" -c "SET client_min_messages = warning; DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema;"
  url="$pg?options=-c%20search_path%3D$schema"
  SALESPULSE_DATABASE_URL="$url" "$bin" --config salespulse-demo.toml ingest --source pbx salespulse-demo-data/Master.csv > /dev/null
  SALESPULSE_DATABASE_URL="$url" "$bin" --config salespulse-demo.toml ingest --source crm salespulse-demo-data/crm > /dev/null
  psql -q "$pg" -c "SET search_path = $schema; ANALYZE;"
  while IFS= read -r q; do
    echo "-- $q" | cut -c1-150
    psql -qAt "$pg" -c "SET search_path = $schema; EXPLAIN $q" | sed 's/^/   /'
  done <<< "$queries"
  psql -q "$pg" -c "SET client_min_messages = warning; DROP SCHEMA $schema CASCADE;"
else
  echo "Postgres at $pg is not reachable: its plans are skipped."
fi
