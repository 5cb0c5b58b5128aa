"""sips: requests over a live osprey with UDP, TCP and TLS listeners (RFC 3261 §26.2.2, §16.6
step 4; RFC 5630 §3.1.2, §3.1.3), with raw sockets and Python's ssl module:

  1. bob cannot register his sips: AOR over UDP (403, RFC 5630 §4.1). He registers it over a TLS
     connection with a Contact naming his UDP socket, closes that connection, and registers his
     sip: AOR over UDP. A MESSAGE and an INVITE for sips:bob sent over TLS get 480 and bob's UDP
     socket receives nothing: a sips: request never leaves by a hop that is not TLS. The same
     MESSAGE for sip:bob reaches him (the binding itself is fine).
  2. A sips: MESSAGE whose Route names a plain UDP next hop gets 480; that next hop receives
     nothing.
  3. carol registers over a TLS connection. An INVITE for sips:carol reaches her over that
     connection with osprey's Record-Route as a SIPS URI at its TLS listener (no transport
     parameter, osprey's osp-dt mark); her 200 reaches the caller with osprey's Record-Route
     still a SIPS URI (its dialog token rewritten for the caller, RFC 3261 §16.7 step 4).
  4. carol registered To: sips:carol only, and sip:carol is another AOR (RFC 3261 §19.1.4,
     §10.3 step 5): a MESSAGE for sip:carol does not reach her TLS connection (it is answered
     as for a user with no binding of that AOR: the open registrar of this test stores it, 202),
     an INVITE for sip:carol gets 480, a REGISTER query for sip:carol lists none of her sips:
     bindings (§10.3 step 8) and one for sips:carol lists it. Contact: * for sip:carol leaves
     her sips: binding, which still takes a sips: INVITE. The MESSAGE stored for sip:carol is not
     delivered when she refreshes sips:carol, and is once she registers sip:carol.
"""

import os
import socket
import ssl
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
import sip_digest as d  # noqa: E402


