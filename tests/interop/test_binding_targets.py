"""Where osprey sends the requests for a registered user (RFC 3261 §16.5, §16.6 step 7, §18.1.1,
§22.3), against a live osprey with authentication on; every phone is a raw socket:

  1. TCP: while the connection bob registered on is open, a MESSAGE for him arrives on it (flow
     reuse); once he closed it, at the TCP listener his Contact names, not at the closed
     connection's ephemeral port; and again after osprey restarted.
  2. UDP: dave registers from one socket with a Contact naming another (a third-party
     registration): the MESSAGE reaches the Contact. erin's Contact is a private address that is
     not her source (NAT): the MESSAGE reaches her source.
  3. The Contact is attacker-chosen: frank's names osprey's own address, and a MESSAGE for him is
     answered 482 without coming back round; grace's is the gateway's URI, and a call to her
     reaches nothing at the gateway.
  4. A large INVITE (a 1400-byte body) to carol, registered over UDP with no TCP listener: osprey
     tries TCP (§18.1.1), is refused, and sends it over UDP; alice gets carol's 200, not 500. The
     INVITE carries no Proxy-Authorization for osprey's realm (alice's digest stays with osprey)
     and its Record-Route names UDP.
  5. The same to henry, whose Contact port has a TCP listener too: the INVITE arrives over TCP and
     its top Record-Route names TCP (the transport the request took), not UDP.
  6. Stored MESSAGEs follow the same rule: ivan, offline, gets a MESSAGE (202, stored); he then
     registers from one socket with a Contact naming another, and the stored MESSAGE is delivered
     at the Contact.
"""

import os
import socket
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
import sip_digest as d  # noqa: E402

USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "henry", "ivan"]
ACCOUNTS = {f"sip:{user}@127.0.0.1": f"{user}-secret" for user in USERS}


def password(user):
    return ACCOUNTS[f"sip:{user}@127.0.0.1"]


class StreamPhone:
    """A phone on TCP: a listener (at `port`, or a free one) whose connections it reads, plus any
    connection handed to it (adopt). It records each request with the name of the connection it
    came on and answers 200 on that connection."""

    def __init__(self, port=0):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(8)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.received = []  # (connection name, message)
        self.running = True
        self.sockets = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while self.running:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            self.adopt(conn, "listener")

    def adopt(self, sock, name):
        self.sockets.append(sock)
        threading.Thread(target=self._read, args=(sock, name), daemon=True).start()

    def _read(self, sock, name):
        sock.settimeout(0.2)
        buffer = b""
        while self.running:
            message, buffer = h.read_stream_message(sock, buffer)
            if message is None:
                try:
                    if sock.recv(1, socket.MSG_PEEK) == b"":
                        return  # closed
                except socket.timeout:
                    continue
                except OSError:
                    return
                continue
            if message.startswith(b"SIP/2.0") or message.startswith(b"ACK "):
                continue
            self.received.append((name, message))
            try:
                sock.sendall(h.response_to(message, 200))
            except OSError:
                return

    def wait_for(self, count, timeout=5.0):
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received

    def close(self):
        self.running = False
        for sock in self.sockets:
            try:
                sock.close()
            except OSError:
                pass
        self.listener.close()


