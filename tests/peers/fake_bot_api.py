#!/usr/bin/env python3
"""A local stand-in for Telegram's Bot API, for rehearsing `salespulse serve`
and `salespulse bot` on one machine: answers getMe, getUpdates (nothing
new), send* and the setup calls like Telegram does, and logs each call as a
JSON line (method, chat, text or photo count) to stdout.

Usage: python3 tests/peers/fake_bot_api.py --port 8081
       SALESPULSE_TELEGRAM_API_URL=http://127.0.0.1:8081 salespulse serve
"""
import argparse
import json
import re
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MESSAGE_ID = [100]


def message(chat):
    MESSAGE_ID[0] += 1
    return {"message_id": MESSAGE_ID[0], "date": int(time.time()),
            "chat": {"id": chat, "type": "private" if chat > 0 else "group", "first_name": "x", "title": "x"}}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        method = self.path.rsplit("/", 1)[-1].lower()
        ctype = self.headers.get("Content-Type", "")
        fields = {}
        if "json" in ctype and body:
            fields = json.loads(body)
        elif body:
            # multipart: pick the chat_id and count the photos
            m = re.search(rb'name="chat_id"\r\n\r\n(-?\d+)', body)
            if m:
                fields["chat_id"] = int(m.group(1))
            fields["photos"] = body.count(b'filename=')
        chat = int(fields.get("chat_id", 0) or 0)
        if method == "getme":
            result = {"id": 1, "is_bot": True, "first_name": "Pulse", "username": "pulse_bot",
                      "can_join_groups": True, "can_read_all_group_messages": False,
                      "supports_inline_queries": False, "can_connect_to_business": False,
                      "has_main_web_app": False}
        elif method == "getupdates":
            time.sleep(min(float(fields.get("timeout", 0) or 0), 2.0))
            result = []
        elif method == "sendmessage":
            result = message(chat)
        elif method == "sendphoto":
            result = message(chat)
        elif method == "sendmediagroup":
            result = [message(chat) for _ in range(max(fields.get("photos", 2), 2))]
        else:
            result = True
        if method not in ("getupdates",):
            text = fields.get("text", "")
            print(json.dumps({"at": time.strftime("%H:%M:%S"), "method": method, "chat": chat,
                              "text": text[:80], "photos": fields.get("photos")}, ensure_ascii=False),
                  flush=True)
        out = json.dumps({"ok": True, "result": result}).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (a long poll cut short at shutdown)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=8081)
    a = p.parse_args()
    ThreadingHTTPServer(("127.0.0.1", a.port), Handler).serve_forever()


if __name__ == "__main__":
    sys.exit(main())
