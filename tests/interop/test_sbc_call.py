"""SBC mode against a live osprey: SIPp as one of our users calling through osprey's B2BUA to a
SIPp UAS acting as a carrier trunk (`[[trunk]]`, `[[dialplan.route]]`).

  1. One call (sipp/sbc_uac.xml -> sipp/sbc_uas.xml), the trunk with a rule each way (a header
     added to its INVITE, the Subject of its 200 set): 407 then through, 180, 200, ACK, a
     re-INVITE and an UPDATE mid-call in the caller's dialog, BYE. What the trunk received holds
     nothing of the caller's side (its Call-ID, From tag, Via, Contact, port, User-Agent,
     credentials), one Via only (osprey's), the route's strip/prepend; the allow-listed Subject
     and the SDP went through. What the caller received holds nothing of the trunk's (its port,
     Server, To tag).
  2. A BYE at a leg Contact with a forged leg id, and one with the right form but no call,
     get 481; an unauthenticated call to the trunk route gets 407 (access control first), one
     to a number the dial policy does not allow 403, and neither reaches the trunk.
  3. A call from the trunk (its source address) to bob, registered: bob's phone gets an INVITE
     with nothing of the trunk's side (Call-ID, From host, Contact, port, User-Agent); the
     trunk gets the 200 from osprey's leg Contact, ACKs there, sends INFOs in the dialog from
     eight source ports (spread over the workers: each reaches the worker owning the call) and
     hangs up, and bob gets the BYE.
  4. SIGHUP after the trunk's rule changed in the file: the next call carries the new rule.
     SIGHUP after the file gave the trunk inbound credentials: the trunk's next call is challenged
     with 407 for them (the reload rebuilt the trunks' digest accounts and limits too).
  5. 1,000 concurrent calls (sipp/sbc_load_*.xml) set up, held together and torn down: every
     one succeeds on both sides, and then each worker logs that it has no call up, with the
     calls it started adding up to every call made (no dialog left behind).
"""

import os
import re
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
import sip_digest as d  # noqa: E402
from test_proxy_calls import Sipp, received_messages, headers_named  # noqa: E402

ARGS = h.parse_args()
SIPP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sipp")
NUMBER = "+442071234567"
LOAD_CALLS = 1000


def config(uas_port):
    # SIPp 3.6 answers only the first challenge, and only MD5.
    return f"""
[security]
digest_algorithms = ["MD5", "SHA-256"]

[dialplan]
[[dialplan.group]]
name = "uk"
members = ["sip:alice@127.0.0.1"]
allow = ["+44"]

[[dialplan.route]]
prefix = "+"
strip = 1
prepend = "00"
trunks = ["carrier"]

[[trunk]]
name = "carrier"
peer = "sip:127.0.0.1:{uas_port}"
sources = ["127.0.0.1"]

[[trunk.rules_out]]
name = "account on the INVITE"
message = "request"
methods = ["INVITE"]
actions = [{{ action = "add", header = "X-Carrier-Account", value = "4711" }}]

[[trunk.rules_out]]
name = "alice's number, in P-Asserted-Identity and From"
message = "request"
methods = ["INVITE"]
when = [{{ header = "P-Asserted-Identity", part = "user", regex = '^alice$' }}]
actions = [
  {{ action = "set", header = "P-Asserted-Identity", part = "user", value = "+442079460000" }},
  {{ action = "copy", from = "P-Asserted-Identity", from_part = "uri", header = "From", part = "uri" }},
]

[[trunk.rules_in]]
name = "answers say where they came from"
message = "response"
status = ["2xx"]
methods = ["INVITE"]
actions = [{{ action = "set", header = "Subject", part = "value", value = "answered by the carrier" }}]
"""


def sent_messages(sipp):
    """The SIP messages SIPp logged as sent."""
    text = sipp.messages_text()
    parts = re.split(r"\n-{20,}[^\n]*\n", "\n" + text)
    return [part.partition("\n")[2].strip("\n") for part in parts if "message sent" in part.partition("\n")[0]]


