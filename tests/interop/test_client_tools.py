#!/usr/bin/env python3
"""`osprey options`, `osprey register`, `osprey message` and `osprey listen` against a live osprey.

Exit codes checked: 0 for a 2xx, 1 for another final response, 2 for a bad URI, 3 for a timeout
(--timeout shortens Timer F for the test), an unreachable server or a TLS server whose
certificate does not verify against --ca-file.

`osprey user` with a config named by a relative path from another working directory: the
config's relative data_dir is resolved against the config's folder, and a TLS certificate that
does not exist does not stop the tool (check-config still refuses it, naming the resolved path).
"""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402


def tool(binary, *args, stdin=None, timeout=60):
    return h.run([binary, *args], timeout=timeout, input=stdin)


def show(result):
    return f"exit {result.returncode}, out {result.stdout!r}, err {result.stderr!r}"


class UdpUas:
    """A plain UDP socket that answers every request with 200 OK, as a registered phone would."""

    def __init__(self, server_port, user):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        # From this socket: osprey sends requests to the source of the REGISTER (NAT handling).
        reply = h.udp_exchange(server_port, h.register_request(server_port, user, f"<sip:{user}@127.0.0.1:{self.port}>",
                                                               expires=120, local_port=self.port), sock=self.sock)
        self.registered = reply is not None and h.status_of(reply) == 200
        self.sock.settimeout(0.2)
        self.received = []
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while self.running:
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            text = data.decode(errors="replace")
            head = text.split("\r\n\r\n", 1)[0]
            lines = head.split("\r\n")
            if not lines or lines[0].startswith("SIP/2.0") or lines[0].startswith("ACK"):
                continue
            self.received.append(text)
            copied = [line for line in lines[1:]
                      if line.split(":", 1)[0].strip().lower() in ("via", "v", "from", "f", "to", "t",
                                                                    "call-id", "i", "cseq")]
            copied = [line + ";tag=uas1" if line.lower().startswith(("to:", "t:")) and "tag=" not in line
                      else line for line in copied]
            reply = "SIP/2.0 200 OK\r\n" + "\r\n".join(copied) + "\r\nContent-Length: 0\r\n\r\n"
            self.sock.sendto(reply.encode(), peer)

    def close(self):
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


