#!/usr/bin/env python3
"""What osprey's log says, and does not say, about traffic it gives up on.

  1. A UDP keep-alive (CRLF, CRLFCRLF: RFC 5626 §4.4.1, RFC 3261 §7.5) is not logged as a
     malformed message, even at log_level debug; real garbage still is.
  2. An ACK osprey refuses to relay (no dialog token of ours), sent 5 times, is logged once at
     info with its Call-ID; an ACK of another dialog gets its own line.
  3. A branch lost to a transport error (bob registered over TCP, his connection gone, nothing
     listening on his port any more) is one info line naming the Call-ID, the target and the cause.
"""

import os
import socket
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402


def wait_for_log(server, predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate(server.read_log()):
            return True
        time.sleep(0.1)
    return predicate(server.read_log())


def with_log_level(server, level):
    with open(server.config) as f:
        text = f.read()
    with open(server.config, "w") as f:
        f.write(text.replace('log_level = "info"', f'log_level = "{level}"'))


def case_keepalive(server, port, checks):
    before = len(server.read_log())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for payload in (b"\r\n", b"\r\n\r\n", b"\r\n\r\n"):
            sock.sendto(payload, ("127.0.0.1", port))
        sock.sendto(b"\x16\x03\x01 not sip at all\r\n\r\n", ("127.0.0.1", port))
    # The garbage is logged (debug): once it is, the keep-alives sent before it were handled.
    seen = wait_for_log(server, lambda log: "dropped" in log[before:])
    lines = [line for line in server.read_log()[before:].splitlines() if "dropped" in line]
    keepalive_lines = [line for line in lines if " 2 bytes " in line or " 4 bytes " in line]
    checks.expect(seen and len(lines) == 1 and not keepalive_lines,
                  f"keep-alives: no 'dropped ... malformed' line for CRLF datagrams, one for the garbage ({lines})")


def ack(port, call_id, to_tag):
    return (f"ACK sip:carol@198.51.100.7 SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK{uuid.uuid4().hex[:12]};rport\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:mallory@127.0.0.1>;tag=m1\r\n"
            f"To: <sip:carol@198.51.100.7>;tag={to_tag}\r\n"
            f"Call-ID: {call_id}\r\n"
            "CSeq: 1 ACK\r\n"
            "Content-Length: 0\r\n\r\n").encode()


def case_ack_once_per_dialog(server, port, checks):
    call_id = "ack-" + uuid.uuid4().hex
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _ in range(5):
            sock.sendto(ack(port, call_id, "t1"), ("127.0.0.1", port))
            time.sleep(0.05)
        sock.sendto(ack(port, call_id, "t2"), ("127.0.0.1", port))

    def count(log, tag_line):
        return sum(1 for line in log.splitlines() if f"ACK of Call-ID '{call_id}'" in line and tag_line(line))

    wait_for_log(server, lambda log: count(log, lambda line: True) >= 2)
    time.sleep(0.5)  # anything more would have come by now
    lines = [line for line in server.read_log().splitlines() if f"ACK of Call-ID '{call_id}'" in line]
    checks.expect(len(lines) == 2 and all(" info " in line for line in lines),
                  f"dropped ACK: one info line per dialog, not per retransmission ({lines})")


def case_transport_failure(server, port, checks):
    # bob registers over TCP from a socket that then goes away: his binding's flow leads nowhere.
    tcp = socket.create_connection(("127.0.0.1", port), timeout=5)
    local_port = tcp.getsockname()[1]
    tcp.sendall(h.register_request(port, "bob", f"<sip:bob@127.0.0.1:{local_port};transport=tcp>", expires=600,
                                   transport="TCP", local_port=local_port))
    reply = tcp.recv(65535)
    tcp.close()
    checks.expect(h.status_of(reply) == 200, f"bob registered over TCP ({reply[:40]!r})")
    time.sleep(0.3)
    call_id = "lost-" + uuid.uuid4().hex
    request = (f"OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP 127.0.0.1:5998;branch=z9hG4bK{uuid.uuid4().hex[:12]};rport\r\n"
               "Max-Forwards: 70\r\n"
               "From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\n"
               f"Call-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()
    answer = h.udp_exchange(port, request, timeout=10.0)
    found = wait_for_log(server, lambda log: f"OPTIONS sip:bob@127.0.0.1 (Call-ID '{call_id}'): branch to TCP:127.0.0.1:{local_port} failed"
                         in log)
    lines = [line for line in server.read_log().splitlines() if f"Call-ID '{call_id}'" in line]
    checks.expect(found and len(lines) == 1 and " info " in lines[0],
                  f"transport failure: one info line with Call-ID, target and cause ({lines}, "
                  f"answer {h.status_of(answer)})")


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        port = h.free_port()
        server = h.Osprey(args.osprey, work, h.udp_and_tcp(port), workers=1, authentication=True)
        with_log_level(server, "debug")
        with server:
            case_keepalive(server, port, checks)
            case_ack_once_per_dialog(server, port, checks)
        h.expect_clean_stop(checks, server)
        open_work = os.path.join(work, "open")
        os.makedirs(open_work)
        open_server = h.Osprey(args.osprey, open_work, h.udp_and_tcp(port), workers=1)
        with open_server:
            case_transport_failure(open_server, port, checks)
        h.expect_clean_stop(checks, open_server)
    checks.finish()


if __name__ == "__main__":
    main()
