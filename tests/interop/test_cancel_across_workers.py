"""A CANCEL read by another worker than its INVITE still cancels it (RFC 3261 §9.2, §16.10).

osprey runs two workers, each with its own SO_REUSEPORT UDP socket and TCP acceptor; the kernel
spreads datagrams by source address and port, and connections as they are accepted. A caller
whose CANCEL leaves from another port (or on another connection) than its INVITE may have it
read by the worker that does not hold the INVITE's transaction. Each call below sends the
INVITE from one source and the CANCEL from a fresh one, several times over UDP and over TCP, so
that (with overwhelming likelihood) some CANCELs land on the other worker. Every call must end
as a cancelled call: 200 for the CANCEL, the callee gets the CANCEL, the caller gets 487.
"""

import os
import socket
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402

CALLS = 8


class Ringing:
    """bob's phone on UDP: 180 to an INVITE; to a CANCEL of it 200, then 487 to the INVITE."""

    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.local_port = self.sock.getsockname()[1]
        reply = h.udp_exchange(port, h.register_request(port, "bob", f"<sip:bob@127.0.0.1:{self.local_port}>", 600,
                                                        local_port=self.local_port), sock=self.sock)
        self.registered = h.status_of(reply) == 200
        self.invites = {}
        self.cancels = 0
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
            # §9.2: a CANCEL matches the INVITE whose top Via branch it carries (osprey's CANCEL
            # copies the Via of the INVITE it cancels; any other CANCEL matches nothing here).
            branch = (h.header(data, "Via") or "").split("branch=", 1)[-1].split(";", 1)[0]
            if data.startswith(b"INVITE "):
                self.invites[branch] = data
                self.sock.sendto(h.response_to(data, 180, "Ringing", "bob1"), peer)
            elif data.startswith(b"CANCEL "):
                if branch not in self.invites:
                    self.sock.sendto(h.response_to(data, 481, "Call/Transaction Does Not Exist", "bob1"), peer)
                    continue
                self.cancels += 1
                self.sock.sendto(h.response_to(data, 200, "OK", "bob1"), peer)
                self.sock.sendto(h.response_to(self.invites.pop(branch), 487, "Request Terminated", "bob1"), peer)

    def close(self):
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


def invite_and_cancel(port, transport):
    """INVITE from one source, CANCEL from another; returns (CANCEL status, INVITE final status)."""
    branch = "z9hG4bK" + uuid.uuid4().hex
    call_id = uuid.uuid4().hex
    tag = uuid.uuid4().hex[:8]

    def request(method, local_port):
        return (f"{method} sip:bob@127.0.0.1 SIP/2.0\r\n"
                f"Via: SIP/2.0/{transport} 127.0.0.1:{local_port};branch={branch};rport\r\n"
                "Max-Forwards: 70\r\n"
                f"From: <sip:alice@127.0.0.1>;tag={tag}\r\n"
                "To: <sip:bob@127.0.0.1>\r\n"
                f"Call-ID: {call_id}\r\n"
                f"CSeq: 1 {method}\r\n"
                f"Contact: <sip:alice@127.0.0.1:{local_port}>\r\n"
                "Content-Length: 0\r\n\r\n").encode()

    if transport == "UDP":
        invite_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        invite_sock.bind(("127.0.0.1", 0))
        cancel_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        cancel_sock.bind(("127.0.0.1", 0))
        invite_port = invite_sock.getsockname()[1]
        send_invite = lambda data: invite_sock.sendto(data, ("127.0.0.1", port))  # noqa: E731
        send_cancel = lambda data: cancel_sock.sendto(data, ("127.0.0.1", port))  # noqa: E731
        read_invite = lambda wait: udp_read(invite_sock, wait)  # noqa: E731
        read_cancel = lambda wait: udp_read(cancel_sock, wait)  # noqa: E731
    else:
        invite_conn = Stream(port)
        cancel_conn = Stream(port)
        invite_sock, cancel_sock = invite_conn.sock, cancel_conn.sock
        invite_port = invite_sock.getsockname()[1]
        send_invite = invite_sock.sendall
        send_cancel = cancel_sock.sendall
        read_invite = invite_conn.read
        read_cancel = cancel_conn.read
    try:
        send_invite(request("INVITE", invite_port))
        # Ringing first: a CANCEL goes downstream only after a provisional (§9.1).
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            reply = read_invite(deadline - time.monotonic())
            if reply is not None and h.status_of(reply) == 180:
                break
        cancel_status = None
        send_cancel(request("CANCEL", invite_port))
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and cancel_status is None:
            reply = read_cancel(deadline - time.monotonic())
            if reply is not None and b"CANCEL" in (h.header(reply, "CSeq") or "").encode():
                cancel_status = h.status_of(reply)
        final = None
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and final is None:
            reply = read_invite(deadline - time.monotonic())
            status = h.status_of(reply)
            if status is not None and status >= 200:
                final = status
        return cancel_status, final
    finally:
        invite_sock.close()
        cancel_sock.close()


def udp_read(sock, wait):
    sock.settimeout(max(0.05, wait))
    try:
        return sock.recvfrom(65535)[0]
    except socket.timeout:
        return None


class Stream:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buffer = b""

    def read(self, wait):
        deadline = time.monotonic() + max(0.05, wait)
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end >= 0:
                length = int(h.header(self.buffer[:head_end + 4], "Content-Length") or 0)
                total = head_end + 4 + length
                if len(self.buffer) >= total:
                    message, self.buffer = self.buffer[:total], self.buffer[total:]
                    return message
            if time.monotonic() >= deadline:
                return None
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                return None
            self.buffer += chunk


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        port = h.free_port()
        server = h.Osprey(args.osprey, work, h.udp_and_tcp(port), workers=2)
        with server:
            bob = Ringing(port)
            try:
                checks.expect(bob.registered, "bob registers")
                for transport in ("UDP", "TCP"):
                    results = [invite_and_cancel(port, transport) for _ in range(CALLS)]
                    checks.expect(all(result == (200, 487) for result in results),
                                  f"{transport}: every CANCEL from another source gets 200 and its INVITE 487 "
                                  f"({results})")
                checks.expect(bob.cancels == 2 * CALLS, f"bob gets every CANCEL ({bob.cancels}/{2 * CALLS})")
            finally:
                bob.close()
        h.expect_clean_stop(checks, server)
    checks.finish()


if __name__ == "__main__":
    main()
