#!/usr/bin/env bash
# `job = "cards"` on a large department at real speed: `salespulse serve`
# renders each manager's card of the last working day and its workers send
# them to a Bot API peer on loopback (python) that answers 429 to more than
# 30 sendMessage calls in any second, as Telegram does. Prints the cards
# sent, the seconds from the firing to the last card, the 429s given, and
# any chat that got a card twice.
# Usage: bash bench/cards.sh               # 500 managers
#        MANAGERS=100 bash bench/cards.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cargo build --release --quiet
bin=$root/target/release/salespulse
managers=${MANAGERS:-500}
data=$root/bench/data/cards-${managers}x30
mkdir -p "$data"
if [ ! -f "$data/salespulse-demo.db" ]; then
  (cd "$data" && "$bin" demo --managers "$managers" --days 30 --end 2026-11-20 > demo.log)
fi
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
cp "$data/salespulse-demo.db" "$tmp/"

# The Bot API peer: sendMessage beyond 30 in the last second gets a 429.
cat > "$tmp/peer.py" <<'PY'
import collections, http.server, json, sys, threading, time
log = open(sys.argv[2], "a", buffering=1)
lock = threading.Lock()
recent = collections.deque()
next_id = [100]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        method = self.path.lower().rsplit("/", 1)[-1]
        out = {"ok": True, "result": True}
        if method == "getme":
            out = {"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "t", "username": "t_bot",
                   "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False,
                   "can_connect_to_business": False, "has_main_web_app": False}}
        elif method == "getupdates":
            time.sleep(1)
            out = {"ok": True, "result": []}
        elif method == "getwebhookinfo":
            out = {"ok": True, "result": {"url": "", "has_custom_certificate": False, "pending_update_count": 0}}
        elif method == "sendmessage":
            chat = json.loads(body or b"{}").get("chat_id")
            now = time.time()
            with lock:
                while recent and now - recent[0] >= 1.0:
                    recent.popleft()
                if len(recent) >= 30:
                    log.write(f"{now:.3f}\t429\t{chat}\n")
                    out = {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}}
                else:
                    recent.append(now)
                    next_id[0] += 1
                    log.write(f"{now:.3f}\tsent\t{chat}\n")
                    out = {"ok": True, "result": {"message_id": next_id[0], "date": int(now), "chat": {"id": chat, "type": "private"}, "text": "x"}}
        data = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
port=$((20000 + RANDOM % 20000))
python3 "$tmp/peer.py" "$port" "$tmp/received.tsv" &
sleep 1

# The demo's config, every manager with a chat, cards at 09:00 Moscow.
python3 - "$data/salespulse-demo.toml" "$tmp/cards.toml" "$tmp" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
n = [0]
def chat(m):
    n[0] += 1
    return m.group(0) + f"\ntelegram_id = {900000 + n[0]}"
# Employees' entries only (a plan names a role too).
text = re.sub(r'role = "manager"(?=\n(position|team) )', chat, text)
text = re.sub(r'database_url = .*', f'database_url = "sqlite://{sys.argv[3]}/salespulse-demo.db"', text)
text = text.split("[[schedules]]")[0]
text += '''
[[schedules]]
name = "morning-cards"
cron = "0 9 * * 1-5"
job = "cards"
team = "moscow"

[telegram]
token_env = "BENCH_BOT_TOKEN"

[serve]
listen = ""
out_dir = "%s/out"
tick_secs = 1
''' % sys.argv[3]
open(sys.argv[2], "w").write(text)
PY
BENCH_BOT_TOKEN=1:bench "$bin" --config "$tmp/cards.toml" check-config > /dev/null
# Friday 2026-11-20, 08:59:50 Moscow: the cards of Thursday fire at 09:00.
BENCH_BOT_TOKEN=1:bench SALESPULSE_TELEGRAM_API_URL="http://127.0.0.1:$port" \
  "$bin" --config "$tmp/cards.toml" serve --clock-start 2026-11-20T05:59:50Z --speed 1 \
  > "$tmp/serve.log" 2>&1 &
started=$(date +%s.%N)
for _ in $(seq 1 600); do
  sent=$(grep -c $'\tsent\t' "$tmp/received.tsv" 2>/dev/null || true)
  [ "${sent:-0}" -ge "$managers" ] && break
  sleep 1
done
sleep 3
python3 - "$tmp/received.tsv" "$started" "$managers" <<'PY'
import collections, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
sent = [(float(t), c) for t, k, c in rows if k == "sent"]
limited = [r for r in rows if r[1] == "429"]
per_chat = collections.Counter(c for _, c in sent)
firing = float(sys.argv[2]) + 10  # the clock started 10 s before 09:00
twice = [c for c, n in per_chat.items() if n > 1]
print(f"cards sent: {len(sent)} to {len(per_chat)} chats (managers: {sys.argv[3]})")
if sent:
    print(f"first card {sent[0][0] - firing:.1f} s after the firing, last {sent[-1][0] - firing:.1f} s")
    print(f"sending: {sent[-1][0] - sent[0][0]:.1f} s for {len(sent)} cards")
print(f"429 answers: {len(limited)}; chats with more than one card: {len(twice)}")
PY
