"""Offline delivery benchmark: store N MESSAGEs for one offline user, then register it
with `osprey listen --count N` and time until every message was delivered and acknowledged.

    python3 bench/offline_delivery.py [--osprey build/release/src/app/osprey] [--count 10000]

Prints the time to store the messages (each answered 202 once durable) and the time from the
listener's start until it printed the last one (each answered 200, then removed from the store).
"""

import argparse
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "interop"))
import osprey_harness as h  # noqa: E402
from test_messaging import message_request  # noqa: E402

WINDOW = 64  # MESSAGEs in flight while storing


def store_all(port, count):
    """Sends `count` MESSAGEs to bob with up to WINDOW outstanding; returns how many got 202."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5.0)
    local = sock.getsockname()[1]
    sent = accepted = answered = 0
    try:
        while answered < count:
            while sent < count and sent - answered < WINDOW:
                sock.sendto(message_request(port, "bob", f"stored {sent:05d}", local), ("127.0.0.1", port))
                sent += 1
            reply = sock.recvfrom(65535)[0]
            status = h.status_of(reply)
            if status is not None and status >= 200:
                answered += 1
                accepted += status == 202
    except socket.timeout:
        pass
    finally:
        sock.close()
    return accepted


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--osprey", default="build/release/src/app/osprey")
    parser.add_argument("--count", type=int, default=10000)
    args = parser.parse_args()
    with h.temp_dir() as work:
        port = h.free_port()
        extra = f"[messages]\nmax_stored_per_user = {args.count}\n"
        with h.Osprey(os.path.abspath(args.osprey), work, h.udp_and_tcp(port), extra_toml=extra, workers=2):
            started = time.monotonic()
            accepted = store_all(port, args.count)
            stored_in = time.monotonic() - started
            started = time.monotonic()
            listener = subprocess.run([args.osprey, "listen", "sip:bob@127.0.0.1", "--server", f"127.0.0.1:{port}",
                                       "--count", str(args.count)], capture_output=True, text=True, timeout=600)
            delivered_in = time.monotonic() - started
            delivered = listener.stdout.count("stored ")
        print(f"stored    {accepted:6d} of {args.count} (202)  in {stored_in:6.2f} s")
        print(f"delivered {delivered:6d} of {args.count} (200)  in {delivered_in:6.2f} s "
              f"({delivered / delivered_in:.0f}/s), listen exit {listener.returncode}")
        return 0 if accepted == delivered == args.count and listener.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
