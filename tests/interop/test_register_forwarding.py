"""A REGISTER for a domain osprey does not serve (RFC 3261 §10.3 step 1), with
`[registrar] forward_foreign_register = true`, against raw UDP sockets: a phone, and a fake
registrar of the other domain on 127.0.0.2.

  1. osprey forwards the REGISTER with its own Path URI on top (RFC 3327 §4.1), carrying a flow
     token (osp-flow) and "ob" for a UA that supports outbound (RFC 5626 §5.1), and with
     "Supported: path"; the registrar's 200 reaches the phone.
  2. The registrar sends a MESSAGE to the phone's Contact (a private address nothing listens on)
     with that Path URI as its Route: osprey sends it over the flow the REGISTER came on, and
     the phone gets it.
  3. The same MESSAGE with the token altered by one character is refused 403 and reaches nobody.
  4. With the default configuration the same REGISTER is answered 403 and forwarded nowhere.
"""

import os
import re
import socket
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402


def register_to(port, registrar_port, phone_port):
    return (
        f"REGISTER sip:127.0.0.2:{registrar_port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{phone_port};branch=z9hG4bK{uuid.uuid4().hex};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:ua@127.0.0.2>;tag={uuid.uuid4().hex[:8]}\r\n"
        "To: <sip:ua@127.0.0.2>\r\n"
        f"Call-ID: {uuid.uuid4().hex}\r\n"
        "CSeq: 1 REGISTER\r\n"
        "Supported: outbound\r\n"
        'Contact: <sip:ua@10.255.255.1:5060>;+sip.instance="<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>";reg-id=1\r\n'
        "Expires: 600\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def message_along(route, registrar_port):
    return (
        "MESSAGE sip:ua@10.255.255.1:5060 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.2:{registrar_port};branch=z9hG4bK{uuid.uuid4().hex};rport\r\n"
        f"Route: {route}\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:friend@127.0.0.2>;tag={uuid.uuid4().hex[:8]}\r\n"
        "To: <sip:ua@127.0.0.2>\r\n"
        f"Call-ID: {uuid.uuid4().hex}\r\n"
        "CSeq: 1 MESSAGE\r\n"
        "Content-Type: text/plain\r\n"
        "Content-Length: 2\r\n\r\nhi"
    ).encode()


def receive(sock, timeout=3.0, skip_provisional=True):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            data, peer = sock.recvfrom(65535)
        except socket.timeout:
            return None, None
        status = h.status_of(data)
        if skip_provisional and status is not None and status < 200:
            continue
        return data, peer
    return None, None


def check_forwarding(port, checks):
    registrar = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    registrar.bind(("127.0.0.2", 0))
    registrar_port = registrar.getsockname()[1]
    phone = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    phone.bind(("127.0.0.1", 0))
    phone.sendto(register_to(port, registrar_port, phone.getsockname()[1]), ("127.0.0.1", port))
    forwarded, osprey_at = receive(registrar)
    checks.expect(forwarded is not None and forwarded.startswith(b"REGISTER "), "the REGISTER reaches the other domain")
    if forwarded is None:
        return
    path = h.header(forwarded, "Path") or ""
    checks.expect("osp-flow=" in path and ";lr" in path and ";ob" in path,
                  f"with osprey's Path: lr, ob and a flow token ({path})")
    supported = ",".join(line.split(b":", 1)[1].decode() for line in forwarded.split(b"\r\n")
                         if line.lower().startswith(b"supported:"))
    checks.expect("path" in supported, f"and Supported: path ({supported})")
    registrar.sendto(h.response_to(forwarded, 200, "OK"), osprey_at)
    answer, _ = receive(phone)
    checks.expect(h.status_of(answer) == 200, f"the registrar's 200 reaches the phone ({h.status_of(answer)})")

    route = path.split(",")[0].strip()
    registrar.sendto(message_along(route, registrar_port), ("127.0.0.1", port))
    got, _ = receive(phone)
    checks.expect(got is not None and got.startswith(b"MESSAGE "),
                  "a MESSAGE along the Path reaches the phone over its flow (not its private Contact)")
    if got is not None:
        phone.sendto(h.response_to(got, 200, "OK"), ("127.0.0.1", port))
    reply, _ = receive(registrar)
    checks.expect(h.status_of(reply) == 200, f"and the phone's 200 goes back ({h.status_of(reply)})")

    token = re.search(r"osp-flow=([A-Za-z0-9_-]+)", route).group(1)
    altered = token[:4] + ("B" if token[4] == "A" else "A") + token[5:]
    registrar.sendto(message_along(route.replace(token, altered), registrar_port), ("127.0.0.1", port))
    reply, _ = receive(registrar)
    checks.expect(h.status_of(reply) == 403, f"an altered flow token is refused 403 ({h.status_of(reply)})")
    stray, _ = receive(phone, timeout=1.0)
    checks.expect(stray is None, "and nothing reaches the phone")
    registrar.close()
    phone.close()


def check_default(port, checks):
    registrar = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    registrar.bind(("127.0.0.2", 0))
    phone = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    phone.bind(("127.0.0.1", 0))
    phone.sendto(register_to(port, registrar.getsockname()[1], phone.getsockname()[1]), ("127.0.0.1", port))
    answer, _ = receive(phone)
    checks.expect(h.status_of(answer) == 403, f"by default the REGISTER is answered 403 ({h.status_of(answer)})")
    forwarded, _ = receive(registrar, timeout=1.0)
    checks.expect(forwarded is None, "and forwarded nowhere")
    registrar.close()
    phone.close()


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as workdir:
        port = h.free_port()
        server = h.Osprey(args.osprey, workdir, h.udp_and_tcp(port), "[registrar]\nforward_foreign_register = true\n")
        with server:
            check_forwarding(port, checks)
        h.expect_clean_stop(checks, server)
    with h.temp_dir() as workdir:
        port = h.free_port()
        server = h.Osprey(args.osprey, workdir, h.udp_and_tcp(port))
        with server:
            check_default(port, checks)
        h.expect_clean_stop(checks, server)
    checks.finish()


if __name__ == "__main__":
    main()
