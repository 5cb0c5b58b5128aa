"""RFC 3428 instant messaging through a live osprey, with store-and-forward.

  1. Online: bob registered from two SIPp UAS; one MESSAGE from a SIPp UAC reaches both, and
     the sender gets exactly one 200 (RFC 3428 §7 + RFC 3261 §16.7: the first 2xx wins).
  2. Offline: a MESSAGE to dave (no binding) gets 202; `osprey listen` for dave then prints it
     with alice as sender and the original submission time (Date); a second listen gets nothing.
  3. Durability: 100 MESSAGEs to erin get 202, osprey is killed with SIGKILL and restarted,
     erin registers: all 100 arrive, in order.
  4. sipsak sends a MESSAGE from a file (`-f`) and gets 202.
  5. Bad input: body over [messages] max_body_size 413; Require of an unknown extension 420;
     over the per-user quota 486; a typing notification to an offline user is not stored (480);
     once accounts exist, a user without one gets 404 and one with an account 202.
  6. End-to-end headers: a MESSAGE with Subject, Content-Encoding: gzip and a gzip body stored for
     offline iris reaches her device, once she registers, with those headers and the exact body
     bytes, and without the sender's hop-by-hop fields.
"""

import gzip
import os
import signal
import socket
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
from test_client_tools import Listener, show, tool  # noqa: E402
from test_proxy_calls import SCENARIOS, Sipp, received_messages, register  # noqa: E402

QUOTA = 120  # [messages] max_stored_per_user for this server
MAX_BODY = 2000


def message_request(port, user, body, local_port, content_type="text/plain;charset=utf-8", extra=""):
    branch = "z9hG4bK" + uuid.uuid4().hex[:16]
    data = body if isinstance(body, bytes) else body.encode()
    return (f"MESSAGE sip:{user}@127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch={branch};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:alice@127.0.0.1>;tag={uuid.uuid4().hex[:8]}\r\n"
            f"To: <sip:{user}@127.0.0.1>\r\n"
            f"Call-ID: {uuid.uuid4().hex}@test\r\n"
            "CSeq: 1 MESSAGE\r\n"
            f"Content-Type: {content_type}\r\n{extra}"
            f"Content-Length: {len(data)}\r\n\r\n").encode() + data


