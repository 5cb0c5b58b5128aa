"""Slow connections (slowloris) against a live osprey over TCP. The attack this answers: 160
addresses x 63 connections, each sending one byte a second, held all 10,000 TCP/TLS slots,
because only the 300 s idle timeout bounded a connection that kept trickling.

1. A connection trickling its first message a byte a second is closed at first_message_timeout;
   one that delivered a message may rest (keep-alives answered) past message_timeout, but its
   next message, trickled, is closed message_timeout after its first byte.
2. With every slot held by slow connections, a new client still gets its OPTIONS and REGISTER
   answered over TCP, and a connection that delivered a message is not the one shed.
3. The per-network cap: the fifth connection from 127.0.0.0/24, spread over several source
   addresses each under the per-address cap, is refused; another /24 still gets in.

Limits are low in the test configs so the whole run takes seconds."""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402

DEADLINE = 2  # first_message_timeout and message_timeout in scenario 1


def connect(port, source="127.0.0.1"):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((source, 0))  # Linux takes any 127/8 address as a source on the loopback
    sock.settimeout(5)
    sock.connect(("127.0.0.1", port))
    return sock


def closed_by_server(sock, wait=0.0):
    """True if the server has closed `sock` (EOF or reset seen within `wait` seconds)."""
    sock.settimeout(max(wait, 0.01))
    try:
        return sock.recv(65535) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


def exchange(sock, payload, timeout=3.0):
    """Sends a request, returns the response's status (None when nothing came)."""
    try:
        sock.sendall(payload)
        sock.settimeout(timeout)
        data = b""
        end = time.monotonic() + timeout
        while b"\r\n\r\n" not in data and time.monotonic() < end:
            chunk = sock.recv(65535)
            if not chunk:
                break
            data += chunk
        return h.status_of(data.lstrip(b"\r\n"))
    except OSError:
        return None


def trickle_until_closed(sock, payload, limit):
    """Sends `payload` a byte a second until the server closes the connection; returns the
    seconds that took, or None if it was still open after `limit` seconds."""
    start = time.monotonic()
    for byte in payload:
        if time.monotonic() - start > limit:
            return None
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            return time.monotonic() - start
        if closed_by_server(sock, wait=1.0):
            return time.monotonic() - start
    return None


def deadlines(binary, checks):
    with h.temp_dir() as work:
        port = h.free_port()
        limits = (f"[limits]\nfirst_message_timeout = {DEADLINE}\nmessage_timeout = {DEADLINE}\n"
                  "connection_idle_timeout = 300\n")
        with h.Osprey(binary, work, h.udp_and_tcp(port), limits) as server:
            slow = connect(port)
            took = trickle_until_closed(slow, h.options_request(port, "TCP", slow.getsockname()[1]), DEADLINE + 4)
            checks.expect(took is not None and took >= DEADLINE - 0.5,
                          f"a first message trickled a byte a second is closed at the deadline ({took} s)")
            slow.close()

            proven = connect(port)
            local = proven.getsockname()[1]
            checks.expect(exchange(proven, h.options_request(port, "TCP", local)) == 200,
                          "a whole OPTIONS is answered")
            # Resting longer than a message may take, with RFC 5626 keep-alives: no deadline.
            answered = 0
            for _ in range(DEADLINE + 1):
                proven.sendall(b"\r\n\r\n")
                proven.settimeout(1.0)
                try:
                    answered += proven.recv(16) == b"\r\n"
                except OSError:
                    pass
                time.sleep(0.5)
            checks.expect(answered == DEADLINE + 1 and not closed_by_server(proven),
                          f"a connection that delivered a message rests past message_timeout ({answered} pongs)")
            checks.expect(exchange(proven, h.options_request(port, "TCP", local)) == 200,
                          "and its next whole OPTIONS is answered")
            took = trickle_until_closed(proven, h.options_request(port, "TCP", local), DEADLINE + 4)
            checks.expect(took is not None and took >= DEADLINE - 0.5,
                          f"its next message trickled a byte a second is closed at the deadline ({took} s)")
            proven.close()
        h.expect_clean_stop(checks, server)