def case_one_call(port, work, checks):
    uas_port = PORTS["uas"]
    uac_port = h.free_port()
    uas = Sipp(work, "trunk", ["-sf", os.path.join(SIPP, "sbc_uas.xml"), "-p", str(uas_port), "-m", "1"])
    time.sleep(0.3)
    uac = Sipp(work, "alice", ["-sf", os.path.join(SIPP, "sbc_uac.xml"), "-s", NUMBER, "-au", "alice", "-ap",
                               "alice-secret", "-m", "1", "-p", str(uac_port), f"127.0.0.1:{port}"])
    code = uac.wait(40)
    uas_code = uas.wait(15)
    ok = checks.expect(code == 0 and uas_code == 0,
                       f"SIPp: a call through the SBC with a re-INVITE, an UPDATE and a BYE succeeds on both "
                       f"sides ({code}, {uas_code})")
    if not ok:
        uac.dump()
        uas.dump()
        return
    caller_sent = sent_messages(uac)
    trunk_got = received_messages(uas)
    caller_got = received_messages(uac)
    invite = next((m for m in caller_sent if m.startswith("INVITE") and "Proxy-Authorization" in m), "")
    call_id = (headers_named(invite, "Call-ID") or ["?"])[0]
    from_tag = (re.findall(r"tag=([^;\s>]+)", (headers_named(invite, "From") or [""])[0]) or ["?"])[0]
    everything = "\n".join(trunk_got)
    checks.expect(len(trunk_got) >= 5, f"the trunk received the INVITE, ACKs, re-INVITE, UPDATE, BYE ({len(trunk_got)})")
    for what, text in (("Call-ID", call_id), ("From tag", from_tag), ("address and port", f"127.0.0.1:{uac_port}"),
                       ("User-Agent", "AliceSoftphone"), ("credentials", "Proxy-Authorization"),
                       ("Contact", f"alice@127.0.0.1:{uac_port}")):
        checks.expect(text not in everything, f"the trunk saw no {what} of the caller's side ({text!r})")
    checks.expect(all(len(headers_named(m, "Via")) == 1 for m in trunk_got),
                  "every request the trunk received has one Via: osprey's")
    first = trunk_got[0] if trunk_got else ""
    checks.expect(first.startswith("INVITE sip:00" + NUMBER[1:] + "@"),
                  f"the route stripped '+' and prepended 00 ({first.splitlines()[0] if first else ''!r})")
    checks.expect("Subject: sbc interop" in first and "m=audio 4000" in first,
                  "the allow-listed Subject and the caller's SDP reached the trunk")
    checks.expect("X-Carrier-Account: 4711" in first, "the trunk's rules_out added its header to the INVITE")
    pai = (headers_named(first, "P-Asserted-Identity") or [""])[0]
    from_ = (headers_named(first, "From") or [""])[0]
    checks.expect("+442079460000" in pai and "+442079460000" in from_,
                  f"alice's authenticated identity, asserted and put in From by a PAI -> From rule ({pai!r}, {from_!r})")
    for method in ("INVITE", "UPDATE", "BYE"):
        requests = [m for m in trunk_got if m.startswith(method + " ")]
        checks.expect(bool(requests), f"the trunk received the caller's {method}")
    cseqs = [int(headers_named(m, "CSeq")[0].split()[0]) for m in trunk_got if not m.startswith("ACK")]
    checks.expect(cseqs == sorted(cseqs) and cseqs[:1] == [1],
                  f"the trunk's leg has its own CSeq space from 1 ({cseqs})")
    back = "\n".join(caller_got)
    ok200 = [m for m in caller_got if m.startswith("SIP/2.0 200") and "INVITE" in (headers_named(m, "CSeq") or [""])[0]]
    checks.expect(any("Subject: answered by the carrier" in m for m in ok200),
                  "the trunk's rules_in set the Subject of its 200, which reached the caller")
    for what, text in (("port", f":{uas_port}"), ("Server", "CarrierSwitch"), ("Contact", "sip:carrier@")):
        checks.expect(text not in back, f"the caller saw no {what} of the trunk's side ({text!r})")


