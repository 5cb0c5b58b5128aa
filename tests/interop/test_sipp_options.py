"""SIPp against a live osprey: OPTIONS over UDP (-t u1) and TCP (-t t1), with packet loss
(-lost), plus raw-socket checks of retransmission absorption, rport/received and responses
over the same TCP connection (RFC 3261 §17.2.2, §18.2.2, RFC 3581)."""

import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402

SCENARIO = os.path.join(h.HERE, "scenarios", "options_uac.xml")


def sipp(port, transport, calls, lost=0, rate=100):
    cmd = ["sipp", f"127.0.0.1:{port}", "-sf", SCENARIO, "-t", transport, "-i", "127.0.0.1",
           "-m", str(calls), "-r", str(rate), "-l", "50", "-nostdin", "-timeout", "90s", "-timeout_error",
           "-max_socket", "100"]
    if lost:
        cmd += ["-lost", str(lost)]
    return h.run(cmd, timeout=150)


def summary(result):
    lines = [line for line in result.stdout.splitlines() if "Successful call" in line or "Failed call" in line]
    return " | ".join(" ".join(line.split()) for line in lines)


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        port = h.free_port()
        listens = h.udp_and_tcp(port)
        with h.Osprey(args.osprey, work, listens) as server:
            result = sipp(port, "u1", 300)
            checks.expect(result.returncode == 0, f"SIPp -t u1: 300 OPTIONS answered 200 ({summary(result)})")

            result = sipp(port, "u1", 200, lost=10)
            checks.expect(result.returncode == 0,
                          f"SIPp -t u1 -lost 10: every OPTIONS completes through retransmissions ({summary(result)})")

            result = sipp(port, "t1", 300)
            checks.expect(result.returncode == 0,
                          f"SIPp -t t1: 300 OPTIONS on one TCP connection, responses on it ({summary(result)})")

            # A retransmitted request is absorbed by its server transaction: the same response
            # comes back, with the same To tag (RFC 3261 §17.2.2).
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.bind(("127.0.0.1", 0))
                request = h.options_request(port, local_port=sock.getsockname()[1])
                first = h.udp_exchange(port, request, sock=sock)
                second = h.udp_exchange(port, request, sock=sock)
                checks.expect(h.status_of(first) == 200, "raw OPTIONS over UDP gets 200")
                checks.expect(first == second and first is not None,
                              "a retransmitted OPTIONS gets the same response (same To tag)")
                allow = h.header(first or b"", "Allow") or ""
                checks.expect("OPTIONS" in allow, f"200 to OPTIONS carries Allow ({allow})")
                checks.expect(h.header(first or b"", "Accept") is not None, "200 to OPTIONS carries Accept")
                checks.expect(h.header(first or b"", "Supported") is not None,
                              "200 to OPTIONS carries Supported")
                via = h.header(first or b"", "Via") or ""
                checks.expect(f"rport={sock.getsockname()[1]}" in via and "received=127.0.0.1" in via,
                              f"RFC 3581: the response's Via has rport and received filled ({via})")

                # Via says port 1 (nobody listens there), rport asks for the source port: the
                # response must come to the source (RFC 3581 §4).
                request = h.options_request(port, local_port=1)
                reply = h.udp_exchange(port, request, sock=sock)
                checks.expect(h.status_of(reply) == 200, "with rport the response goes to the source port")

                # An unknown method gets 501, a garbage datagram nothing, a broken request 400.
                bogus = request.replace(b"OPTIONS", b"FOOBAR").replace(b"branch=z9hG4bK", b"branch=z9hG4bKf")
                checks.expect(h.status_of(h.udp_exchange(port, bogus, sock=sock)) == 501, "unknown method: 501")
                checks.expect(h.udp_exchange(port, b"\x00\x01garbage", sock=sock, timeout=0.5) is None,
                              "garbage datagram: no answer")
                broken = h.options_request(port, local_port=sock.getsockname()[1]).replace(
                    b"CSeq: 1 OPTIONS", b"CSeq: x OPTIONS")
                reply = h.udp_exchange(port, broken, sock=sock)
                checks.expect(h.status_of(reply) == 400, f"broken CSeq: 400 ({(reply or b'').splitlines()[:1]})")
                invite = h.options_request(port, local_port=sock.getsockname()[1]).replace(
                    b"OPTIONS sip:", b"INVITE sip:bob@").replace(b"1 OPTIONS", b"1 INVITE")
                reply = h.udp_exchange(port, invite, sock=sock)
                checks.expect(h.status_of(reply) in (100, 480),
                              "INVITE to a user with no binding: 480 from the proxy (100 first at most)")

            # TCP: two pipelined requests in one segment, both answered on the same connection.
            with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                local = conn.getsockname()[1]
                conn.sendall(h.options_request(port, "TCP", local) + h.options_request(port, "TCP", local))
                data = b""
                while data.count(b"SIP/2.0 200") < 2:
                    chunk = conn.recv(65535)
                    if not chunk:
                        break
                    data += chunk
                checks.expect(data.count(b"SIP/2.0 200") == 2, "two pipelined OPTIONS on TCP: two 200s")
                conn.sendall(b"\r\n\r\n")
                checks.expect(conn.recv(16) == b"\r\n", "CRLFCRLF keep-alive answered with CRLF (RFC 5626)")

        checks.expect(server.exit_code == 0, f"osprey stopped cleanly on SIGTERM (exit {server.exit_code})")
        if server.exit_code != 0:
            print(server.read_log()[-4000:])
    checks.finish()


if __name__ == "__main__":
    main()
