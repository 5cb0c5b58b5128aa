"""In-dialog requests reach a phone over the flow its dialog came on when its Contact is not
reachable (the dialog token in osprey's Record-Route names the other side's flow, RFC 5626 §5.3
in spirit), against a live osprey with authentication on; every phone is a raw socket:

  1. alice calls over TCP with a Contact naming a port where nothing listens (baresip over TLS
     names its listening port, its connection comes from another); bob, on UDP, answers. bob's
     BYE (Request-URI: alice's Contact) reaches alice on her TCP connection, and bob gets her
     200, not osprey's 500 for a connection refused at the Contact.
  2. The reverse: carol is registered over TCP with a Contact where nothing listens (linphone
     registers its connection's ephemeral port), her connection open; dave calls her over UDP.
     dave's ACK and BYE (Request-URI: carol's Contact) reach carol on her connection, and dave
     gets her 200.
"""

import os
import socket
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
import sip_digest as d  # noqa: E402
from test_binding_targets import tcp_register  # noqa: E402

ACCOUNTS = {f"sip:{user}@127.0.0.1": f"{user}-secret" for user in ["alice", "bob", "carol", "dave"]}
# test_binding_targets.tcp_register reads passwords from its own accounts, "<user>-secret" too.


def dead_port():
    """A port with no TCP listener on 127.0.0.1 (bound for a moment, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stream:
    """A connected TCP socket and its read buffer."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""
        sock.settimeout(0.3)

    def send(self, data):
        self.sock.sendall(data)

    def wait(self, predicate, timeout=5.0):
        """The first message `predicate` accepts (others are skipped), or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message, self.buffer = h.read_stream_message(self.sock, self.buffer)
            if message is not None and predicate(message):
                return message
        return None


def udp_wait(sock, predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    sock.settimeout(0.3)
    while time.monotonic() < deadline:
        try:
            message = sock.recvfrom(65535)[0]
        except socket.timeout:
            continue
        if predicate(message):
            return message
    return None


def is_request(method):
    return lambda m: m.startswith(method.encode() + b" ")


def is_final(method):
    return lambda m: (d.status_of(m) or 0) >= 200 and d.header_lines(m, "CSeq")[0].endswith(method)


def request(method, uri, transport, local_port, from_uri, from_tag, to_uri, to_tag, call_id, cseq,
            contact=None, routes=(), extra=()):
    lines = [f"{method} {uri} SIP/2.0",
             f"Via: SIP/2.0/{transport} 127.0.0.1:{local_port};branch=z9hG4bK{uuid.uuid4().hex[:16]};rport",
             "Max-Forwards: 70", f"From: <{from_uri}>;tag={from_tag}",
             f"To: <{to_uri}>" + (f";tag={to_tag}" if to_tag else ""), f"Call-ID: {call_id}",
             f"CSeq: {cseq} {method}"]
    if contact:
        lines.append(f"Contact: {contact}")
    lines += [f"Route: {route}" for route in routes]
    lines += list(extra)
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer(invite, status, to_tag, contact):
    """The UAS's answer to `invite`, with its Contact (a 2xx copies the Record-Route, §12.1.1)."""
    response = h.response_to(invite, status, to_tag=to_tag)
    return response.replace(b"Content-Length: 0", f"Contact: {contact}\r\nContent-Length: 0".encode(), 1)


def record_routes(message):
    """The Record-Route values of a message, in order (one per line or comma-separated)."""
    values = []
    for line in d.header_lines(message, "Record-Route"):
        values += h._split_outside_brackets(line)
    return values


def tag_of(header_value):
    return header_value.split(";tag=", 1)[1].split(";", 1)[0] if ";tag=" in header_value else ""


def authenticated_invite(send, wait_final, invite_of, user):
    """INVITE, 407, ACK, INVITE with credentials: returns the final response of the second."""
    first_invite = invite_of(1, ())
    send(first_invite)
    challenge = wait_final(lambda m: d.status_of(m) == 407)
    if challenge is None:
        return None
    send(d.UdpClient.ack_for(first_invite, challenge))
    chosen = [c for c in d.challenges(challenge, "Proxy-Authenticate") if c["algorithm"].upper() == "SHA-256"]
    uri = first_invite.split(b" ", 2)[1].decode()
    credentials = d.authorization(chosen[0], "INVITE", uri, user, ACCOUNTS[f"sip:{user}@127.0.0.1"])
    send(invite_of(2, (f"Proxy-Authorization: {credentials}",)))
    return True


