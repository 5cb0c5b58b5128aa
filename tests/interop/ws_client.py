"""A minimal SIP WebSocket client (RFC 6455 framing, RFC 7118 subprotocol) on raw sockets.

Python here has no WebSocket library: this is just enough to open a connection, send SIP
messages as masked text frames and read the server's frames, so the interop tests can act as
a WebSocket peer osprey did not write, including a misbehaving one. Every read is bounded.
"""

import base64
import os
import socket
import ssl
import struct
import time

OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def upgrade_request(host, port, protocols=("sip",), origin=None, method="GET", path="/"):
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    if protocols:
        lines.append("Sec-WebSocket-Protocol: " + ", ".join(protocols))
    if origin:
        lines.append(f"Origin: {origin}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_http_head(sock, timeout=5.0):
    """The HTTP response head (status line and headers) and whatever followed it."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while b"\r\n\r\n" not in data and time.monotonic() < deadline:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head.decode(errors="replace"), rest


def status_of_head(head):
    parts = head.split(" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def frame(opcode, payload, fin=True, mask=True):
    head = bytes([(0x80 if fin else 0) | opcode])
    length = len(payload)
    mask_bit = 0x80 if mask else 0
    if length < 126:
        head += bytes([mask_bit | length])
    elif length < 65536:
        head += bytes([mask_bit | 126]) + struct.pack("!H", length)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", length)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class WsClient:
    """One SIP WebSocket connection to 127.0.0.1:port; `tls_ca` set: wss, verifying with it."""

    def __init__(self, port, protocols=("sip",), origin=None, tls_ca=None, timeout=5.0):
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls_ca:
            context = ssl.create_default_context(cafile=tls_ca)
            raw = context.wrap_socket(raw, server_hostname="localhost")
        self.sock = raw
        self.sock.sendall(upgrade_request("127.0.0.1", port, protocols, origin))
        self.head, self.buffer = read_http_head(self.sock, timeout)
        self.status = status_of_head(self.head)
        self.local_port = raw.getsockname()[1]

    def header(self, name):
        for line in self.head.split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None

    def send_frame(self, opcode, payload, fin=True):
        self.sock.sendall(frame(opcode, payload, fin))

    def send_text(self, text):
        self.send_frame(OP_TEXT, text.encode() if isinstance(text, str) else text)

    def _fill(self, count, deadline):
        while len(self.buffer) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no frame in time")
            self.sock.settimeout(remaining)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk

    def read_frame(self, timeout=5.0):
        """(opcode, payload) of the next frame from the server (never masked)."""
        deadline = time.monotonic() + timeout
        self._fill(2, deadline)
        opcode = self.buffer[0] & 0x0F
        length = self.buffer[1] & 0x7F
        at = 2
        if length == 126:
            self._fill(4, deadline)
            length = struct.unpack("!H", self.buffer[2:4])[0]
            at = 4
        elif length == 127:
            self._fill(10, deadline)
            length = struct.unpack("!Q", self.buffer[2:10])[0]
            at = 10
        self._fill(at + length, deadline)
        payload = self.buffer[at:at + length]
        self.buffer = self.buffer[at + length:]
        return opcode, payload

    def read_message(self, timeout=5.0, answer_pings=True):
        """The next SIP message (text or binary frame) as str; pings are answered on the way."""
        deadline = time.monotonic() + timeout
        while True:
            opcode, payload = self.read_frame(max(0.01, deadline - time.monotonic()))
            if opcode == OP_PING and answer_pings:
                self.send_frame(OP_PONG, payload)
                continue
            if opcode in (OP_TEXT, OP_BINARY):
                return payload.decode(errors="replace")
            if opcode == OP_CLOSE:
                raise ConnectionError("closed by the server")

    def closed_within(self, timeout):
        """True when the server closes (close frame or end of stream) within `timeout` s."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                opcode, _ = self.read_frame(max(0.01, deadline - time.monotonic()))
                if opcode == OP_CLOSE:
                    return True
        except (ConnectionError, OSError):
            return True
        except TimeoutError:
            return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
