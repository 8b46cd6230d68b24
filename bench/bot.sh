#!/usr/bin/env bash
# Chat answer latency: `/me` answered 1,000 times (server side: the figures
# query and the card, no Telegram round trip) on the generated 500-manager,
# 90-day database, as `salespulse ask` times it.
# Usage: bash bench/bot.sh
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
for text in "/me" "/kpi"; do
  echo "== $text as a manager, 1,000 times"
  "$bin" --config salespulse-demo.toml ask --as m042 "$text" --repeat 1000 \
    --now 2026-11-20T06:00:00Z > /dev/null
done