def raw_bye(port, request_uri):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(("127.0.0.1", 0))
        local = sock.getsockname()[1]
        bye = (f"BYE {request_uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK{os.urandom(6).hex()}"
               f"\r\nMax-Forwards: 70\r\nFrom: <sip:x@127.0.0.1>;tag=f\r\nTo: <sip:y@127.0.0.1>;tag=t\r\n"
               f"Call-ID: forged-{os.urandom(4).hex()}\r\nCSeq: 9 BYE\r\nContent-Length: 0\r\n\r\n").encode()
        return h.status_of(h.udp_exchange(port, bye, sock=sock))
    finally:
        sock.close()


def case_refusals(port, work, checks):
    forged = "b2b.w0." + "0" * 32
    checks.expect(raw_bye(port, f"sip:{forged}@127.0.0.1:{port}") == 481,
                  "a BYE at a leg Contact of the right form but no call: 481")
    checks.expect(raw_bye(port, f"sip:b2b.w1.{'f' * 32}@127.0.0.1:{port}") == 481,
                  "a BYE naming another worker's leg that does not exist: 481")
    client = d.UdpClient(port, "127.0.0.1")
    try:
        uri = f"sip:{NUMBER}@127.0.0.1"
        first = client.exchange(client.request("INVITE", uri, "sip:alice@127.0.0.1", uri))
        checks.expect(d.status_of(first) == 407, f"a call to the trunk route without credentials: 407 "
                                                 f"({d.status_of(first)})")
        other = "sip:+972599950423@127.0.0.1"
        _, final, _ = client.authenticated("INVITE", other, "sip:alice@127.0.0.1", other, "alice", "alice-secret")
        checks.expect(d.status_of(final) == 403,
                      f"a number alice's dial policy does not allow: 403 ({d.status_of(final)})")
    finally:
        client.close()


