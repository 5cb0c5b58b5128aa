"""SIP over WebSocket (RFC 7118) against a live osprey with ws and wss listeners.

The peers: a raw-socket WebSocket client written here (tests/interop/ws_client.py), acting as
a browser's SIP stack would (Via and Contact on a made-up .invalid host), and osprey's own
client tools with --transport ws/wss. Checks:
  - the upgrade: `sip` selected; refused without it (400), for a foreign Origin (403), for
    another method (405); a listed Origin is accepted;
  - REGISTER over ws and wss (the tools, and the raw client);
  - MESSAGE from a ws user to a udp user and back, each answer on the connection it concerns;
  - a dead ws connection makes its binding unreachable while the user's other binding still
    receives, and nothing is sent to the .invalid Contact.
"""

import os
import socket
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
from ws_client import WsClient  # noqa: E402

ALLOWED_ORIGIN = "https://phone.example.com"


def ws_request(method, uri, user, to_user, ws_host, extra=(), body=""):
    """A request as a browser's SIP stack sends it over WebSocket (RFC 7118 §5: .invalid host)."""
    lines = [
        f"{method} {uri} SIP/2.0",
        f"Via: SIP/2.0/WS {ws_host};branch=z9hG4bK{uuid.uuid4().hex}",
        "Max-Forwards: 70",
        f"From: <sip:{user}@127.0.0.1>;tag={uuid.uuid4().hex[:8]}",
        f"To: <sip:{to_user}@127.0.0.1>",
        f"Call-ID: {uuid.uuid4().hex}",
        f"CSeq: 1 {method}",
        *extra,
    ]
    if body:
        lines.append("Content-Type: text/plain")
    lines.append(f"Content-Length: {len(body.encode())}")
    return "\r\n".join(lines) + "\r\n\r\n" + body


def ws_register(client, user, expires=300):
    host = f"{uuid.uuid4().hex[:12]}.invalid"
    client.send_text(ws_request("REGISTER", "sip:127.0.0.1", user, user, host,
                                [f"Contact: <sip:{user}@{host};transport=ws>;expires={expires}"]))
    return client.read_message()


def status_line(text):
    return text.split("\r\n", 1)[0] if text else ""


def answer(request_text, status=200, reason="OK"):
    return h.response_to(request_text.encode(), status, reason).decode()


def check_refusals(checks, ws_port):
    no_sip = WsClient(ws_port, protocols=())
    checks.expect(no_sip.status == 400, f"upgrade without the sip subprotocol refused with 400 ({no_sip.head!r})")
    no_sip.close()
    other = WsClient(ws_port, protocols=("chat",))
    checks.expect(other.status == 400, "upgrade offering only another subprotocol refused with 400")
    other.close()
    foreign = WsClient(ws_port, origin="https://evil.example")
    checks.expect(foreign.status == 403, f"upgrade from a foreign Origin refused with 403 ({foreign.head!r})")
    foreign.close()
    listed = WsClient(ws_port, origin=ALLOWED_ORIGIN)
    checks.expect(listed.status == 101 and listed.header("Sec-WebSocket-Protocol") == "sip",
                  f"upgrade from the listed Origin accepted, sip selected ({listed.head!r})")
    listed.close()
    with socket.create_connection(("127.0.0.1", ws_port), timeout=5) as raw:
        raw.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    b"Sec-WebSocket-Protocol: sip\r\nContent-Length: 0\r\n\r\n")
        head = raw.recv(4096).decode(errors="replace")
    checks.expect(head.startswith("HTTP/1.1 405"), f"POST upgrade refused with 405 ({head[:40]!r})")
    garbage = WsClient(ws_port)
    garbage.send_text("this is not SIP\r\n\r\n")
    broken = ws_request("OPTIONS", "sip:127.0.0.1", "probe", "probe", "x.invalid").replace("CSeq: 1 OPTIONS\r\n", "")
    garbage.send_text(broken)
    try:
        reply = garbage.read_message()
    except (ConnectionError, TimeoutError, OSError) as error:
        reply = f"<{error}>"
    checks.expect(status_line(reply).startswith("SIP/2.0 400"),
                  f"a request without CSeq is answered 400 on the connection ({status_line(reply)!r})")
    garbage.send_text(ws_request("OPTIONS", "sip:127.0.0.1", "probe", "probe", "x.invalid"))
    try:
        reply = garbage.read_message()
    except (ConnectionError, TimeoutError, OSError) as error:
        reply = f"<{error}>"
    checks.expect(status_line(reply).startswith("SIP/2.0 200"),
                  f"a message that does not parse costs nothing: the next one is answered ({status_line(reply)!r})")
    garbage.close()


