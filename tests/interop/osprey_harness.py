"""Runs a live osprey on 127.0.0.1 for the interop tests.

Every test script starts its own server on free ports with a temporary config, drives it with
real peers (SIPp, sipsak, openssl, raw sockets) and stops everything it started, even when it
fails. Every wait is bounded.
"""

import argparse
import contextlib
import os
import signal
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--osprey", required=True, help="the osprey binary to test")
    return parser.parse_args()


# Below Linux's ephemeral range (32768-60999 by default): a port the kernel picked for us there
# may be handed to another process's outgoing connection before our server or phone binds it
# (tests run in parallel; a softphone then fails with EADDRINUSE). Ports below it never are.
FREE_PORT_RANGE = (20000, 32767)


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1 (the server binds both on it)."""
    for _ in range(200):
        port = random.randint(*FREE_PORT_RANGE)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp, \
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            try:
                tcp.bind(("127.0.0.1", port))
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port")


def udp_and_tcp(port, address="127.0.0.1"):
    """The [[listen]] entries of a server on UDP and TCP at one port."""
    return [{"transport": "udp", "address": address, "port": port},
            {"transport": "tcp", "address": address, "port": port}]


class Osprey:
    """A running `osprey serve`; use as a context manager."""

    def __init__(self, binary, workdir, listens, extra_toml="", workers=2, env=None, authentication=False,
                 domains=("127.0.0.1", "localhost")):
        self.binary = binary
        self.workdir = workdir
        self.config = os.path.join(workdir, "osprey.toml")
        self.log_path = os.path.join(workdir, "osprey.log")
        lines = [
            f"workers = {workers}",
            'log_level = "info"',
            f'data_dir = "{os.path.join(workdir, "data")}"',
            "domains = [" + ", ".join(f'"{domain}"' for domain in domains) + "]",
        ]
        for listen in listens:
            lines.append("[[listen]]")
            for key, value in listen.items():
                lines.append(f'{key} = "{value}"' if isinstance(value, str) else f"{key} = {value}")
        if not authentication:
            # Most tests exercise routing, not security: an open registrar, as before.
            # Tests that want the defaults pass authentication=True and their own [security].
            extra_toml = extra_toml + "\n[security]\nauthentication = false\n"
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n" + extra_toml)
        self.env = dict(os.environ)
        # LeakSanitizer runs at exit; a leak makes osprey exit non-zero, which stop() reports.
        self.env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        if env:
            self.env.update(env)
        self.process = None
        self.exit_code = None

    def __enter__(self):
        # Entering again after stop() or kill9() restarts osprey on the same config and data_dir;
        # the log is appended to, and only what the new process writes counts for its start.
        restart = self.process is not None
        self.log = open(self.log_path, "a" if restart else "w")
        start_offset = len(self.read_log()) if restart else 0
        self.exit_code = None
        self.process = subprocess.Popen(
            [self.binary, "serve", "--config", self.config],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=self.env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("osprey exited at start:\n" + self.read_log()[start_offset:])
            if "worker(s) running" in self.read_log()[start_offset:]:
                return self
            time.sleep(0.05)
        raise RuntimeError("osprey did not start in 30 s:\n" + self.read_log())

    def __exit__(self, *exc):
        self.stop()
        return False

    def stop(self):
        if self.process is None or self.exit_code is not None:
            return self.exit_code
        self.process.send_signal(signal.SIGTERM)
        try:
            self.exit_code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.exit_code = self.process.wait(timeout=10)
        self.log.close()
        return self.exit_code

    def kill9(self):
        """SIGKILL, as a crash or an OOM kill would: no shutdown, no flush. Returns the exit code
        (-9); enter the object again to restart on the same config and data_dir."""
        if self.process is None or self.exit_code is not None:
            return self.exit_code
        self.process.send_signal(signal.SIGKILL)
        self.exit_code = self.process.wait(timeout=10)
        self.log.close()
        return self.exit_code

    def read_log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


def options_request(port, transport="UDP", local_port=5999, branch=None, call_id=None, host="127.0.0.1"):
    branch = branch or "z9hG4bK" + uuid.uuid4().hex
    call_id = call_id or uuid.uuid4().hex
    return (
        f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/{transport} 127.0.0.1:{local_port};branch={branch};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:probe@127.0.0.1>;tag={uuid.uuid4().hex[:8]}\r\n"
        f"To: <sip:{host}:{port}>\r\n"
        f"Call-ID: {call_id}\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def register_request(port, user, contacts=(), expires=None, call_id=None, cseq=1, transport="UDP",
                     local_port=5999, branch=None, host="127.0.0.1", domain=None, from_tag=None,
                     extra_headers=()):
    """A REGISTER for sip:user@domain (domain defaults to host) sent to host:port. contacts: Contact
    values (e.g. "<sip:a@127.0.0.1:5999>;q=0.5" or "*"), one header line each; none makes it a
    query (RFC 3261 §10.2.3). expires: the Expires header, or None for none."""
    branch = branch or "z9hG4bK" + uuid.uuid4().hex
    call_id = call_id or uuid.uuid4().hex
    domain = domain or host
    target = f"sip:{domain}" if domain != host else f"sip:{host}:{port}"
    lines = [
        f"REGISTER {target} SIP/2.0",
        f"Via: SIP/2.0/{transport} 127.0.0.1:{local_port};branch={branch};rport",
        "Max-Forwards: 70",
        f"From: <sip:{user}@{domain}>;tag={from_tag or uuid.uuid4().hex[:8]}",
        f"To: <sip:{user}@{domain}>",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} REGISTER",
    ]
    lines += [f"Contact: {contact}" for contact in ([contacts] if isinstance(contacts, str) else contacts)]
    if expires is not None:
        lines.append(f"Expires: {expires}")
    lines += list(extra_headers)
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def contacts_of(reply):
    """The Contact values of a response as (uri, {param: value}) pairs, from every Contact (or m)
    line and every comma-separated value on one, e.g. ("sip:a@h:5", {"expires": "60", "q": "1"})."""
    result = []
    for line in (reply or b"").decode(errors="replace").split("\r\n"):
        name, colon, value = line.partition(":")
        if not colon or name.strip().lower() not in ("contact", "m"):
            continue
        for item in _split_outside_brackets(value.strip()):
            if "<" in item:  # name-addr, perhaps with a display name
                uri, _, rest = item.split("<", 1)[1].partition(">")
            else:
                uri, _, rest = item.partition(";")
                rest = ";" + rest if rest else ""
            params = {}
            for param in rest.split(";"):
                if param.strip():
                    key, _, val = param.strip().partition("=")
                    params[key.lower()] = val
            result.append((uri.strip(), params))
    return result


def _split_outside_brackets(value):
    items, depth, quoted, current = [], 0, False, ""
    for c in value:
        if c == '"':
            quoted = not quoted
        elif not quoted and c == "<":
            depth += 1
        elif not quoted and c == ">":
            depth -= 1
        elif not quoted and depth == 0 and c == ",":
            items.append(current.strip())
            current = ""
            continue
        current += c
    if current.strip():
        items.append(current.strip())
    return items


def invite_request(port, user, local_port, max_forwards=70):
    """An INVITE from alice to `user`@127.0.0.1 sent from `local_port` (no body)."""
    return (
        f"INVITE sip:{user}@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch=z9hG4bK{uuid.uuid4().hex};rport\r\n"
        f"Max-Forwards: {max_forwards}\r\n"
        f"From: <sip:alice@127.0.0.1>;tag={uuid.uuid4().hex[:8]}\r\n"
        f"To: <sip:{user}@127.0.0.1>\r\n"
        f"Call-ID: {uuid.uuid4().hex}\r\n"
        "CSeq: 1 INVITE\r\n"
        f"Contact: <sip:alice@127.0.0.1:{local_port}>\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def udp_exchange(port, payload, timeout=2.0, sock=None):
    """Sends one datagram, returns the first reply (bytes) or None."""
    own = sock is None
    sock = sock or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        if own:
            sock.bind(("127.0.0.1", 0))
        sock.settimeout(timeout)
        sock.sendto(payload, ("127.0.0.1", port))
        try:
            return sock.recvfrom(65535)[0]
        except socket.timeout:
            return None
    finally:
        if own:
            sock.close()


def status_of(reply):
    if not reply:
        return None
    first = reply.split(b"\r\n", 1)[0].split(b" ")
    return int(first[1]) if len(first) > 1 and first[1].isdigit() else None


def header(reply, name):
    for line in reply.split(b"\r\n"):
        if line.lower().startswith(name.lower().encode() + b":"):
            return line.split(b":", 1)[1].strip().decode()
    return None


def response_to(request, status, reason="Answer", to_tag="phone"):
    """A minimal response to `request` (bytes), as a UAS builds it (RFC 3261 §8.2.6.2): its Via,
    From, Call-ID and CSeq, its To with `to_tag` unless it has a tag already; a 1xx or 2xx (which
    may establish a dialog) copies the Record-Route too (§12.1.1)."""
    lines = [f"SIP/2.0 {status} {reason}"]
    copied = ("via", "v", "from", "f", "call-id", "i", "cseq") + (("record-route",) if status < 300 else ())
    for line in request.split(b"\r\n\r\n", 1)[0].decode(errors="replace").split("\r\n")[1:]:
        name = line.split(":", 1)[0].strip().lower()
        if name in copied:
            lines.append(line)
        elif name in ("to", "t"):
            lines.append(line if ";tag=" in line.lower() else f"{line};tag={to_tag}")
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def bound_udp_socket(address, port):
    """A UDP socket bound to `address`:`port` (a port a closed client used before)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((address, port))
    return sock


