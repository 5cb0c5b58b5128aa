"""JsSIP in headless Chromium against a live osprey over WSS (RFC 7118): the browser's own
WebSocket and TLS, not Node's. A page (tests/interop/js/browser_register.html, with JsSIP 3.13
bundled for the browser by esbuild at the start of the test) is served by a small HTTP server
of the test on 127.0.0.1 and reports each step back to it with a POST.

  1. The WebSocket opens with the "sip" subprotocol (RFC 7118 §4) to osprey's WSS listener, whose
     certificate (from a test CA) Chromium trusts by its public key only
     (--ignore-certificate-errors-spki-list): any other certificate would still fail.
  2. alice REGISTERs with digest: 401, then 200.
  3. Her MESSAGE to carol, a UDP phone registered with digest: 200, and carol receives the body.
  4. carol's MESSAGE to alice (407, then 200 with digest): the page receives the body.
  5. [websocket] allowed_origins lists the page's origin (http://127.0.0.1:port): the same page
     loaded from http://localhost:port, another origin, cannot open the WebSocket (osprey
     answers the handshake 403) and never registers.
"""

import base64
import hashlib
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import js_agents as js  # noqa: E402
import osprey_harness as h  # noqa: E402
import sip_digest as d  # noqa: E402

USERS = {"alice": "alice-browser-secret", "carol": "carol-udp-secret"}
CHROMIUM = "/usr/bin/chromium"
STEP_TIMEOUT = 20.0


def aor(user):
    return f"sip:{user}@127.0.0.1"


def spki_hash(cert_path):
    """base64(SHA-256(SubjectPublicKeyInfo)) of a PEM certificate, as Chromium's
    --ignore-certificate-errors-spki-list takes it."""
    public_key = h.check(h.run(["openssl", "x509", "-in", cert_path, "-noout", "-pubkey"])).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=public_key.encode(),
                         capture_output=True, timeout=30, check=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def bundle_jssip(site):
    """JsSIP's lib as one browser script (window.JsSIP), with the esbuild of tests/interop/js."""
    esbuild = os.path.join(js.JS_DIR, "node_modules", ".bin", "esbuild")
    entry = os.path.join(js.JS_DIR, "node_modules", "jssip", "lib", "JsSIP.js")
    return h.run([esbuild, entry, "--bundle", "--format=iife", "--global-name=JsSIP", "--platform=browser",
                  "--log-level=warning", f"--outfile={os.path.join(site, 'jssip.js')}"], timeout=60)


class PageServer:
    """Serves `site` on 127.0.0.1 and records the JSON events the page POSTs to /event."""

    def __init__(self, site):
        self.events = []
        self.lock = threading.Condition()
        recorder = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=site, **kwargs)

            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = min(int(self.headers.get("Content-Length") or 0), 1 << 20)
                body = self.rfile.read(length)
                try:
                    event = json.loads(body)
                except ValueError:
                    event = {"event": "unparsed", "body": body[:200].decode(errors="replace")}
                with recorder.lock:
                    recorder.events.append(event)
                    recorder.lock.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def first_of(self, names, timeout, **fields):
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for event in self.events:
                    if event.get("event") in names and all(event.get(k) == v for k, v in fields.items()):
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.lock.wait(min(remaining, 0.2))

    def clear(self):
        with self.lock:
            self.events = []

    def dump(self):
        print("--- page events:")
        with self.lock:
            for event in self.events:
                if event.get("event") == "frame":
                    print(f"    {event['direction']}:\n{event.get('text', '')}")
                else:
                    print("   ", json.dumps(event)[:400])

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class Chromium:
    """Headless Chromium on one URL with a fresh profile; its whole process group is stopped."""

    def __init__(self, work, url, spki):
        self.profile = tempfile.mkdtemp(prefix="chromium-", dir=work)
        self.log_path = os.path.join(work, "chromium.log")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-extensions", "--disable-default-apps", "--disable-domain-reliability",
             "--disable-client-side-phishing-detection", "--disable-features=MediaRouter,Translate,OptimizationHints",
             "--mute-audio", "--no-proxy-server",
             # Only the test's own names resolve: the browser reaches nothing but 127.0.0.1.
             "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
             f"--user-data-dir={self.profile}",
             f"--ignore-certificate-errors-spki-list={spki}", url],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def dump(self):
        with open(self.log_path, errors="replace") as f:
            print("--- chromium log (tail)\n" + f.read()[-3000:])


def register_udp(port, user, sock):
    client = d.UdpClient(port, sock=sock)
    _, final, _ = client.authenticated("REGISTER", f"sip:127.0.0.1:{port}", aor(user), aor(user), user,
                                       USERS[user], extra=[f"Contact: <sip:{user}@127.0.0.1:{client.port}>",
                                                           "Expires: 600"])
    return d.status_of(final)


def prepare_site(site, checks):
    """The page and JsSIP bundled for the browser, in `site`; False if esbuild failed."""
    os.makedirs(site)
    bundled = bundle_jssip(site)
    if not checks.expect(bundled.returncode == 0, f"esbuild bundles JsSIP for the browser ({bundled.stderr[-500:]})"):
        return False
    shutil.copy(os.path.join(js.JS_DIR, "browser_register.html"), os.path.join(site, "index.html"))
    return True


def page_url(host, page, wss_port, body):
    query = urllib.parse.urlencode({"ws": f"wss://127.0.0.1:{wss_port}", "uri": aor("alice"),
                                    "password": USERS["alice"], "peer": aor("carol"), "body": body})
    return f"http://{host}:{page.port}/index.html?{query}"


