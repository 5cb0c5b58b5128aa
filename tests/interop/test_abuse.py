"""Abuse against a live osprey: 10,000 garbage datagrams and 1,000 half-open TCP connections.
The server must keep answering valid OPTIONS throughout, close the idle connections itself, and
its memory must come back to where it was (a second identical round must not grow it)."""

import os
import random
import resource
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402

GARBAGE = 10_000
HALF_OPEN = 1_000
IDLE_TIMEOUT = 5


def garbage_datagrams(rng, count):
    """Random bytes, truncated and mangled SIP, oversized headers: what scanners and broken
    middleboxes send."""
    template = h.options_request(5060)
    for i in range(count):
        kind = i % 4
        if kind == 0:
            yield bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300)))
        elif kind == 1:
            yield template[: rng.randint(1, len(template) - 1)]
        elif kind == 2:
            data = bytearray(template)
            for _ in range(8):
                data[rng.randrange(len(data))] = rng.getrandbits(8)
            yield bytes(data)
        else:
            yield b"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK1\r\nX: " + b"a" * 1400


def probe(port, sock):
    return h.status_of(h.udp_exchange(port, h.options_request(port, local_port=sock.getsockname()[1]),
                                      sock=sock, timeout=2)) == 200


def abuse_round(port, checks, label):
    rng = random.Random(label)
    answered = probes = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as attacker, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.bind(("127.0.0.1", 0))
        for i, datagram in enumerate(garbage_datagrams(rng, GARBAGE)):
            attacker.sendto(datagram, ("127.0.0.1", port))
            if i % 500 == 0:
                probes += 1
                answered += probe(port, client)
        checks.expect(answered == probes,
                      f"{label}: valid OPTIONS answered during {GARBAGE} garbage datagrams ({answered}/{probes})")

        connections = []
        try:
            for i in range(HALF_OPEN):
                conn = socket.create_connection(("127.0.0.1", port), timeout=5)
                if i % 2:
                    conn.sendall(b"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK")
                connections.append(conn)
            answered = sum(probe(port, client) for _ in range(10))
            checks.expect(answered == 10, f"{label}: OPTIONS answered with {HALF_OPEN} half-open connections open")
            with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                conn.sendall(h.options_request(port, "TCP", conn.getsockname()[1]))
                checks.expect(b"SIP/2.0 200" in conn.recv(65535), f"{label}: a fresh TCP OPTIONS is answered")
            # The server closes what stays idle (connection_idle_timeout).
            time.sleep(IDLE_TIMEOUT + 3)
            closed = 0
            for conn in connections:
                conn.settimeout(0.01)
                try:
                    closed += conn.recv(1) == b""
                except (socket.timeout, ConnectionResetError):
                    closed += 0 if isinstance(sys.exc_info()[1], socket.timeout) else 1
            checks.expect(closed == HALF_OPEN, f"{label}: the server closed the idle connections ({closed}/{HALF_OPEN})")
        finally:
            for conn in connections:
                conn.close()


def main():
    args = h.parse_args()
    checks = h.Failures()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))  # the server inherits it
    with h.temp_dir() as work:
        port = h.free_port()
        listens = h.udp_and_tcp(port)
        limits = (f"[limits]\nmax_connections = 4000\nmax_connections_per_ip = 2000\n"
                  f"connection_idle_timeout = {IDLE_TIMEOUT}\n")
        # Small ASan quarantine and prompt release, so RSS tracks live memory.
        env = {"ASAN_OPTIONS": "detect_leaks=1:quarantine_size_mb=4:allocator_release_to_os_interval_ms=100"}
        with h.Osprey(args.osprey, work, listens, limits, env=env) as server:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
                client.bind(("127.0.0.1", 0))
                warm = sum(probe(port, client) for _ in range(200))
            checks.expect(warm == 200, "warm-up: 200 OPTIONS answered")
            baseline = server.rss_kib()
            abuse_round(port, checks, "round 1")
            time.sleep(1)
            after_first = server.rss_kib()
            abuse_round(port, checks, "round 2")
            time.sleep(1)
            after_second = server.rss_kib()
            print(f"RSS KiB: baseline {baseline}, after round 1 {after_first}, after round 2 {after_second}")
            checks.expect(after_second - after_first < 8 * 1024,
                          f"no growth from one abuse round to the next ({after_second - after_first} KiB)")
            checks.expect(after_second - baseline < 64 * 1024,
                          f"memory back near its baseline ({after_second - baseline} KiB above)")
            checks.expect(server.process.poll() is None, "osprey is still running")
        checks.expect(server.exit_code == 0, f"osprey stopped cleanly, no leak reported (exit {server.exit_code})")
        if server.exit_code != 0:
            print(server.read_log()[-4000:])
    checks.finish()


if __name__ == "__main__":
    main()
