"""A user registered over TCP is reached over the REGISTER's connection from every worker.

RFC 3261 §18.2.2 (and RFC 5626's flow reuse): a phone behind NAT over TCP can only be reached
over the connection it opened. osprey runs two workers; bob's connection lives in the worker
that accepted it, while alice's MESSAGEs over UDP (from many source ports) land on both
workers. Every MESSAGE must reach bob on his one connection and every one must get 200.
"""

import os
import socket
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402

MESSAGES = 40


class TcpUser:
    """bob over one TCP connection: registers, then answers every request with 200."""

    def __init__(self, port, user):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.local_port = self.sock.getsockname()[1]
        self.user = user
        self.buffer = b""
        self.requests = []
        self.lock = threading.Lock()
        self.stop = False
        self.thread = None

    def read_message(self, deadline):
        """One framed message from the stream (Content-Length is mandatory over TCP, §18.3)."""
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end >= 0:
                length = int(h.header(self.buffer[:head_end + 4], "Content-Length") or 0)
                total = head_end + 4 + length
                if len(self.buffer) >= total:
                    message, self.buffer = self.buffer[:total], self.buffer[total:]
                    return message
            if time.monotonic() >= deadline or self.stop:
                return None
            self.sock.settimeout(max(0.05, min(0.5, deadline - time.monotonic())))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return None
            if not chunk:
                return None
            self.buffer += chunk

    def register(self, port):
        contact = f"<sip:{self.user}@127.0.0.1:{self.local_port};transport=tcp>"
        self.sock.sendall(h.register_request(port, self.user, contact, 600, transport="TCP",
                                             local_port=self.local_port))
        return h.status_of(self.read_message(time.monotonic() + 5))

    def answer(self, request):
        keep = [line for line in request.decode().split("\r\n")
                if line.split(":", 1)[0].lower() in ("via", "v", "from", "f", "call-id", "i", "cseq")]
        to = h.header(request, "To")
        reply = ["SIP/2.0 200 OK"] + keep + [f"To: {to};tag={uuid.uuid4().hex[:8]}", "Content-Length: 0"]
        self.sock.sendall(("\r\n".join(reply) + "\r\n\r\n").encode())

    def serve(self):
        def loop():
            while not self.stop:
                message = self.read_message(time.monotonic() + 0.5)
                if message is None or message.startswith(b"SIP/2.0"):
                    continue
                with self.lock:
                    self.requests.append(message)
                self.answer(message)
        self.thread = threading.Thread(target=loop, daemon=True)
        self.thread.start()

    def received(self):
        with self.lock:
            return list(self.requests)

    def close(self):
        self.stop = True
        if self.thread:
            self.thread.join(timeout=5)
        self.sock.close()


def message_request(port, user, local_port, number):
    return (
        f"MESSAGE sip:{user}@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch=z9hG4bK{uuid.uuid4().hex};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:alice@127.0.0.1>;tag={uuid.uuid4().hex[:8]}\r\n"
        f"To: <sip:{user}@127.0.0.1>\r\n"
        f"Call-ID: {uuid.uuid4().hex}\r\n"
        "CSeq: 1 MESSAGE\r\n"
        "Content-Type: text/plain\r\n"
        f"Content-Length: {len(str(number))}\r\n\r\n{number}"
    ).encode()


def final_response(sock, timeout):
    """The first final response on sock (provisional ones skipped), or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            reply = sock.recvfrom(65535)[0]
        except socket.timeout:
            return None
        status = h.status_of(reply)
        if status is not None and status >= 200:
            return reply
    return None


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        port = h.free_port()
        server = h.Osprey(args.osprey, work, h.udp_and_tcp(port), workers=2)
        with server:
            bob = TcpUser(port, "bob")
            try:
                checks.expect(bob.register(port) == 200, "bob registers over TCP: 200")
                bob.serve()
                statuses = []
                for number in range(MESSAGES):
                    # A new source port each time: SO_REUSEPORT hashes them over both workers.
                    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as alice:
                        alice.bind(("127.0.0.1", 0))
                        request = message_request(port, "bob", alice.getsockname()[1], number)
                        alice.sendto(request, ("127.0.0.1", port))
                        statuses.append(h.status_of(final_response(alice, 5.0)))
                ok = statuses.count(200)
                checks.expect(ok == MESSAGES, f"every MESSAGE over UDP gets 200 ({ok}/{MESSAGES}: {statuses})")
                deadline = time.monotonic() + 5
                while len(bob.received()) < MESSAGES and time.monotonic() < deadline:
                    time.sleep(0.05)
                bodies = sorted(int(m.split(b"\r\n\r\n", 1)[1]) for m in bob.received()
                                if m.startswith(b"MESSAGE "))
                checks.expect(bodies == list(range(MESSAGES)),
                              f"bob receives all {MESSAGES} on his one connection ({len(bodies)} received)")
            finally:
                bob.close()
        h.expect_clean_stop(checks, server)
    checks.finish()


if __name__ == "__main__":
    main()
