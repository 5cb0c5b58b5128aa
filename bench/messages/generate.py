#!/usr/bin/env python3
"""Writes the benchmark messages (*.sip) next to this script.

Headers are modelled on what real endpoints send (Yealink, Polycom, Linphone, a carrier SBC).
Line ends are CRLF and Content-Length is computed here, so the files can be edited through this
script without breaking the framing. Run: python3 bench/messages/generate.py
"""
import base64
import hashlib
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def passport(header: dict, claims: dict, seed: str) -> str:
    """A PASSporT (RFC 8225) in compact JWS form; the 64-byte ES256 signature is a stand-in."""
    signature = hashlib.sha512(seed.encode()).digest()  # 64 bytes, like a raw ES256 r||s
    compact = lambda obj: json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()
    return ".".join([b64url(compact(header)), b64url(compact(claims)), b64url(signature)])


def message(start_line: str, headers: list, body: str = "") -> bytes:
    body_bytes = body.replace("\n", "\r\n").encode() if body else b""
    lines = [start_line] + headers + [f"Content-Length: {len(body_bytes)}", "", ""]
    return "\r\n".join(lines).encode() + body_bytes


REGISTER = message(
    "REGISTER sip:sip.example.com SIP/2.0",
    [
        "Via: SIP/2.0/UDP 192.168.1.42:5060;branch=z9hG4bK1958310542;rport",
        "From: \"Alice Jones\" <sip:1001@sip.example.com>;tag=3296618253",
        "To: \"Alice Jones\" <sip:1001@sip.example.com>",
        "Call-ID: 1482929867@192.168.1.42",
        "CSeq: 2 REGISTER",
        "Contact: <sip:1001@192.168.1.42:5060>;reg-id=1;"
        "+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-805ec0a1b2c3>\"",
        "Authorization: Digest username=\"1001\", realm=\"sip.example.com\", "
        "nonce=\"ZjRiNmUxYzQ3YTkwMmQ1ODNlMTdiOWEwNGM2ZjE4MmQ=\", uri=\"sip:sip.example.com\", "
        "response=\"6629fae49393a05397450978507c4ef1\", algorithm=MD5, cnonce=\"0a4f113b\", "
        "qop=auth, nc=00000001",
        "X-Yealink-Device-Info: mac=805ec0a1b2c3",
        "Max-Forwards: 70",
        "User-Agent: Yealink SIP-T46S 66.86.0.15",
        "Expires: 3600",
        "Allow: INVITE, INFO, PRACK, ACK, BYE, CANCEL, OPTIONS, NOTIFY, REGISTER, SUBSCRIBE, "
        "REFER, PUBLISH, UPDATE, MESSAGE",
        "Supported: path, gruu, outbound",
    ],
)

INVITE_SDP = message(
    "INVITE sip:1002@sip.example.com SIP/2.0",
    [
        "Via: SIP/2.0/UDP 192.168.1.57:5060;branch=z9hG4bK4c1a5b2e4f7d1a2b;rport",
        "From: \"Bob Smith\" <sip:1001@sip.example.com>;tag=8D3E2A5C-1B7F9E04",
        "To: <sip:1002@sip.example.com>",
        "CSeq: 1 INVITE",
        "Call-ID: 6a4d3c2b-91e0f5a7-3b8c1d2e@192.168.1.57",
        "Contact: <sip:1001@192.168.1.57:5060>",
        "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, MESSAGE, SUBSCRIBE, NOTIFY, PRACK, UPDATE, REFER",
        "Supported: 100rel, replaces, timer",
        "User-Agent: PolycomVVX-VVX_411-UA/6.4.3.5018",
        "Max-Forwards: 70",
        "Session-Expires: 1800",
        "Min-SE: 90",
        "Content-Type: application/sdp",
    ],
    """v=0
o=- 1712345678 1712345678 IN IP4 192.168.1.57
s=Polycom IP Phone
c=IN IP4 192.168.1.57
t=0 0
m=audio 2222 RTP/AVP 9 0 8 18 101
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
a=sendrecv
""",
)

OK_RECORD_ROUTE = message(
    "SIP/2.0 200 OK",
    [
        "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK3a9f.5b1c8e2d74f06a93b2c1d0e9f8a7b6c5.0;received=10.0.0.5",
        "Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKcydzigwkX;rport=5060",
        "Via: SIP/2.0/UDP 192.168.1.57:5060;branch=z9hG4bK4c1a5b2e4f7d1a2b;rport=5060;received=198.51.100.23",
        "Record-Route: <sip:10.0.0.5;lr;ftag=8D3E2A5C-1B7F9E04;did=a31.b2c1>",
        "Record-Route: <sip:203.0.113.10;transport=udp;lr>",
        "Record-Route: <sip:198.51.100.1:5060;lr;r2=on>",
        "From: \"Bob Smith\" <sip:1001@sip.example.com>;tag=8D3E2A5C-1B7F9E04",
        "To: <sip:1002@sip.example.com>;tag=2470558743",
        "Call-ID: 6a4d3c2b-91e0f5a7-3b8c1d2e@192.168.1.57",
        "CSeq: 1 INVITE",
        "Contact: <sip:1002@10.0.0.20:5060>",
        "Allow: INVITE, INFO, PRACK, ACK, BYE, CANCEL, OPTIONS, NOTIFY, REGISTER, SUBSCRIBE, "
        "REFER, PUBLISH, UPDATE, MESSAGE",
        "Supported: replaces, timer",
        "Require: timer",
        "Session-Expires: 1800;refresher=uac",
        "Server: Yealink SIP-T54W 96.86.0.70",
        "Content-Type: application/sdp",
    ],
    """v=0
o=- 20017 20017 IN IP4 10.0.0.20
s=SDP data
c=IN IP4 10.0.0.20
t=0 0
m=audio 11796 RTP/AVP 9 101
a=rtpmap:9 G722/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
a=sendrecv
""",
)