class TlsPeer:
    """One TLS connection to osprey: sends requests and responses, reads whole messages."""

    def __init__(self, port, ca_file):
        context = ssl.create_default_context(cafile=ca_file)
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.conn = context.wrap_socket(raw, server_hostname="localhost")
        self.local_port = self.conn.getsockname()[1]
        self.buffer = b""

    def close(self):
        self.conn.close()

    def send(self, data):
        self.conn.sendall(data)

    def read_message(self, timeout=3.0):
        """The next whole message (framed by Content-Length), or None after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end >= 0:
                length = 0
                for line in self.buffer[:end].split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() in (b"content-length", b"l"):
                        length = int(value.strip() or 0)
                total = end + 4 + length
                if len(self.buffer) >= total:
                    message, self.buffer = self.buffer[:total], self.buffer[total:]
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.conn.settimeout(remaining)
            try:
                chunk = self.conn.recv(65535)
            except (socket.timeout, ssl.SSLError):
                return None
            if not chunk:
                return None
            self.buffer += chunk

    def final_response(self, timeout=4.0):
        """The first final response read within `timeout` seconds (provisional ones skipped)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self.read_message(deadline - time.monotonic())
            if message is None:
                return None
            status = d.status_of(message)
            if status is not None and status >= 200:
                return message
        return None

    def request(self, method, uri, from_uri, to_uri, extra=(), body=b"", contact=None):
        lines = [
            f"{method} {uri} SIP/2.0",
            f"Via: SIP/2.0/TLS 127.0.0.1:{self.local_port};branch=z9hG4bK{uuid.uuid4().hex[:16]};rport",
            "Max-Forwards: 70",
            f"From: <{from_uri}>;tag={uuid.uuid4().hex[:8]}",
            f"To: <{to_uri}>",
            f"Call-ID: {uuid.uuid4().hex}",
            f"CSeq: 1 {method}",
            *([] if contact is False else [f"Contact: <{contact or f'sips:caller@127.0.0.1:{self.local_port}'}>"]),
            *extra,
        ]
        if body:
            lines.append("Content-Type: text/plain")
        lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def register_udp(port, tls_port, ca_file, user, checks):
    """`user` binds both his AORs (sip: and sips:, two AORs) to one UDP socket: the sips: one over
    a TLS connection he then closes (over UDP it is refused), the sip: one over UDP."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    contact_port = sock.getsockname()[1]
    client = d.UdpClient(port, sock=sock)
    contact = [f"Contact: <sip:{user}@127.0.0.1:{contact_port}>", "Expires: 600"]
    sips_aor, sip_aor = f"sips:{user}@127.0.0.1", f"sip:{user}@127.0.0.1"
    reply = client.exchange(client.request("REGISTER", f"sip:127.0.0.1:{port}", sips_aor, sips_aor, extra=contact))
    checks.expect(d.status_of(reply) == 403, f"{user} registers {sips_aor} over UDP: 403 ({d.status_of(reply)})")
    tls = TlsPeer(tls_port, ca_file)
    try:
        tls.send(tls.request("REGISTER", "sip:127.0.0.1", sips_aor, sips_aor, contact=False, extra=contact))
        reply = tls.final_response()
        checks.expect(d.status_of(reply) == 200, f"{user} registers {sips_aor} over TLS: 200 ({d.status_of(reply)})")
    finally:
        tls.close()
    time.sleep(0.3)  # osprey sees the connection closed: the binding's next hop is its Contact
    reply = client.exchange(client.request("REGISTER", f"sip:127.0.0.1:{port}", sip_aor, sip_aor, extra=contact))
    checks.expect(d.status_of(reply) == 200, f"{user} registers {sip_aor} over UDP: 200 ({d.status_of(reply)})")
    return h.UdpRecorder(answer=200, sock=sock, requests_only=True)


def case_no_tls_binding(tls_port, caller, bob, checks):
    for method in ("MESSAGE", "INVITE"):
        before = len(bob.received)
        body = b"secret" if method == "MESSAGE" else b""
        caller.send(caller.request(method, "sips:bob@127.0.0.1", "sips:caller@127.0.0.1", "sips:bob@127.0.0.1",
                                   body=body))
        reply = caller.final_response()
        arrived = bob.arrivals_since(before, wait=0.5)
        checks.expect(d.status_of(reply) == 480 and not arrived,
                      f"{method} sips:bob over TLS, bob registered over UDP only: 480, nothing at bob "
                      f"({d.status_of(reply)}, {len(arrived)} at bob)")
    before = len(bob.received)
    caller.send(caller.request("MESSAGE", "sip:bob@127.0.0.1", "sip:caller@127.0.0.1", "sip:bob@127.0.0.1",
                               body=b"not secret"))
    reply = caller.final_response()
    got = bob.wait_for(before + 1, timeout=2.0)
    checks.expect(d.status_of(reply) == 200 and len(got) > before,
                  f"the same MESSAGE to sip:bob reaches him over UDP ({d.status_of(reply)}, "
                  f"{len(got) - before} at bob)")


def case_route_over_udp(caller, checks):
    hop = h.UdpRecorder(answer=200, requests_only=True)
    try:
        caller.send(caller.request("MESSAGE", "sips:carol@192.0.2.60", "sips:caller@127.0.0.1",
                                   "sips:carol@192.0.2.60", extra=[f"Route: <sip:127.0.0.1:{hop.port};lr>"],
                                   body=b"secret"))
        reply = caller.final_response()
        arrived = hop.arrivals_since(0, wait=0.5)
        checks.expect(d.status_of(reply) == 480 and not arrived,
                      f"a sips: MESSAGE routed to a UDP next hop: 480, nothing there "
                      f"({d.status_of(reply)}, {len(arrived)} there)")
    finally:
        hop.close()


def record_route_of(message):
    return d.header_lines(message, "Record-Route")


def case_sips_record_route(tls_port, ca_file, caller, checks):
    carol = TlsPeer(tls_port, ca_file)
    try:
        aor = "sips:carol@127.0.0.1"
        carol.send(carol.request("REGISTER", "sip:127.0.0.1", aor, aor, contact=f"sips:carol@127.0.0.1:{carol.local_port}",
                                 extra=["Expires: 600"]))
        reply = carol.final_response()
        checks.expect(d.status_of(reply) == 200, f"carol registers {aor} over TLS: 200 ({d.status_of(reply)})")

        caller.send(caller.request("INVITE", "sips:carol@127.0.0.1", "sips:caller@127.0.0.1",
                                   "sips:carol@127.0.0.1"))
        invite = carol.read_message(timeout=3.0)
        checks.expect(invite is not None and invite.startswith(b"INVITE sips:carol@127.0.0.1"),
                      f"the sips: INVITE reaches carol over her TLS connection ({(invite or b'')[:60]})")
        routes = record_route_of(invite)
        ours = [r for r in routes if f"127.0.0.1:{tls_port}" in r]
        checks.expect(len(routes) >= 1 and len(ours) == len(routes) and
                      all(r.startswith(f"<sips:127.0.0.1:{tls_port};") and "transport=" not in r and "osp-dt" in r
                          for r in routes),
                      f"osprey's Record-Route is a SIPS URI at its TLS listener ({routes})")
        if invite is None:
            return
        carol.send(h.response_to(invite, 200, "OK", to_tag="carol"))
        final = caller.final_response()
        answered = record_route_of(final) if final else []
        checks.expect(d.status_of(final) == 200 and len(answered) >= 1 and
                      all(r.startswith(f"<sips:127.0.0.1:{tls_port};") and "osp-dt=" in r for r in answered) and
                      answered != routes,
                      f"carol's 200 reaches the caller with osprey's SIPS Record-Route, its token rewritten "
                      f"({d.status_of(final)}, {answered})")
        case_sip_is_another_aor(caller, carol, checks)
    finally:
        carol.close()


def messages_within(peer, seconds, until=None):
    """Every message `peer` reads within `seconds`, or up to the first one `until` accepts."""
    seen, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        message = peer.read_message(deadline - time.monotonic())
        if message is None:
            break
        seen.append(message)
        if until is not None and until(message):
            break
    return seen


def contacts_of(message):
    return d.header_lines(message, "Contact") + d.header_lines(message, "m")


def case_sip_is_another_aor(caller, carol, checks):
    """carol holds a binding of sips:carol only (case_sips_record_route registered it)."""
    sips_contact = f"sips:carol@127.0.0.1:{carol.local_port}"
    caller.send(caller.request("MESSAGE", "sip:carol@127.0.0.1", "sip:caller@127.0.0.1", "sip:carol@127.0.0.1",
                               body=b"for the sip: AOR"))
    reply = caller.final_response()
    arrived = carol.read_message(timeout=0.5)
    checks.expect(d.status_of(reply) == 202 and arrived is None,
                  f"a MESSAGE for sip:carol, registered as sips:carol only: stored (202) as for a user with "
                  f"no binding of that AOR, nothing at carol ({d.status_of(reply)}, {(arrived or b'')[:40]})")
    caller.send(caller.request("INVITE", "sip:carol@127.0.0.1", "sip:caller@127.0.0.1", "sip:carol@127.0.0.1"))
    reply = caller.final_response()
    arrived = carol.read_message(timeout=0.5)
    checks.expect(d.status_of(reply) == 480 and arrived is None,
                  f"an INVITE for sip:carol: 480, nothing at carol ({d.status_of(reply)}, {(arrived or b'')[:40]})")

    def query(aor):
        carol.send(carol.request("REGISTER", "sip:127.0.0.1", aor, aor, contact=False))
        return carol.final_response()

    reply = query("sip:carol@127.0.0.1")
    listed = contacts_of(reply)
    checks.expect(d.status_of(reply) == 200 and not any(sips_contact in c for c in listed),
                  f"a REGISTER query for sip:carol lists none of the sips:carol bindings "
                  f"({d.status_of(reply)}, {listed})")
    reply = query("sips:carol@127.0.0.1")
    listed = contacts_of(reply)
    checks.expect(d.status_of(reply) == 200 and any(sips_contact in c for c in listed),
                  f"a REGISTER query for sips:carol lists her binding ({d.status_of(reply)}, {listed})")

    aor = "sip:carol@127.0.0.1"
    carol.send(carol.request("REGISTER", "sip:127.0.0.1", aor, aor, contact=False,
                             extra=["Contact: *", "Expires: 0"]))
    reply = carol.final_response()
    checks.expect(d.status_of(reply) == 200, f"Contact: * for sip:carol: 200 ({d.status_of(reply)})")
    reply = query("sips:carol@127.0.0.1")
    listed = contacts_of(reply)
    checks.expect(d.status_of(reply) == 200 and any(sips_contact in c for c in listed),
                  f"... and her sips:carol binding is still there ({d.status_of(reply)}, {listed})")
    caller.send(caller.request("INVITE", "sips:carol@127.0.0.1", "sips:caller@127.0.0.1", "sips:carol@127.0.0.1"))
    invite = carol.read_message(timeout=3.0)
    checks.expect(invite is not None and invite.startswith(b"INVITE sips:carol@127.0.0.1"),
                  f"a sips: INVITE still reaches carol ({(invite or b'')[:60]})")
    if invite is not None:
        carol.send(h.response_to(invite, 486, "Busy Here", to_tag="carol2"))
        final = caller.final_response()
        checks.expect(d.status_of(final) == 486, f"... and her answer reaches the caller ({d.status_of(final)})")

    # The MESSAGE stored for sip:carol waits for a REGISTER of sip:carol (im/offline_delivery.hpp):
    # refreshing sips:carol does not deliver it, registering sip:carol (over the same TLS
    # connection) does.
    for aor, delivered in (("sips:carol@127.0.0.1", False), ("sip:carol@127.0.0.1", True)):
        carol.send(carol.request("REGISTER", "sip:127.0.0.1", aor, aor, contact=sips_contact, extra=["Expires: 600"]))
        seen = messages_within(carol, 3.0 if delivered else 1.5,
                               until=lambda m: m.startswith(b"MESSAGE ") if delivered else None)
        registered = any(d.status_of(m) == 200 for m in seen)
        stored = [m for m in seen if m.startswith(b"MESSAGE ") and m.endswith(b"for the sip: AOR")]
        checks.expect(registered and bool(stored) == delivered,
                      f"carol registers {aor}: the MESSAGE stored for sip:carol "
                      f"{'is' if delivered else 'is not'} delivered ({registered}, {len(stored)} delivered)")
        for message in stored:
            carol.send(h.response_to(message, 200, "OK", to_tag="carol3"))


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        certs = h.make_certificates(os.path.join(work, "pki"))
        port, tls_port = h.free_port(), h.free_port()
        listens = h.udp_and_tcp(port) + [{"transport": "tls", "address": "127.0.0.1", "port": tls_port,
                                          "certificate": certs["cert"], "private_key": certs["key"]}]
        server = h.Osprey(args.osprey, work, listens)
        with server:
            bob = register_udp(port, tls_port, certs["ca_cert"], "bob", checks)
            caller = TlsPeer(tls_port, certs["ca_cert"])
            try:
                case_no_tls_binding(tls_port, caller, bob, checks)
                case_route_over_udp(caller, checks)
                case_sips_record_route(tls_port, certs["ca_cert"], caller, checks)
            finally:
                caller.close()
                bob.close()
        h.expect_clean_stop(checks, server)
    checks.finish()


if __name__ == "__main__":
    main()