def read_stream_message(sock, buffer=b""):
    """One SIP message framed by Content-Length (or l) from a stream, plain or TLS: (message,
    rest), or (None, rest) when the peer closed or nothing came before the socket's timeout."""
    while b"\r\n\r\n" not in buffer:
        try:
            data = sock.recv(65535)
        except OSError:  # ssl.SSLError and socket.timeout too
            return None, buffer
        if not data:
            return None, buffer
        buffer += data
    head, rest = buffer.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() in (b"content-length", b"l"):
            length = int(value.strip() or 0)
    while len(rest) < length:
        try:
            data = sock.recv(65535)
        except OSError:
            return None, buffer
        if not data:
            return None, buffer
        rest += data
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


# The [dialplan] gateway of the tests. osprey takes every port of the gateway's address for the
# gateway (gateways admit osprey by address), so it lives on a loopback address no phone uses.
GATEWAY_ADDRESS = "127.0.0.9"


class UdpRecorder:
    """A UDP socket that records what it receives: every datagram (requests, ACKs, responses), or
    with requests_only the requests but ACK. Given `answer`, it answers an INVITE with that status
    and any other request but ACK with 200, as a phone or a gateway would. `sock`: a bound socket to take over (one a
    REGISTER was sent from, so that osprey's requests for that binding arrive here)."""

    def __init__(self, address="127.0.0.1", answer=None, sock=None, requests_only=False):
        self.sock = sock or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if sock is None:
            self.sock.bind((address, 0))
        self.address, self.port = self.sock.getsockname()
        self.answer = answer
        self.requests_only = requests_only
        self.received = []
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(0.2)
        while self.running:
            try:
                data, peer = self.sock.recvfrom(65535)
            except OSError:
                continue
            request = not data.startswith(b"SIP/2.0") and not data.startswith(b"ACK ")
            if request or not self.requests_only:
                self.received.append(data)
            if request and self.answer is not None:
                status = self.answer if data.startswith(b"INVITE ") else 200
                self.sock.sendto(response_to(data, status), peer)

    def wait_for(self, count, timeout=5.0):
        """The datagrams received once there are `count` of them, or after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received

    def arrivals_since(self, before, wait=1.0):
        """What arrived after the first `before` datagrams, once `wait` seconds passed: for
        checks that nothing arrives."""
        time.sleep(wait)
        return self.received[before:]

    def close(self):
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


def import_accounts(binary, config, accounts):
    """`osprey user import` of {aor: password}; returns the completed process."""
    lines = [f"{aor} {password}" for aor, password in accounts.items()]
    return run([binary, "user", "import", "--config", config], input="\n".join(lines) + "\n")


def expect_clean_stop(checks, server):
    """After the `with server:` block: osprey exited 0 on SIGTERM (and LeakSanitizer found
    nothing); its log is printed when anything failed."""
    checks.expect(server.exit_code == 0, f"osprey stopped cleanly on SIGTERM (exit {server.exit_code})")
    if server.exit_code != 0 or checks.failed:
        print(server.read_log()[-4000:])


def run(cmd, timeout=120, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)


def make_certificates(directory, name="server", ca=None, subject_cn="localhost",
                      alt_names="IP:127.0.0.1,DNS:localhost"):
    """A test CA (unless given) and a server certificate for 127.0.0.1 and localhost (or
    `alt_names`), with the openssl CLI. Returns dict(ca_cert, ca_key, cert, key)."""
    os.makedirs(directory, exist_ok=True)
    if ca is None:
        ca = {
            "ca_cert": os.path.join(directory, "ca.pem"),
            "ca_key": os.path.join(directory, "ca.key"),
        }
        check(run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                   "-nodes", "-keyout", ca["ca_key"], "-out", ca["ca_cert"], "-days", "2",
                   "-subj", "/CN=osprey test CA"]))
    key = os.path.join(directory, f"{name}.key")
    csr = os.path.join(directory, f"{name}.csr")
    cert = os.path.join(directory, f"{name}.pem")
    ext = os.path.join(directory, f"{name}.ext")
    with open(ext, "w") as f:
        f.write(f"subjectAltName={alt_names}\nextendedKeyUsage=serverAuth\n")
    check(run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
               "-keyout", key, "-out", csr, "-subj", f"/CN={subject_cn}"]))
    check(run(["openssl", "x509", "-req", "-in", csr, "-CA", ca["ca_cert"], "-CAkey", ca["ca_key"],
               "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext]))
    return dict(ca, cert=cert, key=key)


def check(result):
    if result.returncode != 0:
        raise RuntimeError(f"{result.args}: exit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


class Failures:
    """Collects failed checks so one run reports all of them; exit code 1 if any."""

    def __init__(self):
        self.failed = []

    def expect(self, condition, what):
        print(("ok    " if condition else "FAIL  ") + what, flush=True)
        if not condition:
            self.failed.append(what)
        return condition

    def finish(self):
        if self.failed:
            print(f"{len(self.failed)} check(s) failed", flush=True)
            sys.exit(1)
        print("all checks passed", flush=True)
        sys.exit(0)


@contextlib.contextmanager
def temp_dir():
    with tempfile.TemporaryDirectory(prefix="osprey-interop-") as directory:
        yield directory
