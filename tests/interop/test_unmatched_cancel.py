"""A CANCEL that matches no transaction is forwarded, but only where its INVITE could have gone.

RFC 3261 §16.10: "If a response context is not found, the element does not have any knowledge
of the request to apply the CANCEL to. It MUST statelessly forward the CANCEL request". A
CANCEL cannot be challenged (§22.1), so forwarding it must not make osprey an open relay: it
goes through the same route decision and access control as any request, and with
authentication on it is let through only toward osprey's own users (as an ACK is):
  1. an unmatched CANCEL for registered bob reaches bob's phone, and bob's answer comes back;
  2. an unmatched CANCEL for a user of another domain (an address osprey does not serve) is
     refused with 481 and nothing reaches that address;
  3. the same toward bob's address but with a Route to that other place: refused, nothing sent;
  4. an unmatched CANCEL addressed to osprey itself: 481.
"""

import os
import socket
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
import sip_digest as d  # noqa: E402

PASSWORD = "bob-secret-1"


def cancel_request(port, request_uri, local_port, route=None):
    lines = [
        f"CANCEL {request_uri} SIP/2.0",
        f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch=z9hG4bK{uuid.uuid4().hex};rport",
        "Max-Forwards: 70",
        f"From: <sip:alice@127.0.0.1>;tag={uuid.uuid4().hex[:8]}",
        f"To: <{request_uri}>",
        f"Call-ID: {uuid.uuid4().hex}",
        "CSeq: 1 CANCEL",
    ]
    if route:
        lines.append(f"Route: {route}")
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def send_cancel(port, request_uri, route=None):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        reply = h.udp_exchange(port, cancel_request(port, request_uri, sock.getsockname()[1], route), sock=sock)
        return reply


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        port = h.free_port()
        # The defaults: authentication on (no accounts needed: nothing here authenticates).
        server = h.Osprey(args.osprey, work, h.udp_and_tcp(port), workers=1, authentication=True)
        imported = h.run([args.osprey, "user", "import", "--config", server.config],
                         input=f"sip:bob@127.0.0.1 {PASSWORD}\n")
        checks.expect(imported.returncode == 0, f"bob's account imported {imported.stderr}")
        with server:
            bob_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            bob_sock.bind(("127.0.0.1", 0))
            bob_port = bob_sock.getsockname()[1]
            # 127.0.0.2 is loopback too, but no address osprey serves: "another domain".
            elsewhere = h.UdpRecorder(address="127.0.0.2", answer=200)
            try:
                bob = None
                checks.expect(register_with_digest(port, bob_sock, bob_port) == 200, "bob registers")
                bob = h.UdpRecorder(sock=bob_sock, answer=200)

                reply = send_cancel(port, "sip:bob@127.0.0.1")
                arrived = bob.wait_for(1, timeout=3)
                checks.expect(any(m.startswith(b"CANCEL ") for m in arrived),
                              "1. the unmatched CANCEL for bob reaches bob's phone")
                checks.expect(h.status_of(reply) == 200 and "tag=phone" in (h.header(reply, "To") or ""),
                              f"1. bob's own answer comes back to the caller ({h.status_of(reply)})")

                target = f"sip:carol@127.0.0.2:{elsewhere.port}"
                reply = send_cancel(port, target)
                checks.expect(h.status_of(reply) == 481, f"2. CANCEL toward another domain: 481 ({h.status_of(reply)})")
                reply = send_cancel(port, "sip:bob@127.0.0.1", route=f"<sip:127.0.0.2:{elsewhere.port};lr>")
                checks.expect(h.status_of(reply) == 481,
                              f"3. CANCEL routed toward another place: 481 ({h.status_of(reply)})")
                checks.expect(elsewhere.arrivals_since(0, wait=1.0) == [], "2, 3. nothing reaches the other place")

                reply = send_cancel(port, f"sip:127.0.0.1:{port}")
                checks.expect(h.status_of(reply) == 481, f"4. CANCEL to osprey itself: 481 ({h.status_of(reply)})")
            finally:
                elsewhere.close()
                if bob is not None:
                    bob.close()
                else:
                    bob_sock.close()
        h.expect_clean_stop(checks, server)
    checks.finish()


def register_with_digest(port, sock, local_port):
    client = d.UdpClient(port, sock=sock)
    aor = "sip:bob@127.0.0.1"
    _, final, _ = client.authenticated("REGISTER", f"sip:127.0.0.1:{port}", aor, aor, "bob", PASSWORD,
                                       extra=[f"Contact: <sip:bob@127.0.0.1:{local_port}>", "Expires: 600"])
    return h.status_of(final)


if __name__ == "__main__":
    main()
