#!/usr/bin/env bash
# Pull benchmark: a fake Bitrix24 portal and a fake amoCRM account on
# loopback (the test servers, answering like the real APIs) holding 100,000
# calls and 10,000 deals with their history, tasks, meetings and comments,
# pulled into a fresh SQLite database. Prints records/s and requests made.
# The CRMs' own rate limits (Bitrix24 2 requests/s, amoCRM 7) are lifted in
# the test config, so the figure is our side's throughput; the line also
# says how long the same requests take at the real rate.
# Usage: bash bench/pull.sh [CALLS] [DEALS]   (a debug build of the tests)
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_CALLS=${1:-100000} BENCH_DEALS=${2:-10000}
cargo test --quiet --test it bench_pull -- --ignored --nocapture