def check_messages_between_ws_and_udp(checks, port, ws_port):
    alice = WsClient(ws_port)
    reply = ws_register(alice, "alice")
    checks.expect(status_line(reply).startswith("SIP/2.0 200"), f"alice registers over ws ({status_line(reply)!r})")
    bob = h.UdpRecorder(answer=200, requests_only=True)
    bob_port = bob.port
    reply = h.udp_exchange(port, h.register_request(port, "bob", f"<sip:bob@127.0.0.1:{bob_port}>", expires=300,
                                                   local_port=bob_port), sock=None)
    checks.expect(h.status_of(reply) == 200, "bob registers over udp")

    # ws -> udp: bob gets it over UDP, alice gets bob's 200 on her connection.
    alice.send_text(ws_request("MESSAGE", "sip:bob@127.0.0.1", "alice", "bob", "a1.invalid", body="hi bob"))
    reply = alice.read_message()
    checks.expect(status_line(reply).startswith("SIP/2.0 200"),
                  f"alice's MESSAGE to bob answered 200 on her ws ({status_line(reply)!r})")
    arrived = bob.wait_for(1)
    checks.expect(arrived and b"hi bob" in bob.received[0], "bob got alice's MESSAGE over udp")

    # A dialog from the ws side: two Record-Routes (RFC 5658), alice's side naming ws.
    alice.send_text(ws_request("INVITE", "sip:bob@127.0.0.1", "alice", "bob", "a1.invalid",
                               ["Contact: <sip:alice@a1.invalid;transport=ws>"]))
    invite = bob.wait_for(2)
    record_routes = []
    if len(invite) >= 2:
        record_routes = [line for line in invite[1].decode(errors="replace").split("\r\n")
                         if line.lower().startswith("record-route")]
    checks.expect(any("transport=ws" in line for line in record_routes) and
                  any("transport=udp" in line for line in record_routes),
                  f"an INVITE from ws to udp gets two Record-Routes, alice's side naming ws: {record_routes!r}")
    final = ""
    try:
        while not final.startswith("SIP/2.0 2"):
            final = alice.read_message()
    except (ConnectionError, TimeoutError, OSError):
        pass
    checks.expect(final.startswith("SIP/2.0 200"), f"bob's 200 to the INVITE reached alice ({status_line(final)!r})")

    # udp -> ws: alice gets it on her connection and answers there; the sender gets her 200.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.bind(("127.0.0.1", 0))
        sender_port = sender.getsockname()[1]
        message = (f"MESSAGE sip:alice@127.0.0.1 SIP/2.0\r\n"
                   f"Via: SIP/2.0/UDP 127.0.0.1:{sender_port};branch=z9hG4bK{uuid.uuid4().hex};rport\r\n"
                   "Max-Forwards: 70\r\nFrom: <sip:bob@127.0.0.1>;tag=b1\r\nTo: <sip:alice@127.0.0.1>\r\n"
                   f"Call-ID: {uuid.uuid4().hex}\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n"
                   "Content-Length: 8\r\n\r\nhi alice")
        sender.sendto(message.encode(), ("127.0.0.1", port))
        try:
            incoming = alice.read_message()
        except (ConnectionError, TimeoutError, OSError) as error:
            incoming = f"<{error}>"
        checks.expect(incoming.startswith("MESSAGE ") and incoming.endswith("hi alice"),
                      f"bob's MESSAGE reached alice over her ws connection ({status_line(incoming)!r})")
        if incoming.startswith("MESSAGE "):
            alice.send_text(answer(incoming))
        sender.settimeout(5)
        final = None
        try:
            while final is None:
                data = sender.recv(65535)
                if h.status_of(data) and h.status_of(data) >= 200:
                    final = data
        except socket.timeout:
            pass
        checks.expect(h.status_of(final) == 200, f"alice's 200 came back to bob's udp socket ({final!r:.60})")
    bob.close()
    return alice


def check_dead_connection(checks, port, ws_port):
    carol_ws = WsClient(ws_port)
    reply = ws_register(carol_ws, "carol")
    checks.expect(status_line(reply) == "SIP/2.0 200 OK", "carol registers over ws")
    carol_udp = h.UdpRecorder(answer=200, requests_only=True)
    udp_port = carol_udp.port
    reply = h.udp_exchange(port, h.register_request(port, "carol", f"<sip:carol@127.0.0.1:{udp_port}>",
                                                   expires=300, local_port=udp_port))
    checks.expect(h.status_of(reply) == 200, "carol also registers over udp")
    carol_ws.close()
    time.sleep(0.5)  # the server sees the connection close
    result = h.run([BINARY, "message", "sip:carol@127.0.0.1", "after the ws closed", "--from",
                    "sip:dave@127.0.0.1", "--server", f"127.0.0.1:{port}", "--timeout", "10"], timeout=30)
    checks.expect(result.returncode == 0, f"a MESSAGE to carol still succeeds: {result.stdout.strip()} {result.stderr.strip()}")
    checks.expect(carol_udp.wait_for(1) and b"after the ws closed" in carol_udp.received[0],
                  "carol's udp binding received it")
    carol_udp.close()


