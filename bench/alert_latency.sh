#!/usr/bin/env bash
# How long from a missed call written to a followed Master.csv to its alert
# at the head's chat, at real speed: `salespulse serve` pulling the file
# every minute (cron "* * * * *", tick 20 s), the rule's within_mins = 1,
# and a small Bot API peer on loopback (python) that notes when each message
# arrives. The call is written with its start at the moment of writing.
# Prints the seconds from the row written to the alert received, and the
# part of it that is the rule's own minute; then, after a call back is
# written, the seconds to the edit of the alert that answers it.
# Usage: bash bench/alert_latency.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/salespulse
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

# The Bot API peer: every method answers ok; sendMessage and
# editMessageText are logged with the time they arrived.
cat > "$tmp/peer.py" <<'PY'
import http.server, json, sys, time
log = open(sys.argv[2], "a", buffering=1)
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        method = self.path.lower().rsplit("/", 1)[-1]
        if method in ("sendmessage", "editmessagetext"):
            text = json.loads(body or b"{}").get("text", "").replace("\n", " / ")
            log.write(f"{time.time():.3f}\t{method}\t{text}\n")
        result = {"message_id": 1, "date": int(time.time()), "chat": {"id": 1, "type": "private"}, "text": "x"}
        if self.path.lower().endswith("/getme"):
            result = {"id": 1, "is_bot": True, "first_name": "t", "username": "t_bot"}
        out = json.dumps({"ok": True, "result": result}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
port=$((20000 + RANDOM % 20000))
python3 "$tmp/peer.py" "$port" "$tmp/received.tsv" &
sleep 1

cat > "$tmp/alerts.toml" <<TOML
database_url = "sqlite://$tmp/alerts.db"
[[teams]]
id = "moscow"
name = "Москва"
timezone = "UTC"
work_hours = "00:00-23:59"
weekends = []
[[employees]]
id = "head"
name = "Head"
role = "head"
team = "moscow"
telegram_id = 5001
[[employees]]
id = "ivanov"
name = "Иванов Иван"
team = "moscow"
ids = { pbx = "101" }
[[sources]]
name = "pbx"
kind = "asterisk"
timezone = "UTC"
trunks = ["SIP/trunk-*"]
inbound_contexts = ["from-trunk"]
follow = "$tmp/Master.csv"
[[schedules]]
name = "pbx-every-minute"
cron = "* * * * *"
job = "pull"
source = "pbx"
[[alerts]]
rule = "missed_callback"
team = "moscow"
within_mins = 1
[telegram]
token_env = "BENCH_BOT_TOKEN"
[serve]
listen = ""
out_dir = "$tmp/out"
tick_secs = 20
TOML
touch "$tmp/Master.csv"
BENCH_BOT_TOKEN=1:bench SALESPULSE_TELEGRAM_API_URL="http://127.0.0.1:$port" \
  "$bin" --config "$tmp/alerts.toml" serve > "$tmp/serve.log" 2>&1 &
sleep 3

now=$(date -u +%s)
start=$(date -u -d "@$now" '+%Y-%m-%d %H:%M:%S')
end=$(date -u -d "@$((now + 20))" '+%Y-%m-%d %H:%M:%S')
printf '"","79031112233","600","from-trunk","""Client"" <79031112233>","SIP/trunk-1","SIP/101-2","Dial","SIP/101,20","%s","","%s",20,0,"NO ANSWER","DOCUMENTATION","%s.11","","","%s.10",1\n' \
  "$start" "$end" "$now" "$now" >> "$tmp/Master.csv"
written=$(date +%s.%N)
echo "missed call written at $(date -u +%T)"
for _ in $(seq 1 300); do
  if [ -s "$tmp/received.tsv" ]; then break; fi
  sleep 1
done
if [ ! -s "$tmp/received.tsv" ]; then
  echo "no alert within 5 minutes"; tail -20 "$tmp/serve.log"; exit 1
fi
received=$(head -1 "$tmp/received.tsv" | cut -f1)
python3 -c "import sys; w, r = float(sys.argv[1]), float(sys.argv[2]); print(f'alert received {r - w:.1f} s after the row was written (60 s of it the rule\'s within_mins)')" "$written" "$received"
head -1 "$tmp/received.tsv" | cut -f3

# The call back, written as it starts: the alert is edited.
now=$(date -u +%s)
start=$(date -u -d "@$now" '+%Y-%m-%d %H:%M:%S')
answer=$(date -u -d "@$((now + 5))" '+%Y-%m-%d %H:%M:%S')
end=$(date -u -d "@$((now + 65))" '+%Y-%m-%d %H:%M:%S')
printf '"","101","79031112233","from-internal","""Ivanov"" <101>","SIP/101-3","SIP/trunk-4","Dial","SIP/trunk/79031112233,60","%s","%s","%s",65,60,"ANSWERED","DOCUMENTATION","%s.21","","","%s.21",1\n' \
  "$start" "$answer" "$end" "$now" "$now" >> "$tmp/Master.csv"
written=$(date +%s.%N)
echo "call back written at $(date -u +%T)"
for _ in $(seq 1 300); do
  if grep -q editmessagetext "$tmp/received.tsv"; then break; fi
  sleep 1
done
if ! grep -q editmessagetext "$tmp/received.tsv"; then
  echo "no edit within 5 minutes"; tail -20 "$tmp/serve.log"; exit 1
fi
edited=$(grep editmessagetext "$tmp/received.tsv" | head -1 | cut -f1)
python3 -c "import sys; w, r = float(sys.argv[1]), float(sys.argv[2]); print(f'alert edited {r - w:.1f} s after the call back was written')" "$written" "$edited"
grep editmessagetext "$tmp/received.tsv" | head -1 | cut -f3
echo "messages sent: $(grep -c sendmessage "$tmp/received.tsv"), edits: $(grep -c editmessagetext "$tmp/received.tsv")"
