#!/usr/bin/env python3
"""`osprey options`, `osprey register` and `osprey message` against a live osprey.

Exit codes checked: 0 for a 2xx, 1 for another final response, 2 for a bad URI, 3 for a timeout
(--timeout shortens Timer F for the test) or an unreachable server.
"""

import os
import socket
import sys
import threading
import time

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
            checks.expect(result.returncode == 1 and "480" in result.stdout,
                          f"message to bob without a binding: 480, exit 1 ({show(result)})")

            uas = UdpUas(port, "bob")
            try:
                checks.expect(uas.registered, "bob registered with a raw REGISTER from his phone's socket")
                result = tool(binary, "message", "sip:bob@127.0.0.1", "-", "--from", "sip:alice@127.0.0.1",
                              "--server", f"127.0.0.1:{port}", stdin="hello from stdin")
                checks.expect(result.returncode == 0 and "SIP/2.0 200" in result.stdout,
                              f"message to registered bob: 200, exit 0 ({show(result)})")
                got = [m for m in uas.received if m.startswith("MESSAGE ")]
                checks.expect(len(got) == 1 and got[0].endswith("hello from stdin")
                              and "text/plain;charset=utf-8" in got[0],
                              f"bob's phone got the text read from stdin ({got!r})")
            finally:
                uas.close()

            # Bad URIs: exit 2, before anything is sent.
            result = tool(binary, "options", "not-a-uri")
            checks.expect(result.returncode == 2, f"options with a bad URI: exit 2 ({show(result)})")
            result = tool(binary, "message", "sip:bob@127.0.0.1", "hi", "--from", "alice",
                          "--server", f"127.0.0.1:{port}")
            checks.expect(result.returncode == 2, f"message with a bad --from: exit 2 ({show(result)})")

        h.expect_clean_stop(checks, server)

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