class Listener:
    """`osprey listen` in the background; stderr is read in a thread so it never blocks."""

    def __init__(self, binary, aor, port, *extra):
        self.process = subprocess.Popen([binary, "listen", aor, "--server", f"127.0.0.1:{port}", *extra],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.err_lines = []
        self.reader = threading.Thread(target=self._read_err, daemon=True)
        self.reader.start()

    def _read_err(self):
        for line in self.process.stderr:
            self.err_lines.append(line)

    def contact(self, timeout=20):
        """The contact from "registered as <contact>, ...", or None if it does not come in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            for line in list(self.err_lines):
                found = re.match(r"registered as (\S+), waiting for messages", line)
                if found:
                    return found.group(1)
            time.sleep(0.05)
        return None

    def finish(self, timeout=30):
        """(exit code, stdout, stderr); kills it after `timeout` (exit code None then)."""
        try:
            out, _ = self.process.communicate(timeout=timeout)
            code = self.process.returncode
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate(timeout=10)
            code = None
        self.reader.join(timeout=5)
        return code, out, "".join(self.err_lines)


def bindings_of(port, user):
    """The contacts osprey holds for user@127.0.0.1 (a REGISTER without Contact is a query)."""
    reply = h.udp_exchange(port, h.register_request(port, user, local_port=5999))
    return h.contacts_of(reply) if reply is not None and h.status_of(reply) == 200 else None


def raw_request(method, contact, body="", branch=None):
    """A request to the listener's contact as osprey would forward it, from a raw UDP socket."""
    host_port = contact.split("@", 1)[1].split(";", 1)[0]
    lines = [
        f"{method} {contact} SIP/2.0",
        f"Via: SIP/2.0/UDP 127.0.0.1:5999;branch={branch or 'z9hG4bK' + uuid.uuid4().hex};rport",
        "Max-Forwards: 70",
        "From: \"Alice\" <sip:alice@127.0.0.1>;tag=raw1",
        "To: <sip:frank@127.0.0.1>",
        "Call-ID: raw-" + uuid.uuid4().hex,
        f"CSeq: 1 {method}",
    ]
    if body:
        lines.append("Content-Type: text/plain")
    lines.append(f"Content-Length: {len(body.encode())}")
    host, port = host_port.rsplit(":", 1)
    return host, int(port), ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def check_listen_count(binary, checks, port, transport, user):
    """listen --count 2 gets two messages from alice, in order, then unregisters and exits 0."""
    listener = Listener(binary, f"sip:{user}@127.0.0.1", port, "--transport", transport, "--count", "2",
                        "--expires", "60")
    contact = listener.contact()
    checks.expect(contact is not None, f"listen over {transport}: registered ({listener.err_lines!r})")
    for n in (1, 2):
        result = tool(binary, "message", f"sip:{user}@127.0.0.1", f"hello {n}", "--from", "sip:alice@127.0.0.1",
                      "--server", f"127.0.0.1:{port}", "--transport", transport, "--timeout", "10")
        checks.expect(result.returncode == 0 and "SIP/2.0 200" in result.stdout,
                      f"message {n} to listening {user} over {transport}: 200 ({show(result)})")
    code, out, err = listener.finish()
    first, second = out.find("hello 1"), out.find("hello 2")
    checks.expect(code == 0 and 0 <= first < second and out.count("sip:alice@127.0.0.1") == 2,
                  f"listen over {transport} printed both texts from alice in order and exited 0 "
                  f"(exit {code}, out {out!r}, err {err!r})")
    checks.expect(bindings_of(port, user) == [], f"{user}'s binding is gone after listen over {transport} ended")


def check_listen_signal(binary, checks, port):
    """A running listen answers 200 once per MESSAGE (retransmission absorbed), 405 to INFO,
    and on SIGINT unregisters and exits 0."""
    listener = Listener(binary, "sip:frank@127.0.0.1", port, "--expires", "60")
    contact = listener.contact()
    checks.expect(contact is not None, f"listen: registered ({listener.err_lines!r})")
    if contact is None:
        listener.finish(timeout=1)
        return
    checks.expect(len(bindings_of(port, "frank") or []) == 1, "frank has one binding while listen runs")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(3)
        branch = "z9hG4bK" + uuid.uuid4().hex
        host, target_port, message = raw_request("MESSAGE", contact, "only once", branch)
        statuses = []
        for _ in range(2):  # the same request twice: a retransmission (RFC 3261 §17.2.2)
            sock.sendto(message, (host, target_port))
            try:
                statuses.append(h.status_of(sock.recv(65535)))
            except socket.timeout:
                statuses.append(None)
        checks.expect(statuses == [200, 200], f"MESSAGE and its retransmission: 200 each ({statuses})")
        _, _, info = raw_request("INFO", contact)
        sock.sendto(info, (host, target_port))
        try:
            reply = sock.recv(65535)
        except socket.timeout:
            reply = None
        checks.expect(reply is not None and h.status_of(reply) == 405 and
                      "MESSAGE" in (h.header(reply, "Allow") or ""),
                      f"INFO to listen: 405 with Allow: MESSAGE, OPTIONS ({reply!r})")
    time.sleep(0.3)
    listener.process.send_signal(signal.SIGINT)
    code, out, err = listener.finish()
    checks.expect(code == 0 and out.count("only once") == 1 and "Alice <sip:alice@127.0.0.1>" in out,
                  f"SIGINT: exit 0, the retransmitted MESSAGE printed once (exit {code}, out {out!r}, err {err!r})")
    checks.expect(bindings_of(port, "frank") == [], "frank's binding is gone after SIGINT")


def check_tls(binary, checks, work):
    certs = h.make_certificates(os.path.join(work, "pki"))
    other = h.make_certificates(os.path.join(work, "other-pki"), name="other")
    port, tls_port = h.free_port(), h.free_port()
    listens = h.udp_and_tcp(port) + [{"transport": "tls", "address": "127.0.0.1", "port": tls_port,
                                      "certificate": certs["cert"], "private_key": certs["key"]}]
    tls_work = os.path.join(work, "tls")
    os.makedirs(tls_work, exist_ok=True)
    with h.Osprey(binary, tls_work, listens) as server:
        tls_args = ["--transport", "tls", "--ca-file", certs["ca_cert"], "--timeout", "10"]
        result = tool(binary, "options", f"sip:127.0.0.1:{tls_port}", *tls_args)
        checks.expect(result.returncode == 0 and "SIP/2.0 200" in result.stdout,
                      f"options over TLS with --ca-file: 200, exit 0 ({show(result)})")
        listener = Listener(binary, "sip:bob@127.0.0.1", tls_port, *tls_args, "--count", "1", "--expires", "60")
        contact = listener.contact()
        checks.expect(contact is not None and "transport=tls" in contact,
                      f"listen over TLS registered a TLS contact ({contact!r}, {listener.err_lines!r})")
        result = tool(binary, "message", "sip:bob@127.0.0.1", "over tls", "--from", "sip:alice@127.0.0.1",
                      "--server", f"127.0.0.1:{tls_port}", *tls_args)
        checks.expect(result.returncode == 0 and "SIP/2.0 200" in result.stdout,
                      f"message over TLS with --ca-file: 200, exit 0 ({show(result)})")
        code, out, err = listener.finish()
        checks.expect(code == 0 and "over tls" in out,
                      f"listen over TLS printed the message and exited 0 (exit {code}, out {out!r}, err {err!r})")
        for command in (["options", f"sip:127.0.0.1:{tls_port}"],
                        ["message", "sip:bob@127.0.0.1", "x", "--from", "sip:alice@127.0.0.1",
                         "--server", f"127.0.0.1:{tls_port}"]):
            result = tool(binary, *command, "--transport", "tls", "--ca-file", other["ca_cert"], "--timeout", "10")
            checks.expect(result.returncode == 3 and "certificate verify failed" in result.stderr,
                          f"{command[0]} over TLS with the wrong CA: exit 3 naming the reason ({show(result)})")
    h.expect_clean_stop(checks, server)


def check_config_paths(binary, checks, work):
    binary = os.path.abspath(binary)  # the tools run in other directories
    etc = os.path.join(work, "etc")
    elsewhere = os.path.join(work, "elsewhere")
    os.makedirs(etc)
    os.makedirs(elsewhere)
    with open(os.path.join(etc, "osprey.toml"), "w") as f:
        f.write('data_dir = "var"\ndomains = ["example.com"]\n'
                '[[listen]]\ntransport = "tls"\ncertificate = "tls/cert.pem"\nprivate_key = "tls/key.pem"\n')
    config = os.path.join("..", "etc", "osprey.toml")  # relative to `elsewhere`, the tools' cwd
    added = h.run([binary, "user", "add", "alice@example.com", "--password", "pw", "--config", config],
                  cwd=elsewhere)
    checks.expect(added.returncode == 0, f"user add from another directory, certificate absent ({show(added)})")
    checks.expect(os.path.exists(os.path.join(etc, "var", "users.db"))
                  and not os.path.exists(os.path.join(elsewhere, "var")),
                  "the accounts are in the data_dir beside the config, not in the working directory")
    listed = h.run([binary, "user", "list", "--config", os.path.join(etc, "osprey.toml")], cwd=work)
    checks.expect(listed.returncode == 0 and "alice@example.com" in listed.stdout,
                  f"user list from a third directory finds alice ({show(listed)})")
    checked = h.run([binary, "check-config", config], cwd=elsewhere)
    checks.expect(checked.returncode == 1 and os.path.join(etc, "tls", "cert.pem") in checked.stderr,
                  f"check-config still refuses the missing certificate, by its resolved path ({show(checked)})")


def main():
    args = h.parse_args()
    binary = args.osprey
    checks = h.Failures()
    with h.temp_dir() as work:
        port = h.free_port()
        server = h.Osprey(binary, work, h.udp_and_tcp(port))
        with server:
            for transport in ("udp", "tcp"):
                result = tool(binary, "options", f"sip:127.0.0.1:{port}", "--transport", transport)
                checks.expect(result.returncode == 0 and "SIP/2.0 200" in result.stdout and "Allow:" in result.stdout
                              and "REGISTER" in result.stdout,
                              f"options over {transport}: 200 with Allow ({show(result)})")

            result = tool(binary, "register", "sip:alice@127.0.0.1", "--server", f"127.0.0.1:{port}",
                          "--expires", "120")
            checks.expect(result.returncode == 0 and "SIP/2.0 200" in result.stdout and "binding: <sip:" in result.stdout
                          and "expires=120" in result.stdout,
                          f"register alice over udp prints her binding ({show(result)})")

            result = tool(binary, "register", "sip:carol@127.0.0.1", "--server", f"127.0.0.1:{port}",
                          "--expires", "120", "--transport", "tcp")
            checks.expect(result.returncode == 0 and "transport=tcp" in result.stdout,
                          f"register carol over tcp prints a tcp binding ({show(result)})")

            result = tool(binary, "register", "sip:carol@127.0.0.1", "--server", f"127.0.0.1:{port}",
                          "--expires", "0", "--transport", "tcp")
            checks.expect(result.returncode == 0 and "binding:" not in result.stdout,
                          f"register --expires 0 removes carol's binding ({show(result)})")

            result = tool(binary, "message", "sip:bob@127.0.0.1", "hi", "--from", "sip:alice@127.0.0.1",
                          "--server", f"127.0.0.1:{port}")
            # Store-and-forward: kept for bob and accepted with 202, delivered below.
            checks.expect(result.returncode == 0 and "SIP/2.0 202" in result.stdout,
                          f"message to bob without a binding: 202 (stored), exit 0 ({show(result)})")

            uas = UdpUas(port, "bob")
            try:
                checks.expect(uas.registered, "bob registered with a raw REGISTER from his phone's socket")
                result = tool(binary, "message", "sip:bob@127.0.0.1", "-", "--from", "sip:alice@127.0.0.1",
                              "--server", f"127.0.0.1:{port}", stdin="hello from stdin")
                checks.expect(result.returncode == 0 and "SIP/2.0 200" in result.stdout,
                              f"message to registered bob: 200, exit 0 ({show(result)})")
                got = [m for m in uas.received if m.startswith("MESSAGE ")]
                live = [m for m in got if m.endswith("hello from stdin")]
                stored = [m for m in got if m.endswith("\r\n\r\nhi")]
                checks.expect(len(got) == 2 and len(live) == 1 and "text/plain;charset=utf-8" in live[0],
                              f"bob's phone got the text read from stdin ({got!r})")
                checks.expect(len(stored) == 1 and "\r\nDate: " in stored[0],
                              f"and the message stored while he was away, with its Date ({stored!r})")
            finally:
                uas.close()

            for transport, user in (("udp", "dave"), ("tcp", "erin")):
                check_listen_count(binary, checks, port, transport, user)
            check_listen_signal(binary, checks, port)

            # Bad URIs: exit 2, before anything is sent.
            result = tool(binary, "options", "not-a-uri")
            checks.expect(result.returncode == 2, f"options with a bad URI: exit 2 ({show(result)})")
            result = tool(binary, "message", "sip:bob@127.0.0.1", "hi", "--from", "alice",
                          "--server", f"127.0.0.1:{port}")
            checks.expect(result.returncode == 2, f"message with a bad --from: exit 2 ({show(result)})")

        h.expect_clean_stop(checks, server)
        check_tls(binary, checks, work)
        check_config_paths(binary, checks, work)

        # Nobody listens: UDP times out (--timeout 2 instead of Timer F's 32 s), TCP is refused.
        dead = h.free_port()
        started = time.monotonic()
        result = tool(binary, "options", f"sip:127.0.0.1:{dead}", "--timeout", "2")
        elapsed = time.monotonic() - started
        checks.expect(result.returncode == 3 and "timeout" in result.stderr and elapsed < 10,
                      f"options to a dead UDP port: exit 3 after --timeout ({elapsed:.1f} s, {show(result)})")
        result = tool(binary, "options", f"sip:127.0.0.1:{dead}", "--transport", "tcp", "--timeout", "5")
        checks.expect(result.returncode == 3 and "unreachable" in result.stderr,
                      f"options to a closed TCP port: exit 3, unreachable ({show(result)})")
    checks.finish()


if __name__ == "__main__":
    main()