def register_phone(port, user, password):
    """A UDP phone registered as `user` (digest), answering 200 to what osprey sends it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    client = d.UdpClient(port, "127.0.0.1", sock=sock)
    aor = f"sip:{user}@127.0.0.1"
    _, final, _ = client.authenticated("REGISTER", f"sip:127.0.0.1:{port}", aor, aor, user, password,
                                       extra=[f"Contact: <sip:{user}@127.0.0.1:{sock.getsockname()[1]}>",
                                              "Expires: 600"], algorithm="MD5")
    return d.status_of(final), h.UdpRecorder(answer=200, sock=sock, requests_only=True)


def case_inbound(port, work, checks):
    status, phone = register_phone(port, "bob", "bob-secret")
    checks.expect(status == 200, f"bob registers ({status})")
    trunk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        trunk.bind(("127.0.0.1", 0))
        trunk.settimeout(3)
        trunk_port = trunk.getsockname()[1]
        head = (f"Via: SIP/2.0/UDP 127.0.0.1:{trunk_port};branch=z9hG4bKtrunk{{branch}};rport\r\n"
                f"Max-Forwards: 70\r\nFrom: <sip:+15551230000@carrier.example>;tag=tr1\r\n")
        invite = (f"INVITE sip:bob@127.0.0.1 SIP/2.0\r\n" + head.format(branch=1) +
                  f"To: <sip:bob@127.0.0.1>\r\nCall-ID: trunk-call-1@carrier.internal\r\nCSeq: 1 INVITE\r\n"
                  f"Contact: <sip:gw@127.0.0.1:{trunk_port}>\r\nUser-Agent: CarrierSwitch/9\r\n"
                  f"Content-Length: 0\r\n\r\n").encode()
        trunk.sendto(invite, ("127.0.0.1", port))
        ok = None
        deadline = time.monotonic() + 5
        while ok is None and time.monotonic() < deadline:
            try:
                reply = trunk.recvfrom(65535)[0]
            except socket.timeout:
                break
            if (h.status_of(reply) or 0) >= 200:
                ok = reply
        if not checks.expect(ok is not None and h.status_of(ok) == 200,
                             f"the trunk's call to bob is answered 200 ({ok and h.status_of(ok)})"):
            return
        got = phone.wait_for(1)
        invite_at_bob = next((m for m in got if m.startswith(b"INVITE ")), b"").decode(errors="replace")
        for what, text in (("Call-ID", "trunk-call-1"), ("host", "carrier.internal"), ("From host", "carrier.example"),
                           ("port", f":{trunk_port}"), ("User-Agent", "CarrierSwitch")):
            checks.expect(invite_at_bob and text not in invite_at_bob,
                          f"bob's INVITE holds no {what} of the trunk's side ({text!r})")
        contact = h.header(ok, "Contact") or ""
        leg = contact.strip("<> ").split(">")[0]
        to = h.header(ok, "To")
        checks.expect(leg.startswith("sip:b2b.w"), f"osprey's 200 names a B2BUA leg ({leg})")
        def in_dialog(method, cseq, branch, sock_port):
            return (f"{method} {leg} SIP/2.0\r\n" + head.format(branch=branch).replace(str(trunk_port), str(sock_port)) +
                    f"To: {to}\r\nCall-ID: trunk-call-1@carrier.internal\r\nCSeq: {cseq} {method}\r\n"
                    f"Content-Length: 0\r\n\r\n").encode()

        trunk.sendto(in_dialog("ACK", 1, 2, trunk_port), ("127.0.0.1", port))
        # The trunk's in-dialog requests from eight source ports: SO_REUSEPORT spreads them over
        # the workers, and each must reach the worker that owns the call (its index is in the
        # leg's Contact) before any transaction is opened elsewhere.
        answered = 0
        for i in range(8):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
                other.bind(("127.0.0.1", 0))
                other.settimeout(3)
                other.sendto(in_dialog("INFO", 2 + i, 10 + i, other.getsockname()[1]), ("127.0.0.1", port))
                try:
                    while True:
                        reply = other.recvfrom(65535)[0]
                        if (h.status_of(reply) or 0) >= 200:
                            answered += h.status_of(reply) == 200
                            break
                except socket.timeout:
                    pass
        checks.expect(answered == 8, f"in-dialog INFOs from 8 source ports all reached the call and bob ({answered})")
        trunk.sendto(in_dialog("BYE", 20, 3, trunk_port), ("127.0.0.1", port))
        bye_ok = None
        deadline = time.monotonic() + 5
        while bye_ok is None and time.monotonic() < deadline:
            try:
                reply = trunk.recvfrom(65535)[0]
            except socket.timeout:
                break
            if h.header(reply, "CSeq") == "20 BYE":
                bye_ok = reply
        checks.expect(bye_ok is not None and h.status_of(bye_ok) == 200, "the trunk's BYE at the leg: 200")
        got = phone.wait_for(10, timeout=5)
        checks.expect(any(m.startswith(b"BYE ") for m in got), "bob got the BYE on his own dialog")
    finally:
        trunk.close()
        phone.close()


def case_reload(port, server, work, checks):
    """SIGHUP: the trunk's rules as the file says now, for new calls."""
    with open(server.config) as f:
        text = f.read()
    with open(server.config, "w") as f:
        f.write(text.replace('value = "4711"', 'value = "4712"'))
    server.process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 5
    while "trunks and routes reloaded" not in server.read_log() and time.monotonic() < deadline:
        time.sleep(0.05)
    uas_port = PORTS["uas"]
    uas = Sipp(work, "trunk_reload", ["-sf", os.path.join(SIPP, "sbc_load_uas.xml"), "-p", str(uas_port), "-m", "1"])
    time.sleep(0.3)
    uac = Sipp(work, "alice_reload", ["-sf", os.path.join(SIPP, "sbc_load_uac.xml"), "-s", NUMBER, "-au", "alice",
                                      "-ap", "alice-secret", "-m", "1", "-d", "100", f"127.0.0.1:{port}"])
    code = uac.wait(30)
    uas_code = uas.wait(10)
    got = "\n".join(received_messages(uas))
    checks.expect(code == 0 and uas_code == 0 and "X-Carrier-Account: 4712" in got,
                  f"after SIGHUP a new call carries the reloaded rule's header ({code}, {uas_code})")


