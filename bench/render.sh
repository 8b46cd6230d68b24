#!/usr/bin/env bash
# Render benchmark: the full morning digest of a 50-manager team (figures,
# templates, Telegram split and every chart), with each chart's time in the log.
# Usage: bash bench/render.sh
set -euo pipefail
cd "$(dirname "$0")/.."
data=bench/data/render
bin=$PWD/target/release/salespulse
cargo build --release --quiet
mkdir -p "$data" && cd "$data"
[ -f salespulse-demo.db ] || "$bin" demo --managers 50 --days 30 --end 2026-11-20 > /dev/null
for i in 1 2 3; do
  RUST_LOG=salespulse=info NO_COLOR=1 /usr/bin/time -f "full digest: wall %e s" "$bin" --config salespulse-demo.toml \
    report digest --team moscow --date 2026-11-20 --now 2026-11-21T06:00:00Z --out out > /dev/null 2> log.txt
  grep -E "full digest" log.txt
done
sed 's/\x1b\[[0-9;]*m//g' log.txt | grep -oE "(loaded the scope.*seconds=[0-9.]+|computed the figures seconds=[0-9.]+|chart=[a-z0-9-]+ millis=[0-9.]+)" \
  | sed -E 's/loaded the scope.*seconds=/load: s=/' | sort | uniq | head -60
