#!/usr/bin/env python3
"""SIP over WebSocket load (RFC 7118): MESSAGE between two WebSocket users while many other
WebSocket connections are held open, and the server's CPU per MESSAGE and memory per idle
connection.

    python3 bench/ws_load.py --target 127.0.0.1:8080 --pid PID --domain 127.0.0.1 \
        --idle 10000 --count 20000 --rate 2000

Steps: open `--idle` connections (each completes the handshake with the `sip` subprotocol and
answers the server's pings, nothing more), read the server's memory; register bob on his own
connection; alice sends `--count` MESSAGEs to bob at `--rate`, bob answers each with 200, alice
counts the 200s; the server's CPU seconds over that phase divided by the MESSAGEs answered is
the figure. The server must accept REGISTER and MESSAGE without authentication (a bench
config) and allow that many connections from 127.0.0.1 (or spread them with --sources).

The client masks its frames with a zero key (RFC 6455 §5.3 lets the client pick the key), so
the load generator spends its time on the protocol, not on XOR.
"""

import argparse
import asyncio
import base64
import os
import re
import sys
import time
import uuid

from proc_stats import cpu_seconds, pss_kib


def frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """A masked client frame (RFC 6455 §5.2) with a zero masking key."""
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | opcode, 0x80 | n])
    elif n < 65536:
        head = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
    return head + b"\0\0\0\0" + payload


class Connection:
    """One WebSocket connection: handshake, then frames in and out; pings answered."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host, port, source=None):
        reader, writer = await asyncio.open_connection(host, port, local_addr=(source, 0) if source else None)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n"
            ).encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError("handshake refused: " + head.split(b"\r\n", 1)[0].decode(errors="replace"))
        return cls(reader, writer)

    def send(self, text: str):
        self.writer.write(frame(text.encode()))

    async def receive(self):
        """The next text or binary message; pings answered on the way; None when closed."""
        while True:
            try:
                first = await self.reader.readexactly(2)
            except (asyncio.IncompleteReadError, ConnectionError):
                return None
            opcode, n = first[0] & 0x0F, first[1] & 0x7F
            if n == 126:
                n = int.from_bytes(await self.reader.readexactly(2), "big")
            elif n == 127:
                n = int.from_bytes(await self.reader.readexactly(8), "big")
            payload = await self.reader.readexactly(n)  # server frames are not masked
            if opcode == 0x9:
                self.writer.write(frame(payload, 0xA))
            elif opcode == 0x8:
                return None
            elif opcode in (0x1, 0x2):
                return payload.decode(errors="replace")


async def hold_open(connection: Connection):
    while await connection.receive() is not None:
        pass


def request(method, uri, user, domain, call_id, cseq, extra="", body=""):
    branch = "z9hG4bK" + uuid.uuid4().hex[:16]
    return (
        f"{method} {uri} SIP/2.0\r\nVia: SIP/2.0/WS {user}.invalid;branch={branch}\r\nMax-Forwards: 70\r\n"
        f"From: <sip:{user}@{domain}>;tag={user}\r\nTo: <sip:{'bob' if method == 'MESSAGE' else user}@{domain}>\r\n"
        f"Call-ID: {call_id}\r\nCSeq: {cseq} {method}\r\n{extra}Content-Length: {len(body)}\r\n\r\n{body}"
    )


def response_to(message: str, status: str) -> str:
    keep = [
        line
        for line in message.split("\r\n\r\n", 1)[0].split("\r\n")[1:]
        if re.match(r"(?i)(via|v|from|f|to|t|call-id|i|cseq):", line)
    ]
    keep = [line + (";tag=bob" if re.match(r"(?i)(to|t):", line) and ";tag=" not in line else "") for line in keep]
    return f"SIP/2.0 {status}\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n"


async def register(connection, user, domain):
    contact = f"<sip:{user}@{user}.invalid;transport=ws>"
    connection.send(
        request("REGISTER", f"sip:{domain}", user, domain, uuid.uuid4().hex, 1, f"Contact: {contact}\r\nExpires: 3600\r\n")
    )
    while True:
        answer = await asyncio.wait_for(connection.receive(), 5)
        if answer is None:
            raise RuntimeError(f"{user}: connection closed before the REGISTER was answered")
        if answer.startswith("SIP/2.0 2"):
            return
        if not answer.startswith("SIP/2.0 1"):
            raise RuntimeError(f"{user}: REGISTER answered " + answer.split("\r\n", 1)[0])


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", required=True, help="host:port of a ws listener")
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--domain", default="127.0.0.1")
    ap.add_argument("--idle", type=int, default=10000)
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--rate", type=int, default=2000)
    ap.add_argument("--sources", type=int, default=1, help="spread idle connections over 127.0.0.2..N+1")
    ap.add_argument("--name", default="server")
    args = ap.parse_args()
    host, port = args.target.rsplit(":", 1)
    port = int(port)

    before_idle = pss_kib(args.pid)
    idle = []
    for i in range(args.idle):
        source = f"127.0.0.{2 + i % args.sources}" if args.sources > 1 else None
        idle.append(await Connection.open(host, port, source))
    holders = [asyncio.create_task(hold_open(c)) for c in idle]
    await asyncio.sleep(1)
    after_idle = pss_kib(args.pid)

    bob = await Connection.open(host, port)
    alice = await Connection.open(host, port)
    await register(bob, "bob", args.domain)

    async def bob_answers():
        while (message := await bob.receive()) is not None:
            if message.startswith("MESSAGE "):
                bob.send(response_to(message, "200 OK"))

    answered, failed = 0, 0
    done = asyncio.Event()

    async def alice_counts():
        nonlocal answered, failed
        while (message := await alice.receive()) is not None:
            if message.startswith("SIP/2.0 2"):
                answered += 1
            elif not message.startswith("SIP/2.0 1"):
                failed += 1
            if answered + failed >= args.count:
                done.set()
                return

    tasks = [asyncio.create_task(bob_answers()), asyncio.create_task(alice_counts())]
    call_id = uuid.uuid4().hex
    cpu_start, wall_start = cpu_seconds(args.pid), time.monotonic()
    for n in range(args.count):
        alice.send(request("MESSAGE", f"sip:bob@{args.domain}", "alice", args.domain, call_id, n + 1,
                           "Content-Type: text/plain\r\n", f"hello {n}"))
        due = wall_start + (n + 1) / args.rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        elif n % 50 == 0:
            await asyncio.sleep(0)
    try:
        await asyncio.wait_for(done.wait(), 30)
    except asyncio.TimeoutError:
        pass
    wall = time.monotonic() - wall_start
    cpu = cpu_seconds(args.pid) - cpu_start
    print(
        f"{args.name}: ws message ok={answered} failed={failed} lost={args.count - answered - failed} "
        f"rate={answered / wall:.0f}/s cpu={cpu:.2f}s us/msg={1e6 * cpu / max(answered, 1):.1f} "
        f"idle={args.idle} pss_per_idle_connection={1024 * (after_idle - before_idle) / max(args.idle, 1):.0f}B"
    )
    for t in tasks + holders:
        t.cancel()
    for c in idle + [alice, bob]:
        c.writer.close()
    return 0 if answered == args.count else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