def case_browser(work, page, port, wss_port, certs, checks):
    carol_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    carol_sock.bind(("127.0.0.1", 0))
    status = register_udp(port, "carol", carol_sock)
    checks.expect(status == 200, f"carol (UDP) registers with digest: 200 ({status})")
    carol = h.UdpRecorder(answer=200, sock=carol_sock, requests_only=True)
    body = "héllo carol ✓ from JsSIP in Chromium"
    browser = Chromium(work, page_url("127.0.0.1", page, wss_port, body), spki_hash(certs["cert"]))
    failed_before = len(checks.failed)
    try:
        opened = page.first_of(("ws_open", "ws_close", "page_error"), STEP_TIMEOUT)
        opened_ok = opened is not None and opened["event"] == "ws_open" and opened.get("protocol") == "sip"
        if not checks.expect(opened_ok, f"Chromium's WebSocket opens to osprey's WSS listener with the sip "
                                        f"subprotocol ({opened})"):
            return
        registered = page.first_of(("registered", "registration_failed", "page_error"), STEP_TIMEOUT)
        checks.expect(registered is not None and registered["event"] == "registered"
                      and registered.get("status") == 200,
                      f"JsSIP in Chromium REGISTERs over WSS with digest: 200 ({registered})")
        sent = page.first_of(("message_sent", "message_failed"), STEP_TIMEOUT)
        checks.expect(sent is not None and sent["event"] == "message_sent" and sent.get("status") == 200,
                      f"its MESSAGE to carol (UDP): 200 ({sent})")
        arrived = [m for m in carol.wait_for(1, STEP_TIMEOUT) if m.startswith(b"MESSAGE ")]
        checks.expect(any(m.split(b"\r\n\r\n", 1)[-1] == body.encode() for m in arrived),
                      f"carol's UDP socket receives the body ({arrived[:1]})")
        if registered is not None and registered["event"] == "registered":
            reply_body = "carol's answer to the browser ✓"
            client = d.UdpClient(port)
            try:
                first, final, _ = client.authenticated("MESSAGE", aor("alice"), aor("carol"), aor("alice"), "carol",
                                                       USERS["carol"], body=reply_body.encode(),
                                                       extra=["Contact: <sip:carol@127.0.0.1>"])
            finally:
                client.close()
            checks.expect(d.status_of(first) == 407 and d.status_of(final) == 200,
                          f"carol's MESSAGE to alice in Chromium: 407, then 200 ({d.status_of(first)}, "
                          f"{d.status_of(final)})")
            received = page.first_of(("message_received",), STEP_TIMEOUT, body=reply_body)
            checks.expect(received is not None and received.get("from") == aor("carol"),
                          f"the page receives carol's MESSAGE body ({received})")
    finally:
        browser.stop()
        carol.close()
        if len(checks.failed) > failed_before:
            page.dump()
            browser.dump()


def case_other_origin(work, page, wss_port, certs, checks):
    """The same page from another origin (http://localhost:port, not in allowed_origins): osprey
    refuses the WebSocket handshake (403), so the page never registers."""
    page.clear()
    browser = Chromium(work, page_url("localhost", page, wss_port, "never sent"), spki_hash(certs["cert"]))
    failed_before = len(checks.failed)
    try:
        outcome = page.first_of(("ws_open", "ws_close", "registered", "page_error"), STEP_TIMEOUT)
        checks.expect(outcome is not None and outcome["event"] == "ws_close",
                      f"a page from http://localhost (an origin not allowed) cannot open the WebSocket ({outcome})")
        time.sleep(0.5)
        checks.expect(page.first_of(("ws_open", "registered"), 0) is None, "and it never registers")
    finally:
        browser.stop()
        if len(checks.failed) > failed_before:
            page.dump()
            browser.dump()


def main():
    args = h.parse_args()
    checks = h.Failures()
    missing = js.missing_prerequisites()
    if missing is None and not os.access(CHROMIUM, os.X_OK):
        missing = f"{CHROMIUM} is not installed (scripts/bootstrap.sh installs the chromium package)"
    if missing:
        checks.expect(False, missing)
        checks.finish()
    started = time.monotonic()
    with h.temp_dir() as work:
        certs = h.make_certificates(os.path.join(work, "pki"))
        site = os.path.join(work, "site")
        if not prepare_site(site, checks):
            checks.finish()
        page = PageServer(site)
        try:
            port, wss_port = h.free_port(), h.free_port()
            listens = h.udp_and_tcp(port) + [{"transport": "wss", "address": "127.0.0.1", "port": wss_port,
                                              "certificate": certs["cert"], "private_key": certs["key"]}]
            # Browsers send their page's Origin; osprey admits only the listed ones (none by default).
            extra = f'[websocket]\nallowed_origins = ["http://127.0.0.1:{page.port}"]\n'
            server = h.Osprey(args.osprey, work, listens, authentication=True, extra_toml=extra)
            imported = h.import_accounts(args.osprey, server.config, {aor(u): p for u, p in USERS.items()})
            checks.expect(imported.returncode == 0,
                          f"osprey user import ({imported.stdout.strip()} {imported.stderr.strip()})")
            with server:
                case_browser(work, page, port, wss_port, certs, checks)
                case_other_origin(work, page, wss_port, certs, checks)
            h.expect_clean_stop(checks, server)
        finally:
            page.close()
    print(f"took {time.monotonic() - started:.1f} s", flush=True)
    checks.finish()


if __name__ == "__main__":
    main()
