"""SBC mode against an intruder: what an attacker on the network tries against the B2BUA, each
held by osprey today. One osprey (two workers), a carrier trunk and a premium trunk that are
Python sockets on 127.0.0.2 / 127.0.0.3 recording what reaches them.

  1. Open relay and toll fraud: an INVITE to a trunk route with no credentials (from a random
     address, with the From of one of our users) gets 407; from the carrier's own source to a
     route (transit) 407; alice's number outside her dial policy (E.164, 00-prefixed, tel:, with
     visual separators, sips:) 403; none of them reaches a trunk.
  2. Identity: what the caller writes itself (P-Asserted-Identity, Remote-Party-ID,
     P-Preferred-Identity) never reaches the trunk (RFC 3325 §5).
  3. Leg capabilities (the leg Contact "b2b.w<worker>.<id>"): a BYE at the caller's leg with a
     wrong From tag, a wrong Call-ID, the other leg's dialog identifiers, or the right ones from a
     third address: 481, and the call survives (a re-INVITE from the caller still goes through);
     a leg naming a worker that does not exist is no crash.
  4. Floods and garbage at the legs: 4,000 ACK/CANCEL/BYE/PRACK at guessed and malformed leg
     ids, then 200 in-dialog requests with hostile headers and bodies at the live legs from both
     sides: osprey answers an OPTIONS afterwards (no crash, no sanitizer report: the harness
     checks the clean stop).
"""

import os
import random
import re
import socket
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
import sip_digest as d  # noqa: E402

ARGS = h.parse_args()


class Trunk:
    """A carrier: records what it receives, answers INVITE 200 and anything else but ACK 200."""

    def __init__(self, address):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, 0))
        self.address, self.port = self.sock.getsockname()
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
            self.received.append(data)
            if data.startswith(b"SIP/2.0") or data.startswith(b"ACK "):
                continue
            reply = h.response_to(data, 200, to_tag="carrier")
            if data.startswith(b"INVITE "):
                reply = reply.replace(b"Content-Length: 0",
                                      f"Contact: <sip:carrier@{self.address}:{self.port}>\r\nContent-Length: 0".encode())
            self.sock.sendto(reply, peer)

    def invites(self):
        return [m for m in self.received if m.startswith(b"INVITE ")]

    def close(self):
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


def config(carrier, premium):
    return f"""
[security]
digest_algorithms = ["MD5", "SHA-256"]

[dialplan]
[[dialplan.group]]
name = "uk"
members = ["sip:alice@127.0.0.1"]
allow = ["+44"]

[[dialplan.route]]
prefix = "+1900"
trunks = ["premium"]

[[dialplan.route]]
prefix = "+"
trunks = ["carrier"]

[[trunk]]
name = "carrier"
peer = "sip:{carrier.address}:{carrier.port}"
sources = ["127.0.0.2"]

[[trunk]]
name = "premium"
peer = "sip:{premium.address}:{premium.port}"
sources = ["127.0.0.3"]
"""


def udp(address="127.0.0.1"):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, 0))
    sock.settimeout(2)
    return sock