def case_caller_on_tcp(port, checks):
    bob = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    bob.bind(("127.0.0.1", 0))
    bob_port = bob.getsockname()[1]
    bob_contact = f"<sip:bob@127.0.0.1:{bob_port}>"
    _, final, _ = d.UdpClient(port, sock=bob).authenticated(
        "REGISTER", f"sip:127.0.0.1:{port}", "sip:bob@127.0.0.1", "sip:bob@127.0.0.1", "bob",
        ACCOUNTS["sip:bob@127.0.0.1"], extra=[f"Contact: {bob_contact}", "Expires: 600"])
    checks.expect(d.status_of(final) == 200, f"bob registers over UDP ({d.status_of(final)})")
    alice = Stream(socket.create_connection(("127.0.0.1", port), timeout=3.0))
    try:
        alice_port = alice.sock.getsockname()[1]
        unreachable = dead_port()
        alice_contact = f"<sip:alice@127.0.0.1:{unreachable};transport=tcp>"
        call_id, alice_tag = uuid.uuid4().hex, uuid.uuid4().hex[:8]

        def invite_of(cseq, extra):
            return request("INVITE", "sip:bob@127.0.0.1", "TCP", alice_port, "sip:alice@127.0.0.1", alice_tag,
                           "sip:bob@127.0.0.1", "", call_id, cseq, contact=alice_contact, extra=extra)

        authenticated_invite(alice.send, lambda p: alice.wait(p), invite_of, "alice")
        invite = udp_wait(bob, is_request("INVITE"))
        checks.expect(invite is not None, "alice's INVITE (TCP, unreachable Contact) reaches bob over UDP")
        if invite is None:
            return
        bob_tag = "bobtag"
        bob.sendto(answer(invite, 200, bob_tag, bob_contact), ("127.0.0.1", port))
        ok = alice.wait(lambda m: d.status_of(m) == 200 and is_final("INVITE")(m))
        checks.expect(ok is not None, "alice gets bob's 200 on her TCP connection")
        if ok is None:
            return
        # §12.1.2: the caller's route set is the 2xx's Record-Route reversed.
        alice.send(request("ACK", f"sip:bob@127.0.0.1:{bob_port}", "TCP", alice_port, "sip:alice@127.0.0.1",
                           alice_tag, "sip:bob@127.0.0.1", bob_tag, call_id, 2,
                           routes=list(reversed(record_routes(ok)))))
        checks.expect(udp_wait(bob, is_request("ACK")) is not None, "alice's ACK reaches bob")
        # §12.1.1: the callee's route set is the INVITE's Record-Route in order; its BYE goes to
        # alice's Contact, where nothing listens.
        bob.sendto(request("BYE", alice_contact[1:-1], "UDP", bob_port, "sip:bob@127.0.0.1", bob_tag,
                           "sip:alice@127.0.0.1", alice_tag, call_id, 1, routes=record_routes(invite)),
                   ("127.0.0.1", port))
        bye = alice.wait(is_request("BYE"))
        checks.expect(bye is not None, "bob's BYE to alice's unreachable Contact arrives on her TCP connection")
        if bye is not None:
            checks.expect(bye.split(b" ", 2)[1].decode() == alice_contact[1:-1],
                          "its Request-URI is still alice's Contact (§16.6 step 2)")
            alice.send(h.response_to(bye, 200, to_tag=alice_tag))
        final = udp_wait(bob, is_final("BYE"))
        checks.expect(d.status_of(final) == 200, f"bob gets alice's 200 for the BYE ({d.status_of(final)})")
    finally:
        alice.sock.close()
        bob.close()


def case_callee_on_tcp(port, checks):
    carol = Stream(socket.create_connection(("127.0.0.1", port), timeout=3.0))
    dave = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dave.bind(("127.0.0.1", 0))
    dave_port = dave.getsockname()[1]
    try:
        unreachable = dead_port()
        carol_contact = f"<sip:carol@127.0.0.1:{unreachable};transport=tcp>"
        status = tcp_register(port, "carol", carol_contact, carol.sock)
        carol.sock.settimeout(0.3)
        checks.expect(status == 200, f"carol registers over TCP with an unreachable Contact ({status})")
        call_id, dave_tag = uuid.uuid4().hex, uuid.uuid4().hex[:8]

        def invite_of(cseq, extra):
            return request("INVITE", "sip:carol@127.0.0.1", "UDP", dave_port, "sip:dave@127.0.0.1", dave_tag,
                           "sip:carol@127.0.0.1", "", call_id, cseq, contact=f"<sip:dave@127.0.0.1:{dave_port}>",
                           extra=extra)

        authenticated_invite(lambda data: dave.sendto(data, ("127.0.0.1", port)),
                             lambda p: udp_wait(dave, p), invite_of, "dave")
        invite = carol.wait(is_request("INVITE"))
        checks.expect(invite is not None, "dave's INVITE reaches carol on her connection")
        if invite is None:
            return
        carol_tag = "caroltag"
        carol.send(answer(invite, 200, carol_tag, carol_contact))
        ok = udp_wait(dave, lambda m: d.status_of(m) == 200 and is_final("INVITE")(m))
        checks.expect(ok is not None, "dave gets carol's 200")
        if ok is None:
            return
        routes = list(reversed(record_routes(ok)))
        dave.sendto(request("ACK", carol_contact[1:-1], "UDP", dave_port, "sip:dave@127.0.0.1", dave_tag,
                            "sip:carol@127.0.0.1", carol_tag, call_id, 2, routes=routes), ("127.0.0.1", port))
        checks.expect(carol.wait(is_request("ACK")) is not None,
                      "dave's ACK to carol's unreachable Contact arrives on her connection")
        dave.sendto(request("BYE", carol_contact[1:-1], "UDP", dave_port, "sip:dave@127.0.0.1", dave_tag,
                            "sip:carol@127.0.0.1", carol_tag, call_id, 3, routes=routes), ("127.0.0.1", port))
        bye = carol.wait(is_request("BYE"))
        checks.expect(bye is not None, "dave's BYE to carol's unreachable Contact arrives on her connection")
        if bye is not None:
            carol.send(h.response_to(bye, 200, to_tag=carol_tag))
        final = udp_wait(dave, is_final("BYE"))
        checks.expect(d.status_of(final) == 200, f"dave gets carol's 200 for the BYE ({d.status_of(final)})")
    finally:
        carol.sock.close()
        dave.close()


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        port = h.free_port()
        server = h.Osprey(args.osprey, work, h.udp_and_tcp(port), authentication=True)
        imported = h.import_accounts(args.osprey, server.config, ACCOUNTS)
        checks.expect(imported.returncode == 0, f"osprey user import: {imported.stdout.strip()} {imported.stderr.strip()}")
        with server:
            case_caller_on_tcp(port, checks)
            case_callee_on_tcp(port, checks)
        h.expect_clean_stop(checks, server)
    checks.finish()


if __name__ == "__main__":
    main()