MESSAGE = message(
    "MESSAGE sip:bob@sip.example.com SIP/2.0",
    [
        "Via: SIP/2.0/TCP 192.168.1.80:44317;alias;branch=z9hG4bK.Xq2~3bLpE;rport",
        "From: <sip:alice@sip.example.com>;tag=RcV6~s1Jm",
        "To: <sip:bob@sip.example.com>",
        "CSeq: 20 MESSAGE",
        "Call-ID: 4Jx9hQmT2o",
        "Max-Forwards: 70",
        "Supported: replaces, outbound, gruu, path",
        "Date: Tue, 14 May 2024 09:21:33 GMT",
        "Content-Type: text/plain",
        "User-Agent: Linphone-Desktop/5.2.4 (Ubuntu 22.04.4 LTS) LinphoneSDK/5.3.41",
    ],
    "Hi Bob, are we still on for lunch at 12:30? I booked the table by the window.",
)

X5U = "https://cert.carrier.example.net/shaken/2024/sti-cert-0f3a9c.pem"
SHAKEN = passport(
    {"alg": "ES256", "ppt": "shaken", "typ": "passport", "x5u": X5U},
    {
        "attest": "A",
        "dest": {"tn": ["12025550100"]},
        "iat": 1715678493,
        "orig": {"tn": "12155551212"},
        "origid": "8a5f1c3e-7b2d-4e9f-a061-5c3d2b1e0f47",
    },
    "shaken",
)
DIV = passport(
    {"alg": "ES256", "ppt": "div", "typ": "passport", "x5u": X5U},
    {
        "dest": {"tn": ["12025551001"]},
        "div": {"tn": "12025550100"},
        "iat": 1715678493,
        "orig": {"tn": "12155551212"},
    },
    "div",
)

INVITE_IDENTITY = message(
    "INVITE sip:+12025551001@sip.example.com;user=phone SIP/2.0",
    [
        "Via: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bK0b1f.6c8e4a2d9f03b7a15e2c4d6f8a0b1c3d.0",
        "Via: SIP/2.0/UDP 198.51.100.7:5060;received=198.51.100.7;rport=5060;branch=z9hG4bKHaA98Qj3gcS1D",
        "Via: SIP/2.0/TCP 10.20.30.40:5060;branch=z9hG4bK-524287-1---7f3e2b1a9c8d6e5f;rport",
        "Record-Route: <sip:198.51.100.20;lr;ftag=gK0a1b2c3d;nat=yes>",
        "Record-Route: <sip:198.51.100.7;transport=udp;lr>",
        "Max-Forwards: 67",
        "From: \"WIRELESS CALLER\" <sip:+12155551212@carrier.example.net;user=phone>;tag=gK0a1b2c3d",
        "To: <sip:+12025550100@sip.example.com;user=phone>",
        "Call-ID: 1417829403_119934728@198.51.100.7",
        "CSeq: 4711 INVITE",
        "Contact: <sip:+12155551212@198.51.100.7:5060;transport=udp>",
        "P-Asserted-Identity: \"WIRELESS CALLER\" <sip:+12155551212@carrier.example.net;user=phone>",
        "P-Asserted-Identity: <tel:+12155551212>",
        "Privacy: none",
        "Diversion: <sip:+12025550100@sip.example.com;user=phone>;reason=unconditional;counter=1;privacy=off",
        "P-Charging-Vector: icid-value=\"PCSF:1-cfed-0-1-000000005a3c22e1-0000000\";"
        "icid-generated-at=198.51.100.7;orig-ioi=carrier.example.net",
        f"Identity: {SHAKEN};info=<{X5U}>;alg=ES256;ppt=shaken",
        f"Identity: {DIV};info=<{X5U}>;alg=ES256;ppt=div",
        "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO, REFER, NOTIFY",
        "Supported: 100rel, timer, replaces, histinfo",
        "Session-Expires: 1800;refresher=uac",
        "Min-SE: 90",
        "P-Early-Media: supported",
        "Accept: application/sdp, application/dtmf-relay",
        "User-Agent: Carrier-SBC/7.20A.258.459",
        "Content-Type: application/sdp",
    ],
    """v=0
o=SBC 1715678493 1715678494 IN IP4 198.51.100.30
s=SIP Call
c=IN IP4 198.51.100.30
t=0 0
m=audio 31488 RTP/AVP 0 8 18 9 96 97 101 13
c=IN IP4 198.51.100.30
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=rtpmap:9 G722/8000
a=rtpmap:96 AMR-WB/16000
a=fmtp:96 mode-change-capability=2;max-red=0
a=rtpmap:97 AMR/8000
a=fmtp:97 mode-change-capability=2;max-red=0
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=rtpmap:13 CN/8000
a=rtcp:31489
a=ptime:20
a=maxptime:40
a=sendrecv
""",
)

FILES = {
    "register_digest.sip": REGISTER,
    "invite_sdp.sip": INVITE_SDP,
    "ok_record_route.sip": OK_RECORD_ROUTE,
    "message.sip": MESSAGE,
    "invite_identity.sip": INVITE_IDENTITY,
}

if __name__ == "__main__":
    for name, data in FILES.items():
        (HERE / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")
