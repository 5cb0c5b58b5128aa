"""A MESSAGE whose devices are silent is stored and answered 202 before the sender gives up.

RFC 3428 over UDP: the sender's Timer F is 64*T1 = 32 s. If osprey waited for its own branches
to time out (32 s too) the sender would report a failure and send the message again, and the
user would get it twice. With [messages] delivery_timeout = 2:
  1. bob's registered phone never answers: the sender gets 202 within the timeout (plus a
     margin); when bob comes back (registers from a phone that answers) he gets it exactly once.
  2. carol's phone answers 200 only after the timeout (after the 202): the stored copy is
     dropped, so when carol registers another phone nothing more arrives; she got it once.
"""

import os
import socket
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402

TIMEOUT = 2


def message_request(port, user, body, local_port):
    data = body.encode()
    return (f"MESSAGE sip:{user}@127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch=z9hG4bK{uuid.uuid4().hex};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:alice@127.0.0.1>;tag={uuid.uuid4().hex[:8]}\r\n"
            f"To: <sip:{user}@127.0.0.1>\r\n"
            f"Call-ID: {uuid.uuid4().hex}\r\n"
            "CSeq: 1 MESSAGE\r\n"
            "Content-Type: text/plain\r\n"
            f"Content-Length: {len(data)}\r\n\r\n").encode() + data


def send_message(port, user, body):
    """(final status, seconds it took)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        start = time.monotonic()
        sock.sendto(message_request(port, user, body, sock.getsockname()[1]), ("127.0.0.1", port))
        sock.settimeout(0.5)
        # Retransmitted as a UDP client would (Timer E), so only osprey's own timing counts.
        while time.monotonic() - start < 10:
            try:
                reply = sock.recvfrom(65535)[0]
            except socket.timeout:
                continue
            status = h.status_of(reply)
            if status is not None and status >= 200:
                return status, time.monotonic() - start
        return None, time.monotonic() - start


def register_from(port, user):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    local_port = sock.getsockname()[1]
    reply = h.udp_exchange(port, h.register_request(port, user, f"<sip:{user}@127.0.0.1:{local_port}>", 600,
                                                    local_port=local_port), sock=sock)
    return sock, h.status_of(reply) == 200


class LatePhone:
    """Answers the first MESSAGE with 200 only after `delay` seconds; records what arrives."""

    def __init__(self, sock, delay):
        self.sock = sock
        self.delay = delay
        self.received = []
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(0.2)
        answered = False
        while self.running:
            try:
                data, peer = self.sock.recvfrom(65535)
            except OSError:
                continue
            if data.startswith(b"MESSAGE "):
                self.received.append(data)
                if not answered:
                    answered = True
                    threading.Timer(self.delay, lambda d=data, p=peer: self._answer(d, p)).start()

    def _answer(self, data, peer):
        try:
            self.sock.sendto(h.response_to(data, 200, "OK", "late"), peer)
        except OSError:
            pass

    def close(self):
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


def bodies(messages):
    return [m.split(b"\r\n\r\n", 1)[1].decode(errors="replace") for m in messages if m.startswith(b"MESSAGE ")]


def distinct_deliveries(messages):
    """Deliveries of a message, retransmissions (same Call-ID and CSeq) counted once."""
    return len({(h.header(m, "Call-ID"), h.header(m, "CSeq")) for m in messages if m.startswith(b"MESSAGE ")})


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        port = h.free_port()
        server = h.Osprey(args.osprey, work, h.udp_and_tcp(port), workers=2,
                          extra_toml=f"[messages]\ndelivery_timeout = {TIMEOUT}\n")
        with server:
            peers = []
            try:
                # 1. A silent phone.
                silent_sock, ok = register_from(port, "bob")
                silent = h.UdpRecorder(sock=silent_sock, requests_only=True)
                peers.append(silent)
                checks.expect(ok, "bob registers a phone that never answers")
                status, took = send_message(port, "bob", "one")
                checks.expect(status == 202 and took < TIMEOUT + 1.5,
                              f"1. the sender gets 202 within the delivery timeout ({status} after {took:.1f} s)")
                checks.expect(bodies(silent.received)[:1] == ["one"], "1. the silent phone was tried")
                back_sock, ok = register_from(port, "bob")
                back = h.UdpRecorder(sock=back_sock, answer=200, requests_only=True)
                peers.append(back)
                checks.expect(ok, "bob comes back with a phone that answers")
                time.sleep(3)
                checks.expect(bodies(back.received) == ["one"] and distinct_deliveries(back.received) == 1,
                              f"1. bob gets the stored message exactly once ({bodies(back.received)})")

                # 2. A phone that answers after the 202.
                late_sock, ok = register_from(port, "carol")
                late = LatePhone(late_sock, TIMEOUT + 1.0)
                peers.append(late)
                checks.expect(ok, "carol registers a phone that answers late")
                status, took = send_message(port, "carol", "two")
                checks.expect(status == 202 and took < TIMEOUT + 1.5,
                              f"2. the sender gets 202 within the delivery timeout ({status} after {took:.1f} s)")
                time.sleep(2.0)  # the late 200 arrives
                checks.expect(distinct_deliveries(late.received) == 1, "2. carol's phone got it (once)")
                other_sock, ok = register_from(port, "carol")
                other = h.UdpRecorder(sock=other_sock, answer=200, requests_only=True)
                peers.append(other)
                checks.expect(ok, "carol registers another phone")
                time.sleep(2.5)
                checks.expect(bodies(other.received) == [],
                              f"2. the stored copy was dropped: nothing more for carol ({bodies(other.received)})")
            finally:
                for peer in peers:
                    peer.close()
        h.expect_clean_stop(checks, server)
    checks.finish()


if __name__ == "__main__":
    main()