def tcp_register(port, user, contact, sock):
    """REGISTER `user` with its password over the connected TCP `sock`; returns the final status."""
    local_port = sock.getsockname()[1]
    aor = f"sip:{user}@127.0.0.1"
    uri = f"sip:127.0.0.1:{port}"
    call_id, tag = uuid.uuid4().hex, uuid.uuid4().hex[:8]

    def request(cseq, extra=()):
        lines = [f"REGISTER {uri} SIP/2.0",
                 f"Via: SIP/2.0/TCP 127.0.0.1:{local_port};branch=z9hG4bK{uuid.uuid4().hex[:16]};rport",
                 "Max-Forwards: 70", f"From: <{aor}>;tag={tag}", f"To: <{aor}>", f"Call-ID: {call_id}",
                 f"CSeq: {cseq} REGISTER", f"Contact: {contact}", "Expires: 600", *extra, "Content-Length: 0"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    sock.settimeout(3.0)
    buffer = b""
    sock.sendall(request(1))
    first, buffer = h.read_stream_message(sock, buffer)
    chosen = [c for c in d.challenges(first) if c["algorithm"].upper() == "SHA-256"]
    if d.status_of(first) != 401 or not chosen:
        return d.status_of(first)
    credentials = d.authorization(chosen[0], "REGISTER", uri, user, password(user))
    sock.sendall(request(2, [f"Authorization: {credentials}"]))
    final, _ = h.read_stream_message(sock, buffer)
    return d.status_of(final)


def udp_register(port, user, sock, contact):
    """REGISTER `user` from the UDP `sock` with `contact`; returns the final status."""
    aor = f"sip:{user}@127.0.0.1"
    _, final, _ = d.UdpClient(port, sock=sock).authenticated(
        "REGISTER", f"sip:127.0.0.1:{port}", aor, aor, user, password(user),
        extra=[f"Contact: {contact}", "Expires: 600"])
    return d.status_of(final)


def alice_sends(port, method, user, body=b"hello"):
    """alice's authenticated `method` to `user`: (final status, the credentials she sent)."""
    client = d.UdpClient(port)
    try:
        target = f"sip:{user}@127.0.0.1"
        _, final, credentials = client.authenticated(method, target, "sip:alice@127.0.0.1", target, "alice",
                                                     password("alice"), body=body)
        return d.status_of(final), credentials
    finally:
        client.close()


def udp_socket(port=0):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    return sock


def case_tcp(server, port, checks):
    bob = StreamPhone()
    connection = socket.create_connection(("127.0.0.1", port), timeout=3.0)
    try:
        status = tcp_register(port, "bob", f"<sip:bob@127.0.0.1:{bob.port};transport=tcp>", connection)
        checks.expect(status == 200, f"bob registers over TCP with a Contact at his TCP listener ({status})")
        bob.adopt(connection, "registration")
        status, _ = alice_sends(port, "MESSAGE", "bob")
        got = bob.wait_for(1)
        checks.expect(status == 200 and [name for name, _ in got] == ["registration"],
                      f"while bob's connection is open, a MESSAGE reaches him over it ({status}, "
                      f"{[name for name, _ in got]})")
        connection.shutdown(socket.SHUT_RDWR)
        connection.close()
        time.sleep(0.5)  # osprey sees the connection close
        status, _ = alice_sends(port, "MESSAGE", "bob")
        got = bob.wait_for(2)
        checks.expect(status == 200 and [name for name, _ in got[1:]] == ["listener"],
                      f"once bob's connection closed, a MESSAGE reaches his Contact's listener ({status}, "
                      f"{[name for name, _ in got[1:]]})")
        server.stop()
        with server:
            status, _ = alice_sends(port, "MESSAGE", "bob")
            got = bob.wait_for(3)
            checks.expect(status == 200 and [name for name, _ in got[2:]] == ["listener"],
                          f"after a restart, a MESSAGE reaches bob's Contact's listener ({status}, "
                          f"{[name for name, _ in got[2:]]})")
    finally:
        bob.close()
    server.__enter__()  # the remaining cases run on a running server again


def case_udp(port, checks):
    sender, contact = udp_socket(), h.UdpRecorder(answer=200)
    status = udp_register(port, "dave", sender, f"<sip:dave@127.0.0.1:{contact.port}>")
    checks.expect(status == 200, f"dave registers a Contact that is not his source ({status})")
    source = h.UdpRecorder(answer=200, sock=sender, requests_only=True)
    nat_sock = udp_socket()
    status = udp_register(port, "erin", nat_sock, "<sip:erin@192.168.77.5:5060>")
    checks.expect(status == 200, f"erin registers a private Contact ({status})")
    nat_source = h.UdpRecorder(answer=200, sock=nat_sock, requests_only=True)
    try:
        status, _ = alice_sends(port, "MESSAGE", "dave")
        at_contact = [m for m in contact.wait_for(1, timeout=3.0) if m.startswith(b"MESSAGE ")]
        checks.expect(status == 200 and len(at_contact) == 1 and not source.received,
                      f"a MESSAGE for dave reaches his Contact, not the REGISTER's source ({status}, "
                      f"{len(at_contact)} at the Contact, {len(source.received)} at the source)")
        status, _ = alice_sends(port, "MESSAGE", "erin")
        got = nat_source.wait_for(1, timeout=3.0)
        checks.expect(status == 200 and len(got) == 1,
                      f"a MESSAGE for erin (behind NAT) reaches her source ({status}, {len(got)})")
    finally:
        for recorder in (contact, source, nat_source):
            recorder.close()


def case_hostile_contacts(port, gateway, checks):
    frank_sock = udp_socket()
    status = udp_register(port, "frank", frank_sock, f"<sip:frank@127.0.0.1:{port}>")
    checks.expect(status == 200, f"frank registers a Contact at osprey's own address ({status})")
    frank = h.UdpRecorder(answer=200, sock=frank_sock, requests_only=True)
    grace_sock = udp_socket()
    status = udp_register(port, "grace", grace_sock, f"<sip:{gateway.address}:{gateway.port}>")
    checks.expect(status == 200, f"grace registers the gateway's URI as her Contact ({status})")
    grace = h.UdpRecorder(answer=200, sock=grace_sock, requests_only=True)
    try:
        started = time.monotonic()
        status, _ = alice_sends(port, "MESSAGE", "frank")
        checks.expect(status == 482 and time.monotonic() - started < 5.0,
                      f"a MESSAGE for frank, whose Contact is osprey itself: 482, no loop ({status})")
        before = len(gateway.received)
        status, _ = alice_sends(port, "INVITE", "grace", body=b"")
        late = gateway.arrivals_since(before, wait=1.0)
        checks.expect(status == 403 and not late,
                      f"a call to grace, whose Contact is the gateway: 403, nothing at the gateway "
                      f"({status}, {len(late)} at the gateway)")
    finally:
        frank.close()
        grace.close()


def large_invite_checks(forwarded, transport, checks, who):
    lines = d.header_lines(forwarded, "Proxy-Authorization")
    checks.expect(not [line for line in lines if 'realm="127.0.0.1"' in line],
                  f"the INVITE {who} got carries no Proxy-Authorization for osprey's realm ({lines})")
    record_route = d.header_lines(forwarded, "Record-Route")
    checks.expect(bool(record_route) and f"transport={transport}" in record_route[0].split(",")[0],
                  f"the INVITE {who} got has a Record-Route naming {transport.upper()} ({record_route[:1]})")


def case_large_invite(port, checks):
    body = b"v=0\r\n" + b"a=x-padding:" + b"p" * 1400 + b"\r\n"
    carol_port = h.free_port()  # free on TCP too: nobody accepts osprey's connection there
    carol_sock = udp_socket(carol_port)
    status = udp_register(port, "carol", carol_sock, f"<sip:carol@127.0.0.1:{carol_port}>")
    checks.expect(status == 200, f"carol registers over UDP ({status})")
    carol = h.UdpRecorder(answer=200, sock=carol_sock, requests_only=True)
    try:
        status, credentials = alice_sends(port, "INVITE", "carol", body=body)
        invites = [m for m in carol.wait_for(1, timeout=3.0) if m.startswith(b"INVITE ")]
        checks.expect(credentials is not None and status == 200 and len(invites) >= 1,
                      f"a 1400-byte INVITE to carol (UDP only) arrives over UDP after the refused TCP "
                      f"connection, and alice gets 200, not 500 ({status}, {len(invites)} INVITEs)")
        if invites:
            large_invite_checks(invites[0], "udp", checks, "carol")
    finally:
        carol.close()

    henry_port = h.free_port()
    henry_udp = udp_socket(henry_port)
    henry_tcp = StreamPhone(henry_port)
    try:
        status = udp_register(port, "henry", henry_udp, f"<sip:henry@127.0.0.1:{henry_port}>")
        checks.expect(status == 200, f"henry registers over UDP ({status})")
        status, _ = alice_sends(port, "INVITE", "henry", body=body)
        got = [m for _, m in henry_tcp.wait_for(1, timeout=3.0) if m.startswith(b"INVITE ")]
        checks.expect(status == 200 and len(got) == 1,
                      f"a 1400-byte INVITE to henry arrives over TCP at his Contact's port ({status}, {len(got)})")
        if got:
            large_invite_checks(got[0], "tcp", checks, "henry")
    finally:
        henry_tcp.close()
        henry_udp.close()


def case_stored(port, checks):
    status, _ = alice_sends(port, "MESSAGE", "ivan", body=b"while you were away")
    checks.expect(status == 202, f"a MESSAGE for ivan, offline, is stored ({status})")
    sender, contact = udp_socket(), h.UdpRecorder(answer=200)
    try:
        status = udp_register(port, "ivan", sender, f"<sip:ivan@127.0.0.1:{contact.port}>")
        checks.expect(status == 200, f"ivan registers a Contact that is not his source ({status})")
        source = h.UdpRecorder(answer=200, sock=sender, requests_only=True)
        got = [m for m in contact.wait_for(1, timeout=5.0) if m.startswith(b"MESSAGE ")]
        checks.expect(len(got) == 1 and b"while you were away" in got[0] and not source.received,
                      f"the stored MESSAGE is delivered at ivan's Contact, not his REGISTER's source "
                      f"({len(got)} at the Contact, {len(source.received)} at the source)")
        source.close()
    finally:
        contact.close()


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        port = h.free_port()
        gateway = h.UdpRecorder(answer=486, address=h.GATEWAY_ADDRESS)
        server = h.Osprey(args.osprey, work, h.udp_and_tcp(port), authentication=True,
                          extra_toml=f'[dialplan]\ngateway = "sip:{gateway.address}:{gateway.port}"\n')
        imported = h.import_accounts(args.osprey, server.config, ACCOUNTS)
        checks.expect(imported.returncode == 0, f"osprey user import: {imported.stdout.strip()} {imported.stderr.strip()}")
        try:
            with server:
                case_tcp(server, port, checks)
                case_udp(port, checks)
                case_hostile_contacts(port, gateway, checks)
                case_large_invite(port, checks)
                case_stored(port, checks)
        finally:
            gateway.close()
        h.expect_clean_stop(checks, server)
    checks.finish()


if __name__ == "__main__":
    main()
