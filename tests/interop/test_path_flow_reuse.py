"""RFC 5626 §5.2 / RFC 3327: the flow token osprey puts in the Path of a REGISTER it forwards
(`[registrar] forward_foreign_register = true`) names the one connection the REGISTER came on,
not just its address and port. Against a live osprey with authentication on:

  1. mallory, authenticated, registers an AOR of another domain over TCP from a fixed port;
     osprey forwards it to that domain's registrar (a UDP socket here) with a Path carrying
     `osp-flow`. A MESSAGE the registrar sends along that Path reaches mallory's connection.
  2. mallory's connection goes away (reset). Another client connects from the same address and
     port (another phone behind the same NAT, or anyone who gets that port) and is a client of
     osprey in its own right.
  3. The registrar sends a MESSAGE along the Path it was given. The flow the token named is
     gone: the MESSAGE gets 430 upstream (RFC 5626 §5.3) and the new connection receives
     nothing; handing it to the new connection would deliver mallory's requests to a stranger.
"""

import os
import re
import socket
import struct
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
import sip_digest as d  # noqa: E402


def read_head(sock, timeout):
    """One SIP message head from a stream socket, or b"" when nothing comes in `timeout`."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while b"\r\n\r\n" not in data and time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    return data


def connect_from(port, local_port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", local_port))
    sock.settimeout(5)
    sock.connect(("127.0.0.1", port))
    return sock


def foreign_register(sock, port, local_port, registrar, authorization=None):
    lines = [f"REGISTER {registrar} SIP/2.0",
             f"Via: SIP/2.0/TCP 127.0.0.1:{local_port};branch=z9hG4bK{uuid.uuid4().hex}",
             "Max-Forwards: 70",
             f"From: <sip:mallory@{registrar[4:]}>;tag=m1",
             f"To: <sip:mallory@{registrar[4:]}>",
             "Call-ID: path-reuse-register",
             f"CSeq: {2 if authorization else 1} REGISTER",
             f"Contact: <sip:mallory@127.0.0.1:{local_port};transport=tcp>"]
    if authorization:
        lines.append(f"Proxy-Authorization: {authorization}")
    lines.append("Content-Length: 0")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return read_head(sock, 5)


def path_message(registrar, local_port, path_uri, call_id):
    """A MESSAGE the other domain sends back along the Path it was given."""
    return (f"MESSAGE sip:mallory@127.0.0.1:{local_port};transport=tcp SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {registrar[4:]};branch=z9hG4bK{uuid.uuid4().hex};rport\r\n"
            f"Route: <{path_uri}>\r\nMax-Forwards: 70\r\n"
            f"From: <sip:someone@127.0.0.2>;tag=r1\r\nTo: <sip:mallory@{registrar[4:]}>\r\n"
            f"Call-ID: {call_id}\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n"
            "Content-Length: 7\r\n\r\nprivate").encode()


def check_path_flow_reuse(binary, workdir, checks):
    added = h.run([binary, "user", "add", "mallory@127.0.0.1", "--password", "pw",
                   "--data-dir", os.path.join(workdir, "data")], timeout=30)
    checks.expect(added.returncode == 0, f"osprey user add mallory ({added.stderr!r})")
    port = h.free_port()
    registrar_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    registrar_sock.bind(("127.0.0.2", 0))
    registrar_sock.settimeout(5)
    registrar = "sip:127.0.0.2:%d" % registrar_sock.getsockname()[1]
    extra = "\n[registrar]\nforward_foreign_register = true\n"
    server = h.Osprey(binary, workdir, h.udp_and_tcp(port), extra_toml=extra, authentication=True)
    with server:
        local_port = h.free_port()
        first = connect_from(port, local_port)
        reply = foreign_register(first, port, local_port, registrar)
        challenge = d.challenges(reply, "Proxy-Authenticate")
        checks.expect(h.status_of(reply) == 407 and challenge, f"the foreign REGISTER is challenged ({reply[:40]!r})")
        if not challenge:
            return
        foreign_register(first, port, local_port, registrar,
                         d.authorization(challenge[0], "REGISTER", registrar, "mallory", "pw"))
        try:
            forwarded = registrar_sock.recvfrom(65536)[0].decode(errors="replace")
        except socket.timeout:
            forwarded = ""
        path = re.search(r"^Path: *<([^>]*osp-flow=[^>]*)>", forwarded, re.M | re.I)
        checks.expect(path is not None, f"the REGISTER reaches the registrar with a flow token in its Path ({forwarded[:60]!r})")
        if path is None:
            return
        registrar_sock.sendto(path_message(registrar, local_port, path.group(1), "path-reuse-live"),
                              ("127.0.0.1", port))
        delivered = read_head(first, 5)
        checks.expect(delivered.startswith(b"MESSAGE") and b"path-reuse-live" in delivered,
                      f"while mallory's connection lives, a MESSAGE along the Path reaches it ({delivered[:40]!r})")
        # The flow ends with a reset (no TIME_WAIT holds the port), and a stranger takes the port.
        first.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        first.close()
        time.sleep(0.5)
        second = connect_from(port, local_port)
        second.sendall(h.options_request(port, transport="TCP", local_port=local_port))
        checks.expect(h.status_of(read_head(second, 5)) == 200, "the new connection from the same port is served")
        registrar_sock.sendto(path_message(registrar, local_port, path.group(1), "path-reuse-message"),
                              ("127.0.0.1", port))
        status = None
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and status is None:
            try:
                answer = registrar_sock.recvfrom(65536)[0]
            except socket.timeout:
                break
            if answer.startswith(b"SIP/2.0") and b"path-reuse-message" in answer:
                status = h.status_of(answer)
        delivered = read_head(second, 2)
        checks.expect(not delivered.startswith(b"MESSAGE"),
                      f"the new connection from the same port gets nothing of the old flow ({delivered[:50]!r})")
        checks.expect(status == 430, f"the MESSAGE along the gone flow gets 430 ({status})")
        second.close()
    registrar_sock.close()
    h.expect_clean_stop(checks, server)


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as workdir:
        check_path_flow_reuse(args.osprey, workdir, checks)
    checks.finish()


if __name__ == "__main__":
    main()
