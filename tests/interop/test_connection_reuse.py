"""A connection a phone opened carries requests only for that phone (RFC 5626 §5.3, RFC 5923 §5,
§11), against a live osprey with authentication on and two workers; every phone is a raw socket:

  1. TCP: bob registers over a TCP connection and keeps it. A MESSAGE for mallory, another
     account holder not registered yet, is stored. mallory registers over UDP a Contact naming
     bob's connection (its address and ephemeral port, transport=tcp): the stored MESSAGE does
     not arrive on bob's connection; a MESSAGE (stored again, 202) and an INVITE for mallory get
     no 200, and nothing arrives on bob's connection either: osprey opens a connection of its
     own to that port, which refuses it. A MESSAGE for bob still reaches him over his connection.
  2. TLS: carol registers over a TLS connection and keeps it. trudy registers over UDP two
     Contacts naming it (sips:, and sip: with transport=tls). A MESSAGE for trudy gets a final
     error and nothing arrives on carol's connection (it was never verified as those URIs'
     host); a MESSAGE for carol still reaches her over it.
"""

import os
import socket
import ssl
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
import sip_digest as d  # noqa: E402

USERS = ["alice", "bob", "mallory", "carol", "trudy"]
ACCOUNTS = {f"sip:{user}@127.0.0.1": f"{user}-secret" for user in USERS}


def password(user):
    return ACCOUNTS[f"sip:{user}@127.0.0.1"]


def stream_register(port, user, contacts, sock, transport):
    """REGISTER `user` with its password over the connected stream `sock` (TCP or TLS); returns
    the final status."""
    local_port = sock.getsockname()[1]
    aor = f"sip:{user}@127.0.0.1"
    uri = f"sip:127.0.0.1:{port}"
    call_id, tag = uuid.uuid4().hex, uuid.uuid4().hex[:8]

    def request(cseq, extra=()):
        lines = [f"REGISTER {uri} SIP/2.0",
                 f"Via: SIP/2.0/{transport} 127.0.0.1:{local_port};branch=z9hG4bK{uuid.uuid4().hex[:16]};rport",
                 "Max-Forwards: 70", f"From: <{aor}>;tag={tag}", f"To: <{aor}>", f"Call-ID: {call_id}",
                 f"CSeq: {cseq} REGISTER", *[f"Contact: {c}" for c in contacts], "Expires: 600", *extra,
                 "Content-Length: 0"]
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