def shedding(binary, checks):
    with h.temp_dir() as work:
        port = h.free_port()
        # Deadlines long enough that only shedding can free a slot during this scenario.
        limits = ("[limits]\nmax_connections = 20\nmax_connections_per_ip = 20\n"
                  "max_connections_per_network = 20\nfirst_message_timeout = 60\nmessage_timeout = 60\n")
        with h.Osprey(binary, work, h.udp_and_tcp(port), limits) as server:
            proven = connect(port)
            proven_port = proven.getsockname()[1]
            checks.expect(exchange(proven, h.options_request(port, "TCP", proven_port)) == 200,
                          "before the flood: a client's OPTIONS over TCP is answered")
            slow = []
            try:
                # Twice as many slow connections as there are slots, from four addresses, each
                # trickling the start of a request.
                for i in range(40):
                    sock = connect(port, f"127.0.0.{2 + i % 4}")
                    sock.sendall(b"O")
                    slow.append(sock)
                    # Paced a little, so the order osprey's two workers accept them in is the
                    # order they were opened in, and a worker asked to shed has done so.
                    time.sleep(0.02)
                for byte in b"PTIONS":
                    for sock in slow:
                        try:
                            sock.sendall(bytes([byte]))
                        except OSError:
                            pass
                    time.sleep(0.2)
                closed = [closed_by_server(sock, wait=0.05) for sock in slow]
                older, newer = sum(closed[:20]), sum(closed[20:])
                # Shed oldest first (each worker its own): refusing new ones would close the newer.
                checks.expect(older + newer >= 20 and older >= 15 and older > newer,
                              f"slow connections were shed, oldest first ({older} of the older 20, {newer} of the newer)")

                client = connect(port)
                local = client.getsockname()[1]
                checks.expect(exchange(client, h.options_request(port, "TCP", local)) == 200,
                              "with every slot held by slow connections, a new client's OPTIONS is answered")
                checks.expect(exchange(client, h.register_request(port, "newcomer", f"<sip:newcomer@127.0.0.1:{local};transport=tcp>",
                                                                  expires=60, transport="TCP", local_port=local)) == 200,
                              "and its REGISTER too")
                client.close()
                checks.expect(exchange(proven, h.options_request(port, "TCP", proven_port)) == 200,
                              "the connection that delivered a message was not shed")
            finally:
                for sock in slow:
                    sock.close()
                proven.close()
        h.expect_clean_stop(checks, server)


def network_cap(binary, checks):
    with h.temp_dir() as work:
        port = h.free_port()
        limits = "[limits]\nmax_connections = 100\nmax_connections_per_ip = 2\nmax_connections_per_network = 4\n"
        with h.Osprey(binary, work, h.udp_and_tcp(port), limits) as server:
            held = []
            try:
                for source in ("127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3"):
                    sock = connect(port, source)
                    held.append(sock)
                    checks.expect(exchange(sock, h.options_request(port, "TCP", sock.getsockname()[1])) == 200,
                                  f"a connection from {source} is served")
                fifth = connect(port, "127.0.0.4")  # its address's first, its /24's fifth
                held.append(fifth)
                status = exchange(fifth, h.options_request(port, "TCP", fifth.getsockname()[1]), timeout=1.0)
                checks.expect(status is None and closed_by_server(fifth, wait=1.0),
                              "the fifth connection from 127.0.0.0/24 is refused")
                other = connect(port, "127.0.1.4")
                held.append(other)
                checks.expect(exchange(other, h.options_request(port, "TCP", other.getsockname()[1])) == 200,
                              "a connection from another /24 is served")
            finally:
                for sock in held:
                    sock.close()
        h.expect_clean_stop(checks, server)


def main():
    args = h.parse_args()
    checks = h.Failures()
    deadlines(args.osprey, checks)
    shedding(args.osprey, checks)
    network_cap(args.osprey, checks)
    checks.finish()


if __name__ == "__main__":
    main()