def check_tools(checks, port, ws_port, wss_port, ca):
    result = h.run([BINARY, "register", "sip:erin@127.0.0.1", "--server", f"127.0.0.1:{ws_port}",
                    "--transport", "ws", "--timeout", "10"], timeout=30)
    checks.expect(result.returncode == 0 and "transport=ws" in result.stdout,
                  f"osprey register --transport ws: {result.returncode} {result.stdout.strip()} {result.stderr.strip()}")
    result = h.run([BINARY, "register", "sip:erin@127.0.0.1", "--server", f"localhost:{wss_port}",
                    "--transport", "wss", "--ca-file", ca, "--timeout", "10"], timeout=30)
    checks.expect(result.returncode == 0 and "transport=wss" in result.stdout,
                  f"osprey register --transport wss: {result.returncode} {result.stdout.strip()} {result.stderr.strip()}")
    result = h.run([BINARY, "options", "sip:127.0.0.1", "--server", f"localhost:{wss_port}",
                    "--transport", "wss", "--timeout", "10"], timeout=30)
    checks.expect(result.returncode != 0, "wss without the CA that signed the server's certificate fails")

    frank = h.UdpRecorder(answer=200, requests_only=True)
    frank_port = frank.port
    h.udp_exchange(port, h.register_request(port, "frank", f"<sip:frank@127.0.0.1:{frank_port}>", expires=300,
                                           local_port=frank_port))
    result = h.run([BINARY, "message", "sip:frank@127.0.0.1", "from a ws tool", "--from", "sip:erin@127.0.0.1",
                    "--server", f"127.0.0.1:{ws_port}", "--transport", "ws", "--timeout", "10"], timeout=30)
    checks.expect(result.returncode == 0 and frank.wait_for(1) and b"from a ws tool" in frank.received[0],
                  f"osprey message --transport ws reaches a udp user: {result.stdout.strip()} {result.stderr.strip()}")
    frank.close()

    listener = subprocess.Popen([BINARY, "listen", "sip:gina@127.0.0.1", "--server", f"127.0.0.1:{ws_port}",
                                 "--transport", "ws", "--count", "1", "--expires", "60"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        registered = False
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not registered:
            reply = h.udp_exchange(port, h.register_request(port, "gina", local_port=5999))
            registered = any("transport=ws" in uri for uri, _ in h.contacts_of(reply))
            time.sleep(0.2)
        checks.expect(registered, "osprey listen --transport ws registered gina")
        result = h.run([BINARY, "message", "sip:gina@127.0.0.1", "to the ws listener", "--from",
                        "sip:frank@127.0.0.1", "--server", f"127.0.0.1:{port}", "--timeout", "10"], timeout=30)
        checks.expect(result.returncode == 0, f"a udp MESSAGE to gina is answered 200 by her ws listener: {result.stdout.strip()}")
        out, err = listener.communicate(timeout=20)
        checks.expect("to the ws listener" in out and listener.returncode == 0,
                      f"osprey listen --transport ws printed it and exited 0 ({out!r} {err!r})")
    finally:
        if listener.poll() is None:
            listener.kill()
            listener.communicate(timeout=10)


def main():
    global BINARY
    args = h.parse_args()
    BINARY = args.osprey
    checks = h.Failures()
    with h.temp_dir() as workdir:
        certificates = h.make_certificates(os.path.join(workdir, "tls"))
        port, ws_port, wss_port = h.free_port(), h.free_port(), h.free_port()
        listens = h.udp_and_tcp(port) + [
            {"transport": "ws", "address": "127.0.0.1", "port": ws_port},
            {"transport": "wss", "address": "127.0.0.1", "port": wss_port,
             "certificate": certificates["cert"], "private_key": certificates["key"]},
        ]
        extra = f'\n[websocket]\nallowed_origins = ["{ALLOWED_ORIGIN}"]\n'
        with h.Osprey(BINARY, workdir, listens, extra_toml=extra) as server:
            check_refusals(checks, ws_port)
            wss = WsClient(wss_port, tls_ca=certificates["ca_cert"])
            reply = ws_register(wss, "henry") if wss.status == 101 else ""
            checks.expect(status_line(reply) == "SIP/2.0 200 OK", f"a raw client registers over wss ({status_line(reply)!r})")
            wss.close()
            alice = check_messages_between_ws_and_udp(checks, port, ws_port)
            check_dead_connection(checks, port, ws_port)
            check_tools(checks, port, ws_port, wss_port, certificates["ca_cert"])
            alice.close()
            code = server.stop()
            checks.expect(code == 0, f"osprey stopped cleanly (exit {code})")
            log = server.read_log()
            checks.expect(".invalid" not in log or "resolv" not in log.lower(),
                          "no .invalid name was looked up")
    checks.finish()


if __name__ == "__main__":
    main()