class StreamDevice:
    """A registered phone's connection (plain or TLS): records every request that arrives on it
    and answers it 200 there."""

    def __init__(self, sock):
        self.sock = sock
        self.received = []
        self.running = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        self.sock.settimeout(0.2)
        buffer = b""
        while self.running:
            message, buffer = h.read_stream_message(self.sock, buffer)
            if message is None:
                continue
            if message.startswith(b"SIP/2.0") or message.startswith(b"ACK "):
                continue
            self.received.append(message)
            try:
                self.sock.sendall(h.response_to(message, 200))
            except (OSError, ssl.SSLError):
                return

    def requests(self, method):
        return [m for m in self.received if m.startswith(method.encode() + b" ")]

    def wait_for(self, method, count, timeout=5.0):
        deadline = time.monotonic() + timeout
        while len(self.requests(method)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.requests(method)

    def close(self):
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


def udp_register(port, user, contacts):
    """REGISTER `user` over UDP with `contacts`; returns the final status."""
    aor = f"sip:{user}@127.0.0.1"
    client = d.UdpClient(port)
    try:
        _, final, _ = client.authenticated("REGISTER", f"sip:127.0.0.1:{port}", aor, aor, user, password(user),
                                           extra=[*[f"Contact: {c}" for c in contacts], "Expires: 600"])
        return d.status_of(final)
    finally:
        client.close()


def alice_sends(port, method, user, body=b"hello"):
    """alice's authenticated `method` to `user`: its final status."""
    client = d.UdpClient(port)
    try:
        target = f"sip:{user}@127.0.0.1"
        _, final, _ = client.authenticated(method, target, "sip:alice@127.0.0.1", target, "alice",
                                           password("alice"), body=body)
        return d.status_of(final)
    finally:
        client.close()


def case_tcp(port, checks):
    connection = socket.create_connection(("127.0.0.1", port), timeout=3.0)
    bob_port = connection.getsockname()[1]
    status = stream_register(port, "bob", [f"<sip:bob@127.0.0.1:{bob_port};transport=tcp>"], connection, "TCP")
    checks.expect(status == 200, f"bob registers over TCP and keeps the connection ({status})")
    bob = StreamDevice(connection)
    try:
        status = alice_sends(port, "MESSAGE", "mallory", body=b"stored for mallory")
        checks.expect(status == 202, f"a MESSAGE for mallory, not registered yet, is stored ({status})")
        status = udp_register(port, "mallory", [f"<sip:mallory@127.0.0.1:{bob_port};transport=tcp>"])
        checks.expect(status == 200, f"mallory registers over UDP a Contact naming bob's connection ({status})")
        time.sleep(1.0)  # the stored MESSAGE is delivered at once to a binding that registers
        checks.expect(not bob.received,
                      f"the stored MESSAGE for mallory does not arrive on bob's connection "
                      f"({[m.split(b' ')[0] for m in bob.received]})")
        status = alice_sends(port, "MESSAGE", "mallory")
        invite_status = alice_sends(port, "INVITE", "mallory", body=b"")
        time.sleep(1.0)  # whatever osprey would write into bob's connection would be there by now
        checks.expect(status is not None and status != 200 and invite_status is not None and invite_status >= 300,
                      f"a MESSAGE and an INVITE for mallory get a final error, not 200 ({status}, {invite_status})")
        checks.expect(not bob.received,
                      f"nothing for mallory arrives on bob's connection ({[m.split(b' ')[0] for m in bob.received]})")
        status = alice_sends(port, "MESSAGE", "bob", body=b"for bob")
        got = bob.wait_for("MESSAGE", 1, timeout=3.0)
        checks.expect(status == 200 and len(got) == 1 and b"for bob" in got[0],
                      f"a MESSAGE for bob still reaches him over his own connection ({status}, {len(got)})")
    finally:
        bob.close()


def case_tls(port, tls_port, ca_file, checks):
    context = ssl.create_default_context(cafile=ca_file)
    raw = socket.create_connection(("127.0.0.1", tls_port), timeout=5)
    connection = context.wrap_socket(raw, server_hostname="localhost")
    carol_port = connection.getsockname()[1]
    status = stream_register(tls_port, "carol", [f"<sips:carol@127.0.0.1:{carol_port}>"], connection, "TLS")
    checks.expect(status == 200, f"carol registers over TLS and keeps the connection ({status})")
    carol = StreamDevice(connection)
    try:
        status = udp_register(port, "trudy", [f"<sips:trudy@127.0.0.1:{carol_port}>",
                                              f"<sip:trudy@127.0.0.1:{carol_port};transport=tls>"])
        checks.expect(status == 200, f"trudy registers over UDP two Contacts naming carol's TLS connection ({status})")
        status = alice_sends(port, "MESSAGE", "trudy")
        time.sleep(1.0)
        checks.expect(status is not None and status != 200, f"a MESSAGE for trudy gets a final error ({status})")
        checks.expect(not carol.received,
                      f"nothing for trudy arrives on carol's TLS connection "
                      f"({[m.split(b' ')[0] for m in carol.received]})")
        status = alice_sends(port, "MESSAGE", "carol", body=b"for carol")
        got = carol.wait_for("MESSAGE", 1, timeout=3.0)
        checks.expect(status == 200 and len(got) == 1 and b"for carol" in got[0],
                      f"a MESSAGE for carol still reaches her over her own TLS connection ({status}, {len(got)})")
    finally:
        carol.close()


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        certs = h.make_certificates(os.path.join(work, "pki"))
        port, tls_port = h.free_port(), h.free_port()
        listens = h.udp_and_tcp(port) + [{"transport": "tls", "address": "127.0.0.1", "port": tls_port,
                                          "certificate": certs["cert"], "private_key": certs["key"]}]
        # With a CA osprey can open TLS connections itself: the one it tries toward carol's port is
        # refused there, rather than never attempted.
        server = h.Osprey(args.osprey, work, listens, authentication=True,
                          extra_toml=f'[tls]\nca_file = "{certs["ca_cert"]}"\n')
        imported = h.import_accounts(args.osprey, server.config, ACCOUNTS)
        checks.expect(imported.returncode == 0,
                      f"osprey user import: {imported.stdout.strip()} {imported.stderr.strip()}")
        with server:
            case_tcp(port, checks)
            case_tls(port, tls_port, certs["ca_cert"], checks)
        h.expect_clean_stop(checks, server)
    checks.finish()


if __name__ == "__main__":
    main()
