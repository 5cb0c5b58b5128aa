"""Every 2xx to an INVITE reaches a caller on TCP (RFC 3261 §16.7 step 5, RFC 6026 §7.1).

A proxy forwards every 2xx it gets for an INVITE: after the first, the server transaction is
Accepted and passes further 2xx upstream. The caller here is on TCP, so they must go over its
connection (a stateless forward along the Vias cannot open connections to where a Via says):
  1. bob's one contact is a forking proxy: it answers the INVITE with two 200s (two To tags),
     then repeats the first as a UAS does until the ACK (§13.3.1.4). The caller gets all three.
  2. carol has two contacts (two phones) that both answer 200 at once: the caller gets both.
"""

import os
import socket
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402


class Answerer:
    """A UDP peer registered as `user`; to every INVITE it sends one 200 per tag in `tags`, then
    the first again after `repeat_after` seconds (None: no repeat)."""

    def __init__(self, port, user, tags, repeat_after=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.local_port = self.sock.getsockname()[1]
        self.user = user
        self.tags = tags
        self.repeat_after = repeat_after
        self.invites = 0
        self.running = True
        reply = h.udp_exchange(port, h.register_request(port, user, f"<sip:{user}@127.0.0.1:{self.local_port}>",
                                                        600, local_port=self.local_port), sock=self.sock)
        self.registered = h.status_of(reply) == 200
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(0.2)
        while self.running:
            try:
                data, peer = self.sock.recvfrom(65535)
            except OSError:
                continue
            if not data.startswith(b"INVITE "):
                if data.startswith(b"CANCEL ") or data.startswith(b"BYE "):
                    self.sock.sendto(h.response_to(data, 200, "OK", "x"), peer)
                continue
            self.invites += 1
            answers = [h.response_to(data, 200, "OK", tag) for tag in self.tags]
            for answer in answers:
                self.sock.sendto(answer, peer)
            if self.repeat_after is not None:
                time.sleep(self.repeat_after)
                self.sock.sendto(answers[0], peer)

    def close(self):
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


class TcpCaller:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.local_port = self.sock.getsockname()[1]
        self.buffer = b""

    def invite(self, port, user):
        self.sock.sendall((
            f"INVITE sip:{user}@127.0.0.1 SIP/2.0\r\n"
            f"Via: SIP/2.0/TCP 127.0.0.1:{self.local_port};branch=z9hG4bK{uuid.uuid4().hex};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:alice@127.0.0.1>;tag={uuid.uuid4().hex[:8]}\r\n"
            f"To: <sip:{user}@127.0.0.1>\r\n"
            f"Call-ID: {uuid.uuid4().hex}\r\n"
            "CSeq: 1 INVITE\r\n"
            f"Contact: <sip:alice@127.0.0.1:{self.local_port};transport=tcp>\r\n"
            "Content-Length: 0\r\n\r\n").encode())

    def responses(self, wait):
        """Every response read within `wait` seconds."""
        result = []
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end >= 0:
                length = int(h.header(self.buffer[:head_end + 4], "Content-Length") or 0)
                total = head_end + 4 + length
                if len(self.buffer) >= total:
                    result.append(self.buffer[:total])
                    self.buffer = self.buffer[total:]
                    continue
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            self.buffer += chunk
        return result

    def close(self):
        self.sock.close()


def to_tags_of_200s(responses):
    tags = []
    for response in responses:
        if h.status_of(response) == 200:
            to = h.header(response, "To") or ""
            tags.append(to.split("tag=", 1)[1] if "tag=" in to else "")
    return tags


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        port = h.free_port()
        server = h.Osprey(args.osprey, work, h.udp_and_tcp(port), workers=2)
        with server:
            forking_proxy = Answerer(port, "bob", ["fork1", "fork2"], repeat_after=0.5)
            phone1 = Answerer(port, "carol", ["phone1"])
            phone2 = Answerer(port, "carol", ["phone2"])
            caller = TcpCaller(port)
            try:
                checks.expect(forking_proxy.registered and phone1.registered and phone2.registered,
                              "bob's proxy and carol's two phones register")
                caller.invite(port, "bob")
                tags = to_tags_of_200s(caller.responses(2.0))
                checks.expect(sorted(tags) == ["fork1", "fork1", "fork2"],
                              f"both forks' 200s and the repeated one reach the caller over TCP ({tags})")
                caller.invite(port, "carol")
                tags = to_tags_of_200s(caller.responses(2.0))
                checks.expect(sorted(tags) == ["phone1", "phone2"],
                              f"both phones' 200s reach the caller over TCP ({tags})")
            finally:
                caller.close()
                for peer in (forking_proxy, phone1, phone2):
                    peer.close()
        h.expect_clean_stop(checks, server)
    checks.finish()


if __name__ == "__main__":
    main()
