"""A small SIP Digest client for the security tests (RFC 3261 §22, RFC 7616, RFC 8760): reads
challenges, answers them with SHA-256 or MD5 and qop=auth, and runs request/challenge/retry
exchanges over UDP from a chosen source address, so a test controls every byte an attacker or a
client would send."""

import hashlib
import re
import socket
import uuid

HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


def challenges(reply, header="WWW-Authenticate"):
    """Every challenge of `header` in a response, in order, as dicts of its parameters (quotes
    removed); the algorithm defaults to MD5 (RFC 7616 §3.3)."""
    result = []
    for line in (reply or b"").decode(errors="replace").split("\r\n"):
        name, colon, value = line.partition(":")
        if not colon or name.strip().lower() != header.lower():
            continue
        value = value.strip()
        scheme, _, rest = value.partition(" ")
        params = {"scheme": scheme}
        for match in re.finditer(r'([A-Za-z0-9_-]+)\s*=\s*("([^"\\]|\\.)*"|[^,\s]*)', rest):
            key, raw = match.group(1).lower(), match.group(2)
            params[key] = raw[1:-1] if raw.startswith('"') else raw
        params.setdefault("algorithm", "MD5")
        result.append(params)
    return result


def authorization(challenge, method, uri, user, password, nc=1, cnonce=None):
    """The credentials answering `challenge` (RFC 7616 §3.4.1, qop=auth)."""
    hash_function = HASHES[challenge["algorithm"].upper()]

    def h(text):
        return hash_function(text.encode()).hexdigest()

    cnonce = cnonce or uuid.uuid4().hex[:16]
    nc_text = f"{nc:08x}"
    ha1 = h(f"{user}:{challenge['realm']}:{password}")
    ha2 = h(f"{method}:{uri}")
    response = h(f"{ha1}:{challenge['nonce']}:{nc_text}:{cnonce}:auth:{ha2}")
    value = (f'Digest username="{user}", realm="{challenge["realm"]}", nonce="{challenge["nonce"]}", '
             f'uri="{uri}", response="{response}", algorithm={challenge["algorithm"]}, '
             f'cnonce="{cnonce}", qop=auth, nc={nc_text}')
    if "opaque" in challenge:
        value += f', opaque="{challenge["opaque"]}"'
    return value


def status_of(reply):
    if not reply:
        return None
    first = reply.split(b"\r\n", 1)[0].split(b" ")
    return int(first[1]) if len(first) > 1 and first[1].isdigit() else None


def header_lines(reply, name):
    return [line.split(b":", 1)[1].strip().decode() for line in (reply or b"").split(b"\r\n")
            if line.lower().startswith(name.lower().encode() + b":")]


class UdpClient:
    """One UDP socket at (source, port 0): sends requests, returns their final responses."""

    def __init__(self, server_port, source="127.0.0.1", bind_port=0, sock=None):
        self.server_port = server_port
        self.own = sock is None
        self.sock = sock or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if self.own:
            self.sock.bind((source, bind_port))
        self.source, self.port = self.sock.getsockname()

    def close(self):
        if self.own:
            self.sock.close()

    def exchange(self, request, timeout=3.0):
        """Sends `request` (bytes) and returns its first final response (matched by Call-ID and
        CSeq: retransmissions of earlier answers are skipped), or None. A non-2xx final response
        to an INVITE is acknowledged (RFC 3261 §17.1.1.3)."""
        call_id = header_lines(request, "Call-ID")[0]
        cseq = header_lines(request, "CSeq")[0]
        self.sock.settimeout(timeout)
        self.sock.sendto(request, ("127.0.0.1", self.server_port))
        while True:
            try:
                reply = self.sock.recvfrom(65535)[0]
            except socket.timeout:
                return None
            status = status_of(reply)
            if status is None or status < 200:
                continue
            if header_lines(reply, "Call-ID")[:1] != [call_id] or header_lines(reply, "CSeq")[:1] != [cseq]:
                continue
            if cseq.endswith("INVITE") and status >= 300:
                self.sock.sendto(self.ack_for(request, reply), ("127.0.0.1", self.server_port))
            return reply

    @staticmethod
    def ack_for(invite, final):
        lines = invite.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")
        keep = [lines[0].replace("INVITE", "ACK", 1)]
        for line in lines[1:]:
            name = line.split(":", 1)[0].lower()
            if name in ("via", "from", "call-id", "max-forwards"):
                keep.append(line)
            elif name == "cseq":
                keep.append(line.replace("INVITE", "ACK"))
        keep.append("To: " + header_lines(final, "To")[0])
        keep.append("Content-Length: 0")
        return ("\r\n".join(keep) + "\r\n\r\n").encode()

    def request(self, method, uri, from_uri, to_uri, cseq=1, call_id=None, extra=(), body=b"",
                content_type="text/plain", from_tag=None):
        call_id = call_id or uuid.uuid4().hex
        lines = [
            f"{method} {uri} SIP/2.0",
            f"Via: SIP/2.0/UDP {self.source}:{self.port};branch=z9hG4bK{uuid.uuid4().hex[:16]};rport",
            "Max-Forwards: 70",
            f"From: <{from_uri}>;tag={from_tag or uuid.uuid4().hex[:8]}",
            f"To: <{to_uri}>",
            f"Call-ID: {call_id}",
            f"CSeq: {cseq} {method}",
        ]
        if not any(line.lower().startswith("contact:") for line in extra):
            lines.append(f"Contact: <sip:client@{self.source}:{self.port}>")
        lines += list(extra)
        if body:
            lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    def authenticated(self, method, uri, from_uri, to_uri, user, password, extra=(), body=b"",
                      algorithm="SHA-256"):
        """Request, challenge, request with credentials (CSeq + 1, same Call-ID and tag).
        Returns (first reply, final reply, the credentials sent)."""
        call_id, tag = uuid.uuid4().hex, uuid.uuid4().hex[:8]
        first = self.exchange(self.request(method, uri, from_uri, to_uri, 1, call_id, extra, body, from_tag=tag))
        status = status_of(first)
        if status not in (401, 407):
            return first, first, None
        header = "WWW-Authenticate" if status == 401 else "Proxy-Authenticate"
        chosen = [c for c in challenges(first, header) if c["algorithm"].upper() == algorithm]
        if not chosen:
            return first, None, None
        credentials = authorization(chosen[0], method, uri, user, password)
        answer_header = "Authorization" if status == 401 else "Proxy-Authorization"
        final = self.exchange(self.request(method, uri, from_uri, to_uri, 2, call_id,
                                           [*extra, f"{answer_header}: {credentials}"], body, from_tag=tag))
        return first, final, credentials