def case_reload_controls(port, server, checks):
    """SIGHUP: the trunks' inbound credentials (and limits) as the file says now."""
    with open(server.config) as f:
        text = f.read()
    with open(server.config, "w") as f:
        f.write(text.replace('sources = ["127.0.0.1"]\n',
                             'sources = ["127.0.0.1"]\n\n[trunk.inbound_auth]\nusername = "carrier"\n'
                             'password = "rotated-secret"\n\n', 1))
    reloads = server.read_log().count("trunks and routes reloaded")
    server.process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 5
    while server.read_log().count("trunks and routes reloaded") <= reloads and time.monotonic() < deadline:
        time.sleep(0.05)
    trunk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        trunk.bind(("127.0.0.1", 0))
        trunk.settimeout(3)
        trunk_port = trunk.getsockname()[1]
        invite = (f"INVITE sip:bob@127.0.0.1 SIP/2.0\r\n"
                  f"Via: SIP/2.0/UDP 127.0.0.1:{trunk_port};branch=z9hG4bKreloaded1;rport\r\n"
                  f"Max-Forwards: 70\r\nFrom: <sip:+15551230000@carrier.example>;tag=tr9\r\n"
                  f"To: <sip:bob@127.0.0.1>\r\nCall-ID: trunk-call-9@carrier.internal\r\nCSeq: 1 INVITE\r\n"
                  f"Contact: <sip:gw@127.0.0.1:{trunk_port}>\r\nContent-Length: 0\r\n\r\n").encode()
        trunk.sendto(invite, ("127.0.0.1", port))
        final = None
        deadline = time.monotonic() + 5
        while final is None and time.monotonic() < deadline:
            try:
                reply = trunk.recvfrom(65535)[0]
            except socket.timeout:
                break
            if (h.status_of(reply) or 0) >= 200:
                final = reply
        status = final and h.status_of(final)
        checks.expect(status == 407 and h.header(final, "Proxy-Authenticate") is not None,
                      f"after SIGHUP the trunk's call is challenged for its new inbound credentials "
                      f"(407, not 403 for an account the reload did not build: {status})")
    finally:
        trunk.close()


def case_load(port, server, work, checks):
    uas_port = PORTS["uas"]
    uas = Sipp(work, "trunk_load", ["-sf", os.path.join(SIPP, "sbc_load_uas.xml"), "-p", str(uas_port),
                                    "-m", str(LOAD_CALLS)])
    time.sleep(0.3)
    started = time.monotonic()
    uac = Sipp(work, "alice_load", ["-sf", os.path.join(SIPP, "sbc_load_uac.xml"), "-s", NUMBER, "-au", "alice",
                                    "-ap", "alice-secret", "-m", str(LOAD_CALLS), "-r", "200", "-l",
                                    str(LOAD_CALLS), "-d", "6000", f"127.0.0.1:{port}"])
    code = uac.wait(60)
    uas_code = uas.wait(20)
    ok = checks.expect(code == 0 and uas_code == 0,
                       f"SIPp: {LOAD_CALLS} concurrent calls through the SBC set up and torn down "
                       f"({code}, {uas_code}, {time.monotonic() - started:.1f} s)")
    if not ok:
        uac.dump()
        uas.dump()
    # Each worker says when it has no call up (at most once a second): the last line of each,
    # added up, must count every call the B2BUA started (the one call of case 1 and the load).
    expected = LOAD_CALLS + 3  # with the calls of cases 1, 3 and the reload
    total = 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        last = {}
        for worker, count in re.findall(r"sbc: worker (\d+): no call up \((\d+) started", server.read_log()):
            last[worker] = int(count)
        total = sum(last.values())
        if total >= expected:
            break
        time.sleep(0.2)
    checks.expect(total == expected,
                  f"every worker reports no call up, after {total} calls started (expected {expected})")


PORTS = {}


def main():
    checks = h.Failures()
    with h.temp_dir() as work:
        port = h.free_port()
        PORTS["uas"] = h.free_port()
        server = h.Osprey(ARGS.osprey, work, h.udp_and_tcp(port), extra_toml=config(PORTS["uas"]), workers=2,
                          authentication=True, domains=("127.0.0.1",))
        h.check(h.import_accounts(ARGS.osprey, server.config, {"sip:alice@127.0.0.1": "alice-secret",
                                                                "sip:bob@127.0.0.1": "bob-secret"}))
        with server:
            case_one_call(port, work, checks)
            case_refusals(port, work, checks)
            case_inbound(port, work, checks)
            case_reload(port, server, work, checks)
            case_reload_controls(port, server, checks)
            case_load(port, server, work, checks)
        h.expect_clean_stop(checks, server)
    checks.finish()


if __name__ == "__main__":
    main()
