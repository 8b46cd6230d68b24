#!/usr/bin/env bash
# The roll-up after a load, computed from scratch (the days since the first
# of last month), and /me answered 200 times (p50, p99), by a reference
# build and by this one, side by side on copies of the same department, for
# each history kept: how each grows with the history kept, the days shown
# staying the same.
# Usage: REFERENCE=/path/to/an/earlier/salespulse bash bench/rollup.sh
#        MANAGERS=100 HISTORY="90 365" REFERENCE=... bash bench/rollup.sh
# The departments (bench/data/history-MxD) are generated once by the
# reference build, so that both builds open them; each run works on copies.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=$root/target/release/salespulse
ref=${REFERENCE:?REFERENCE=<an earlier salespulse binary> is required}
cargo build --release --quiet
managers=${MANAGERS:-500}
end=2026-11-20
now=2026-11-20T06:00:00Z
tmp=$(mktemp -d -p "$root/bench/data")
trap 'rm -rf "$tmp"' EXIT

# The roll-up and /me by the binary $2 on a fresh copy of the department $1.
measure() {
  local src=$1 build=$2 label=$3
  rm -rf "$tmp/run" && mkdir "$tmp/run"
  cp "$src/salespulse-demo.db" "$src/salespulse-demo.toml" "$tmp/run/"
  cd "$tmp/run"
  sqlite3 salespulse-demo.db "DELETE FROM day_figures"
  /usr/bin/time -f "%e %M" -o time "$build" --config salespulse-demo.toml rollup --now "$now" \
    > /dev/null 2> err || { tail -5 err >&2; exit 1; }
  read -r wall kb < time
  me=$("$build" --config salespulse-demo.toml ask --as m042 "/me" --repeat 200 --now "$now" 2>&1 \
    > /dev/null | grep -iE "p50|p99" | tr '\n' ' ')
  printf '%-10s %8s s %6d MB   /me x200: %s\n' "$label" "$wall" $((kb / 1024)) "$me"
  cd "$root"
}

for days in ${HISTORY:-90 365}; do
  dir=$root/bench/data/history-${managers}x$days
  mkdir -p "$dir"
  if [ ! -f "$dir/salespulse-demo.db" ]; then
    (cd "$dir" && "$ref" demo --managers "$managers" --days "$days" --end "$end" > demo.log)
  fi
  echo "== $managers managers, $days days kept ($(du -h "$dir/salespulse-demo.db" | cut -f1))"
  measure "$dir" "$ref" reference
  measure "$dir" "$bin" this
done
