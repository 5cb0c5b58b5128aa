"""Responses osprey makes itself carry received and rport (RFC 3581 §4, RFC 3261 §18.2.1).

RFC 3581 §4: when the top Via of a request has rport, the server sets it to the source port and
MUST add received (the source address), even when it equals the sent-by host; every response
copies that Via. This holds for the responses osprey builds after its branches failed too (they
are built again from the request as it arrived), and for the ones built before any transaction:
  1. an INVITE to a closed TCP port elsewhere: the branch fails (503), the caller gets 500;
  2. a MESSAGE the same way: 500;
  3. a request refused before it has a transaction (a 400 for a missing Max-Forwards... here a
     CSeq method that does not match the request line).
Each must carry rport=<the caller's source port> and received=127.0.0.1 in its Via.
"""

import os
import re
import socket
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402


def request(method, uri, local_port, cseq_method=None):
    body = "hello" if method == "MESSAGE" else ""
    return (f"{method} {uri} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch=z9hG4bK{uuid.uuid4().hex};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:alice@127.0.0.1>;tag={uuid.uuid4().hex[:8]}\r\n"
            f"To: <{uri}>\r\n"
            f"Call-ID: {uuid.uuid4().hex}\r\n"
            f"CSeq: 1 {cseq_method or method}\r\n"
            f"Contact: <sip:alice@127.0.0.1:{local_port}>\r\n"
            + ("Content-Type: text/plain\r\n" if body else "")
            + f"Content-Length: {len(body)}\r\n\r\n{body}").encode()


def final_response(port, payload, timeout=10.0):
    """Sends `payload` from a fresh socket; returns (its final response, the source port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        local_port = sock.getsockname()[1]
        sock.sendto(payload(local_port), ("127.0.0.1", port))
        sock.settimeout(timeout)
        try:
            while True:
                reply = sock.recvfrom(65535)[0]
                status = h.status_of(reply)
                if status is not None and status >= 200:
                    return reply, local_port
        except socket.timeout:
            return None, local_port


def via_params(reply):
    via = h.header(reply or b"", "Via") or ""
    return dict((m.group(1).lower(), m.group(2)) for m in re.finditer(r";\s*([A-Za-z]+)=([^;\s,]+)", via))


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        port = h.free_port()
        closed = h.free_port()  # nothing listens there
        server = h.Osprey(args.osprey, work, h.udp_and_tcp(port), workers=1)
        with server:
            target = f"sip:carol@127.0.0.2:{closed};transport=tcp"
            cases = [
                ("1. INVITE whose branch failed", 500, lambda p: request("INVITE", target, p)),
                ("2. MESSAGE whose branch failed", 500, lambda p: request("MESSAGE", target, p)),
                ("3. request refused before a transaction", 400,
                 lambda p: request("OPTIONS", f"sip:127.0.0.1:{port}", p, cseq_method="INVITE")),
            ]
            for name, status, payload in cases:
                reply, local_port = final_response(port, payload)
                params = via_params(reply)
                checks.expect(h.status_of(reply) == status, f"{name}: {status} ({h.status_of(reply)})")
                checks.expect(params.get("rport") == str(local_port) and params.get("received") == "127.0.0.1",
                              f"{name}: Via has rport={local_port};received=127.0.0.1 ({h.header(reply or b'', 'Via')})")
        h.expect_clean_stop(checks, server)
    checks.finish()


if __name__ == "__main__":
    main()