def request(method, ruri, sock, frm="sip:alice@127.0.0.1", to=None, call_id=None, cseq=1, extra=(), body=b"",
            from_tag="a1", to_tag=None):
    host, port = sock.getsockname()
    lines = [f"{method} {ruri} SIP/2.0",
             f"Via: SIP/2.0/UDP {host}:{port};branch=z9hG4bK{uuid.uuid4().hex[:12]};rport", "Max-Forwards: 70",
             f"From: <{frm}>;tag={from_tag}", f"To: <{to or ruri}>" + (f";tag={to_tag}" if to_tag else ""),
             f"Call-ID: {call_id or uuid.uuid4().hex}", f"CSeq: {cseq} {method}", f"Contact: <sip:x@{host}:{port}>",
             *extra, f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(lines).encode() + body


def exchange(sock, port, data, timeout=3):
    """The final response (None if none came) and every response received."""
    sock.sendto(data, ("127.0.0.1", port))
    got = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            message = sock.recvfrom(65535)[0]
        except OSError:
            break
        got.append(message)
        if (h.status_of(message) or 0) >= 200:
            return message, got
    return None, got


def ack_for(invite, final):
    lines = invite.split(b"\r\n\r\n")[0].decode().split("\r\n")
    out = [f"ACK {lines[0].split(' ')[1]} SIP/2.0"]
    for line in lines[1:]:
        name = line.split(":", 1)[0].lower()
        if name in ("via", "from", "call-id", "max-forwards"):
            out.append(line)
        elif name == "cseq":
            out.append(f"CSeq: {line.split()[1]} ACK")
    out += ["To: " + h.header(final, "To"), "Content-Length: 0", "", ""]
    return "\r\n".join(out).encode()


def call(port, ruri, sock, extra=()):
    """alice's INVITE with its 407 round: (final, the authenticated INVITE)."""
    call_id = uuid.uuid4().hex
    first = request("INVITE", ruri, sock, call_id=call_id, extra=extra)
    challenge, _ = exchange(sock, port, first)
    if h.status_of(challenge) != 407:
        return challenge, first
    sock.sendto(ack_for(first, challenge), ("127.0.0.1", port))
    offers = [c for c in d.challenges(challenge, "Proxy-Authenticate") if c["algorithm"].upper() == "MD5"]
    auth = d.authorization(offers[0], "INVITE", ruri, "alice", "alice-secret")
    second = request("INVITE", ruri, sock, call_id=call_id, cseq=2, extra=(*extra, f"Proxy-Authorization: {auth}"))
    final, _ = exchange(sock, port, second)
    return final, second


def reached(trunks, before):
    return [m.splitlines()[0] for t, n in zip(trunks, before) for m in t.invites()[n:]]


def case_relay(port, carrier, premium, checks):
    trunks = (carrier, premium)
    for source, ruri, frm in (("127.0.0.5", "sip:+442071234567@127.0.0.1", "sip:alice@127.0.0.1"),
                              ("127.0.0.2", "sip:+972599950423@127.0.0.1", "sip:+15551230000@carrier.example"),
                              ("127.0.0.2", "sip:+1900555123@127.0.0.1", "sip:+15551230000@carrier.example"),
                              ("127.0.0.3", "sip:+442071234567@127.0.0.2", "sip:x@premium.example"),
                              ("127.0.0.2", "tel:+442071234567", "sip:x@carrier.example")):
        sock = udp(source)
        before = [len(t.invites()) for t in trunks]
        final, _ = exchange(sock, port, request("INVITE", ruri, sock, frm=frm))
        time.sleep(0.3)
        checks.expect(h.status_of(final) == 407 and not reached(trunks, before),
                      f"no credentials, from {source} to {ruri}: 407, no trunk reached ({h.status_of(final)}, "
                      f"{reached(trunks, before)})")
        sock.close()
    for ruri in ("sip:+972599950423@127.0.0.1", "sip:00972599950423@127.0.0.1", "tel:+972599950423",
                 "sip:+972-599-950423@127.0.0.1", "sip:+972%20599950423@127.0.0.1", "sips:+972599950423@127.0.0.1",
                 "sip:+1900555123@127.0.0.1", "sip:+1900555123@127.0.0.1;user=phone"):
        sock = udp()
        before = [len(t.invites()) for t in trunks]
        final, _ = call(port, ruri, sock)
        time.sleep(0.3)
        checks.expect(h.status_of(final) == 403 and not reached(trunks, before),
                      f"alice (allowed +44) dials {ruri}: 403, no trunk reached ({h.status_of(final)}, "
                      f"{reached(trunks, before)})")
        sock.close()


def case_identity(port, carrier, checks):
    sock = udp()
    final, _ = call(port, "sip:+442071234567@127.0.0.1", sock,
                    extra=("P-Asserted-Identity: <sip:+4999@127.0.0.1>", "P-Preferred-Identity: <sip:+4998@127.0.0.1>",
                           "Remote-Party-ID: <sip:+4997@127.0.0.1>;party=calling;screen=yes"))
    time.sleep(0.3)
    invite = carrier.invites()[-1] if carrier.invites() else b""
    checks.expect(h.status_of(final) == 200 and invite and not any(n in invite for n in (b"+4999", b"+4998", b"+4997")),
                  "identities the caller wrote itself never reach the trunk")
    sock.close()


def case_legs(port, server, carrier, checks):
    sock = udp()
    final, invite = call(port, "sip:+442071234567@127.0.0.1", sock)
    if not checks.expect(h.status_of(final) == 200, f"alice's call to +44 is answered ({h.status_of(final)})"):
        return
    sock.sendto(ack_for(invite, final), ("127.0.0.1", port))
    time.sleep(0.3)
    at_trunk = carrier.invites()[-1]
    caller_leg = h.header(final, "Contact").split("<")[1].split(">")[0]
    callee_leg = h.header(at_trunk, "Contact").split("<")[1].split(">")[0]
    call_id = h.header(invite, "Call-ID")
    local_tag = re.search(r"tag=([^;>\s]+)", h.header(final, "To")).group(1)
    trunk_call_id = h.header(at_trunk, "Call-ID")
    trunk_tag = re.search(r"tag=([^;>\s]+)", h.header(at_trunk, "From")).group(1)
    for what, source, ruri, ids in (
            ("a wrong From tag", "127.0.0.9", caller_leg, (call_id, "zz", local_tag)),
            ("a wrong Call-ID", "127.0.0.9", caller_leg, ("other", "a1", local_tag)),
            ("the callee leg's dialog", "127.0.0.2", caller_leg, (trunk_call_id, "carrier", trunk_tag)),
            ("the caller's dialog at the callee leg", "127.0.0.1", callee_leg, (call_id, "a1", local_tag)),
            ("the right dialog from a third address", "127.0.0.9", caller_leg, (call_id, "a1", local_tag))):
        intruder = udp(source)
        reply, _ = exchange(intruder, port, request("BYE", ruri, intruder, call_id=ids[0], from_tag=ids[1],
                                                    to_tag=ids[2], cseq=40))
        checks.expect(h.status_of(reply) == 481, f"a BYE with {what}: 481 ({h.status_of(reply)})")
        intruder.close()
    intruder = udp("127.0.0.9")
    exchange(intruder, port, request("BYE", f"sip:b2b.w999999.{'a' * 32}@127.0.0.1", intruder, call_id=call_id,
                                     from_tag="a1", to_tag=local_tag, cseq=41), timeout=1)
    intruder.close()
    reinvite, _ = exchange(sock, port, request("INVITE", caller_leg, sock, call_id=call_id, to_tag=local_tag, cseq=50))
    checks.expect(h.status_of(reinvite) == 200, f"the call survived: alice's re-INVITE is answered ({h.status_of(reinvite)})")
    sock.sendto(ack_for(request("INVITE", caller_leg, sock, call_id=call_id, to_tag=local_tag, cseq=50), reinvite),
                ("127.0.0.1", port))

    rng = random.Random(7)
    flood = udp("127.0.0.9")
    forms = (lambda: f"sip:b2b.w0.{rng.randbytes(16).hex()}@127.0.0.1", lambda: f"sip:b2b.w1.{rng.randbytes(16).hex()}@127.0.0.1",
             lambda: f"sip:b2b.w999999.{'f' * 32}@127.0.0.1", lambda: "sip:b2b.w0.@127.0.0.1", lambda: caller_leg,
             lambda: f"sip:b2b.w0.{rng.randbytes(16).hex().upper()}@127.0.0.1", lambda: "sip:b2b.w-1.x@127.0.0.1")
    for i in range(4000):
        flood.sendto(request(("ACK", "CANCEL", "BYE", "PRACK")[i % 4], forms[i % len(forms)](), flood,
                             call_id=call_id if i % 3 == 0 else None, to_tag="x" if i % 2 else None, cseq=i % 7),
                     ("127.0.0.1", port))
        if i % 400 == 0:
            time.sleep(0.02)
    flood.close()
    hostile = ["Session-Expires: 0", "Session-Expires: 99999999999999999999", "Session-Expires: ;;;", "Min-SE: 4294967296",
               "Refer-To: <sip:+44@127.0.0.1?Replaces=" + "%3B" * 50 + ">", "Refer-To:", "Refer-To: <>", "Replaces: ;;;",
               f"Refer-To: <sip:x@127.0.0.1?Replaces={trunk_call_id}%3Bto-tag%3D{trunk_tag}%3Bfrom-tag%3Dcarrier>",
               "Event: refer;id=" + "9" * 40, "RAck: 99999999999 x", "RSeq: 4294967296", "Contact: *", "Contact: <>",
               "Contact: " + "<sip:a@b>," * 200, "Require: 100rel", "Content-Type: message/sipfrag", "X: " + "A" * 30000]
    bodies = [b"", b"v=0\r\n", b"v=0\r\nc=IN IP4 10.0.0.1\r\n" + b"a=x\r\n" * 3000, b"\x00\xff" * 100]
    trunk_sock = udp("127.0.0.2")
    trunk_sock.settimeout(0.01)
    sock.settimeout(0.01)
    cseq = {"caller": 100, "trunk": 100}
    for i in range(200):
        side = rng.choice(("caller", "trunk"))
        method = rng.choice(("UPDATE", "PRACK", "INFO", "REFER", "NOTIFY", "OPTIONS", "MESSAGE", "ACK", "CANCEL", "INVITE"))
        cseq[side] += rng.choice((1, 1, 0, -3))
        extra = tuple(rng.sample(hostile, rng.randint(1, 3)))
        body = rng.choice(bodies)
        if side == "caller":
            data = request(method, caller_leg, sock, call_id=call_id, to_tag=local_tag, cseq=max(cseq[side], 0),
                           extra=extra, body=body)
            sender = sock
        else:
            data = request(method, callee_leg, trunk_sock, frm="sip:+44@127.0.0.2", call_id=trunk_call_id,
                           from_tag="carrier", to_tag=trunk_tag, cseq=max(cseq[side], 0), extra=extra, body=body)
            sender = trunk_sock
        sender.sendto(data[:65000], ("127.0.0.1", port))
        for drained in (sock, trunk_sock):
            try:
                while True:
                    drained.recvfrom(65535)
            except OSError:
                pass
    trunk_sock.close()
    time.sleep(1)
    probe = udp()
    reply, _ = exchange(probe, port, h.options_request(port, local_port=probe.getsockname()[1]))
    probe.close()
    checks.expect(h.status_of(reply) == 200 and server.process.poll() is None,
                  f"after the floods osprey is alive and answers OPTIONS ({h.status_of(reply)})")
    sock.close()


def main():
    checks = h.Failures()
    carrier, premium = Trunk("127.0.0.2"), Trunk("127.0.0.3")
    try:
        with h.temp_dir() as work:
            port = h.free_port()
            server = h.Osprey(ARGS.osprey, work, h.udp_and_tcp(port), extra_toml=config(carrier, premium), workers=2,
                              authentication=True, domains=("127.0.0.1",))
            h.check(h.import_accounts(ARGS.osprey, server.config, {"sip:alice@127.0.0.1": "alice-secret"}))
            with server:
                case_relay(port, carrier, premium, checks)
                case_identity(port, carrier, checks)
                case_legs(port, server, carrier, checks)
            h.expect_clean_stop(checks, server)
    finally:
        carrier.close()
        premium.close()
    checks.finish()


if __name__ == "__main__":
    main()
