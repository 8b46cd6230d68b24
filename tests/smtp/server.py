#!/usr/bin/env python3
"""SMTP servers for the email tests, built on aiosmtpd (a real SMTP server).

Starts four servers on 127.0.0.1, each on a free port:
  plain     no encryption, no login (a local relay)
  starttls  STARTTLS required, certificate signed by a CA made here
  tls       implicit TLS from the first byte, same certificate
  auth      STARTTLS and AUTH (PLAIN/LOGIN) required

Every message taken is stored as DIR/store/<recipient>/<n>.eml, so a test
finds its own messages by the address it sent to. Addresses steer faults:
  unknown...@   refused at RCPT with 550 (an unknown mailbox)
  tempfailN-...@ answered 451 at DATA for the first N tries

When all four listen, DIR/servers.json tells the ports, the CA file and the
login. Usage: python3 tests/smtp/server.py --dir DIR
"""

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER = "reports@example.com"
PASSWORD = "s3cret-Pa55"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certificates(d):
    """A CA and a server certificate for localhost and 127.0.0.1 signed by it."""
    ca_key, ca_pem = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
    key, csr, pem = (os.path.join(d, n) for n in ("server.key", "server.csr", "server.pem"))
    ext = os.path.join(d, "server.ext")
    with open(ext, "w") as f:
        f.write(
            "basicConstraints=CA:FALSE\n"
            "keyUsage=digitalSignature,keyEncipherment\n"
            "extendedKeyUsage=serverAuth\n"
            "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
        )
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key,
        "-out", ca_pem, "-days", "3650", "-subj", "/CN=salespulse test CA")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
        "-subj", "/CN=localhost")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key,
        "-CAcreateserial", "-out", pem, "-days", "3650", "-extfile", ext)
    return ca_pem, pem, key


class Store:
    """Takes messages, refusing the addresses that ask for it."""

    def __init__(self, root):
        self.root = root
        self.tries = {}
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@")[0].lower().startswith("unknown"):
            return "550 5.1.1 <%s>: mailbox unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                m = re.match(r"tempfail(\d+)-", rcpt)
                if m:
                    self.tries[rcpt] = self.tries.get(rcpt, 0) + 1
                    if self.tries[rcpt] <= int(m.group(1)):
                        return "451 4.3.0 Try again later (%d)" % self.tries[rcpt]
            for rcpt in envelope.rcpt_tos:
                folder = os.path.join(self.root, rcpt.lower())
                os.makedirs(folder, exist_ok=True)
                n = len(os.listdir(folder))
                with open(os.path.join(folder, "%d.eml" % n), "wb") as f:
                    f.write(envelope.original_content or envelope.content)
        return "250 2.0.0 OK stored"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == USER
        and auth_data.password.decode() == PASSWORD
    )
    # handled=False: aiosmtpd answers 535 itself (the default leaves the client waiting).
    return AuthResult(success=ok, handled=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    d = os.path.abspath(args.dir)
    store = os.path.join(d, "store")
    os.makedirs(store, exist_ok=True)
    ca_pem, pem, key = make_certificates(d)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pem, key)
    handler = Store(store)
    common = dict(hostname="127.0.0.1", server_hostname="localhost")
    ports = {name: free_port() for name in ("plain", "starttls", "tls", "auth")}
    controllers = [
        Controller(handler, port=ports["plain"], **common),
        Controller(handler, port=ports["starttls"], tls_context=context,
                   require_starttls=True, **common),
        Controller(handler, port=ports["tls"], ssl_context=context, **common),
        Controller(handler, port=ports["auth"], tls_context=context, require_starttls=True,
                   authenticator=authenticator, auth_required=True, auth_require_tls=True,
                   **common),
    ]
    for c in controllers:
        c.start()
    info = dict(ports, ca_file=ca_pem, store=store, user=USER, password=PASSWORD)
    tmp = os.path.join(d, "servers.json.tmp")
    with open(tmp, "w") as f:
        json.dump(info, f)
    os.replace(tmp, os.path.join(d, "servers.json"))
    print("smtp test servers ready: %s" % json.dumps(ports), flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    for c in controllers:
        c.stop()


if __name__ == "__main__":
    sys.exit(main())