def send_message(port, user, body, **kwargs):
    """Status of the final answer to one raw MESSAGE (None on timeout)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        request = message_request(port, user, body, sock.getsockname()[1], **kwargs)
        return h.status_of(h.udp_exchange(port, request, timeout=5.0, sock=sock))


def case_online_fork(port, work, checks):
    uas_ports = [h.free_port(), h.free_port()]
    for uas_port in uas_ports:
        if not register(port, "bob", uas_port, checks):
            return
    servers = [Sipp(work, f"uas{i}", ["-sf", os.path.join(SCENARIOS, "msg_uas.xml"), "-p", str(p), "-m", "1"])
               for i, p in enumerate(uas_ports)]
    try:
        time.sleep(0.5)  # both UAS listening before the MESSAGE forks to them
        uac = Sipp(work, "uac", [f"127.0.0.1:{port}", "-sf", os.path.join(SCENARIOS, "msg_uac.xml"), "-s", "bob",
                                 "-p", "0", "-m", "1"])
        uac_exit = uac.wait(timeout=40)
        checks.expect(uac_exit == 0, f"online: the SIPp sender's MESSAGE is answered 200 (exit {uac_exit})")
        for server in servers:
            server.wait(timeout=10)
            got = [m for m in received_messages(server) if m.startswith("MESSAGE ")]
            checks.expect(len(got) == 1, f"online: bob's device {server.name} got the MESSAGE ({len(got)})")
        time.sleep(1.0)  # a second 200, if osprey forwarded it, would arrive by now
        finals = [m for m in received_messages(uac) if m.startswith("SIP/2.0 2")]
        checks.expect(len(finals) == 1, f"online: the sender got exactly one 2xx ({len(finals)})")
    finally:
        for server in servers:
            server.kill()


def case_offline_then_listen(binary, port, checks):
    result = tool(binary, "message", "sip:dave@127.0.0.1", "while you were out", "--from", "sip:alice@127.0.0.1",
                  "--server", f"127.0.0.1:{port}")
    checks.expect(result.returncode == 0 and "SIP/2.0 202" in result.stdout,
                  f"offline: MESSAGE to dave without a binding gets 202 ({show(result)})")
    submitted = time.strftime("%a, %d %b %Y", time.gmtime())
    time.sleep(1.5)  # the delivery's Date must be the submission time, not the delivery time
    listener = Listener(binary, "sip:dave@127.0.0.1", port, "--count", "1", "--expires", "60")
    code, out, err = listener.finish(timeout=30)
    checks.expect(code == 0 and "while you were out" in out and "sip:alice@127.0.0.1" in out
                  and out.startswith(submitted),
                  f"offline: listen for dave prints it from alice with its Date (exit {code}, out {out!r})")
    again = Listener(binary, "sip:dave@127.0.0.1", port, "--expires", "60")
    registered = again.contact() is not None
    time.sleep(2.0)
    again.process.send_signal(signal.SIGINT)
    code, out, err = again.finish(timeout=30)
    checks.expect(registered and code == 0 and out == "",
                  f"offline: nothing is delivered twice (exit {code}, out {out!r})")


def store_for_erin(port, checks):
    statuses = [send_message(port, "erin", f"note {n:03d}") for n in range(100)]
    accepted = statuses.count(202)
    checks.expect(accepted == 100, f"durability: 100 MESSAGEs to offline erin got 202 ({accepted})")


def deliver_to_erin(binary, port, checks):
    listener = Listener(binary, "sip:erin@127.0.0.1", port, "--count", "100", "--expires", "60")
    code, out, err = listener.finish(timeout=90)
    positions = [out.find(f"note {n:03d}") for n in range(100)]
    in_order = all(p >= 0 for p in positions) and positions == sorted(positions)
    checks.expect(code == 0 and in_order and out.count("note ") == 100,
                  f"durability: after kill -9 all 100 reach erin, in order (exit {code}, "
                  f"{out.count('note ')} received)")


def case_sipsak(port, work, checks):
    path = os.path.join(work, "msg.sip")
    with open(path, "w") as f:
        f.write(message_request(port, "frank", "from sipsak", 5999).decode().replace("\r\n", "\n"))
    result = h.run(["sipsak", "-f", path, "-s", f"sip:frank@127.0.0.1:{port}", "-vv"], timeout=30)
    checks.expect(result.returncode == 0 and "202" in result.stdout,
                  f"sipsak -f: MESSAGE to offline frank answered 202 (exit {result.returncode}, "
                  f"{result.stdout[-300:]!r})")


def case_bad_input(binary, work, port, checks):
    status = send_message(port, "gina", "x" * (MAX_BODY + 1))
    checks.expect(status == 413, f"body over max_body_size: 413 ({status})")
    status = send_message(port, "gina", "hi", extra="Require: no-such-extension\r\n")
    checks.expect(status == 420, f"Require of an unknown extension: 420 ({status})")
    status = send_message(port, "gina", "<isComposing/>", content_type="application/im-iscomposing+xml")
    checks.expect(status == 480, f"typing notification to an offline user: 480, not stored ({status})")
    statuses = [send_message(port, "gina", f"q{n}") for n in range(QUOTA)]
    checks.expect(statuses.count(202) == QUOTA, f"{QUOTA} MESSAGEs within the quota: 202 ({statuses.count(202)})")
    status = send_message(port, "gina", "one too many")
    checks.expect(status == 486, f"over the per-user quota: 486 ({status})")

    added = tool(binary, "user", "add", "hank@127.0.0.1", "--password", "pw",
                 "--data-dir", os.path.join(work, "data"))
    checks.expect(added.returncode == 0, f"osprey user add hank while osprey runs ({show(added)})")
    deadline = time.monotonic() + 10
    status = None
    while time.monotonic() < deadline:
        status = send_message(port, "nobody", "hello?")
        if status == 404:
            break
        time.sleep(0.3)
    checks.expect(status == 404, f"with accounts, a user without one is unknown: 404 ({status})")
    status = send_message(port, "hank", "hello hank")
    checks.expect(status == 202, f"hank has an account and no binding: stored, 202 ({status})")


def case_offline_end_to_end_headers(port, checks):
    body = gzip.compress(b"lunch at noon? \x00\xff binary tail")
    extra = ("Subject: lunch\r\nContent-Encoding: gzip\r\nContent-Language: fr\r\n"
             "Contact: <sip:alice@127.0.0.1:1>\r\n")
    status = send_message(port, "iris", body, content_type="text/plain", extra=extra)
    checks.expect(status == 202, f"end-to-end headers: gzip MESSAGE to offline iris gets 202 ({status})")
    phone = h.UdpRecorder(answer=200)
    try:
        phone.sock.sendto(h.register_request(port, "iris", f"<sip:iris@127.0.0.1:{phone.port}>", expires=60,
                                             local_port=phone.port), ("127.0.0.1", port))
        deadline = time.monotonic() + 15
        delivered = None
        while delivered is None and time.monotonic() < deadline:
            delivered = next((d for d in list(phone.received) if d.startswith(b"MESSAGE ")), None)
            time.sleep(0.05)
        checks.expect(delivered is not None, "end-to-end headers: the stored MESSAGE reaches iris's device")
        if delivered is None:
            return
        head, _, delivered_body = delivered.partition(b"\r\n\r\n")
        checks.expect(h.header(head, "Subject") == "lunch" and h.header(head, "Content-Encoding") == "gzip"
                      and h.header(head, "Content-Language") == "fr",
                      f"end-to-end headers: Subject, Content-Encoding and Content-Language arrive ({head!r})")
        checks.expect(delivered_body == body and gzip.decompress(delivered_body).startswith(b"lunch at noon?"),
                      f"end-to-end headers: the gzip body arrives byte for byte ({delivered_body!r})")
        checks.expect(h.header(head, "Contact") is None,
                      f"end-to-end headers: the sender's Contact is not replayed ({head!r})")
    finally:
        phone.close()


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        port = h.free_port()
        extra = f"[messages]\nmax_body_size = {MAX_BODY}\nmax_stored_per_user = {QUOTA}\n"
        server = h.Osprey(args.osprey, work, h.udp_and_tcp(port), extra_toml=extra, workers=2)
        with server:
            case_online_fork(port, work, checks)
            case_offline_then_listen(args.osprey, port, checks)
            case_sipsak(port, work, checks)
            case_offline_end_to_end_headers(port, checks)
            store_for_erin(port, checks)
            server.kill9()
        with server:  # restarted on the same data_dir
            deliver_to_erin(args.osprey, port, checks)
            case_bad_input(args.osprey, work, port, checks)
        h.expect_clean_stop(checks, server)
    checks.finish()


if __name__ == "__main__":
    main()
