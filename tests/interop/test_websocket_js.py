"""SIP over WebSocket (RFC 7118) with the JavaScript SIP libraries web developers use: JsSIP
3.13 and SIP.js 0.21 in Node (tests/interop/js, `ws` as their WebSocket), against a live osprey
with UDP, WS and WSS listeners and digest authentication on, its other settings the defaults.

  1. Registration and MESSAGE, twice, each library once over ws: and once over wss: (the test
     CA trusted through NODE_EXTRA_CA_CERTS): alice (JsSIP) and bob (SIP.js) connect with the
     "sip" subprotocol (RFC 7118 §4, echoed by osprey), REGISTER, are challenged and get 200
     (RFC 3261 §22). alice and bob send each other a MESSAGE (RFC 3428) with a UTF-8 body: 200,
     and the body arrives intact. Each sends one to carol, a UDP phone (a Python socket that
     registered with digest): 200 and carol receives the body. carol sends one to each, with
     digest (407, then 200): they receive it. On quit each unregisters: 200.
  2. Calls with a UDP peer: SIP.js has a session description handler the application supplies;
     here a stub with one fixed audio SDP (Node has no WebRTC). bob (SIP.js over ws:) calls
     dave, a SIPp UAS on UDP that registered with digest: INVITE challenged (407) and retried,
     200, bob's ACK reaches dave (the scenario requires it), bob's BYE gets 200. Then zoe, a
     SIPp UAC of another domain on UDP, calls bob (SIP.js over wss:): bob answers 200, gets
     the ACK and zoe's BYE along osprey's Record-Route (the WebSocket client's Contact is an
     unresolvable .invalid host, RFC 7118 §5, so only the route through osprey reaches it).
     bob (SIP.js over wss:) calls erin (SIPp, UDP) and cancels while it rings: erin gets the
     CANCEL, bob's INVITE gets 487 (RFC 3261 §9, §16.10).
  3. Store-and-forward to a WebSocket user: carol's MESSAGE to bob while he is offline gets 202;
     bob (SIP.js over ws:) registers and receives it. With SIP.js's keep-alive on (a double CRLF
     every second, RFC 5626 §4.4.1) the connection stays open and a new MESSAGE reaches him.
  4. A WebSocket that closes without unregistering: alice's JsSIP is killed; carol's MESSAGE to
     her is stored (202, not a timeout or an error: the Contact is an .invalid host that only the
     closed connection reached) and she gets it when she registers again.
  5. One user on two WebSocket devices (JsSIP over ws:, SIP.js over wss:): a MESSAGE reaches both.
     A call from zoe (SIPp, UDP) to bob on two SIP.js devices: the one over wss: answers, the
     one over ws: rang and gets osprey's CANCEL (200, then 487 for its INVITE).
  6. JsSIP and SIP.js asking for a 30 s registration get 423 (Min-Expires: 60) and register
     again with 60: 200.
  7. osprey restarts under a connected JsSIP (wss:): JsSIP connects again, registers again (200)
     and a MESSAGE reaches it.
  8. Idle clients are pinged, not dropped: with [limits] connection_idle_timeout = 4 (an osprey
     of its own), JsSIP (ws:) and SIP.js (wss:) idle for 10 s keep their WebSocket and get a
     MESSAGE.
"""

import os
import socket
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import js_agents as js  # noqa: E402
import osprey_harness as h  # noqa: E402
import sip_digest as d  # noqa: E402
from test_proxy_calls import SCENARIOS, Sipp, headers_named, received_messages  # noqa: E402

USERS = {"alice": "alice-ws-secret", "bob": "bob-ws-secret", "carol": "carol-udp-secret",
         "dave": "dave-udp-secret", "erin": "erin-udp-secret"}
REGISTER_TIMEOUT = 15.0
EXCHANGE_TIMEOUT = 10.0


def aor(user):
    return f"sip:{user}@127.0.0.1"


def register_udp(port, user, sock):
    """REGISTER `user` with digest from `sock` (its Contact), as a UDP phone does: the final status."""
    client = d.UdpClient(port, sock=sock)
    _, final, _ = client.authenticated("REGISTER", f"sip:127.0.0.1:{port}", aor(user), aor(user), user,
                                       USERS[user], extra=[f"Contact: <sip:{user}@127.0.0.1:{client.port}>",
                                                           "Expires: 600"])
    return d.status_of(final)


def expect_registered(agent, transport, checks):
    library = js.LIBRARIES[agent.library]
    opened = agent.wait_for("ws_open", REGISTER_TIMEOUT)
    checks.expect(opened is not None and opened.get("protocol") == "sip",
                  f"{library} over {transport}: the WebSocket opens with the sip subprotocol ({opened})")
    outcome = agent.first_of(("registered", "registration_failed"), REGISTER_TIMEOUT)
    return checks.expect(outcome is not None and outcome["event"] == "registered" and outcome["status"] == 200,
                         f"{library} {agent.user} REGISTERs over {transport} with digest: 200 ({outcome})")


def expect_message(sender, receiver, body, checks):
    """sender -> receiver (both agents): 200 for the sender, the body at the receiver."""
    label = f"{js.LIBRARIES[sender.library]} {sender.user} -> {js.LIBRARIES[receiver.library]} {receiver.user}"
    message_id = uuid.uuid4().hex[:8]
    sender.send(cmd="message", target=aor(receiver.user), body=body, id=message_id)
    sent = sender.first_of(("message_sent", "message_failed"), EXCHANGE_TIMEOUT)
    checks.expect(sent is not None and sent["event"] == "message_sent" and sent.get("status") == 200,
                  f"MESSAGE {label}: 200 ({sent})")
    received = receiver.wait_for("message_received", EXCHANGE_TIMEOUT, body=body)
    checks.expect(received is not None and received.get("from") == aor(sender.user),
                  f"MESSAGE {label}: the body arrives intact, From {aor(sender.user)} ({received})")
    # The next first_of() must see the next answer, not this one.
    with sender.lock:
        sender.events = [e for e in sender.events if e.get("event") not in ("message_sent", "message_failed")]


def expect_message_to_udp(sender, carol, body, checks):
    label = f"{js.LIBRARIES[sender.library]} {sender.user} -> carol (UDP)"
    before = len(carol.received)
    sender.send(cmd="message", target=aor("carol"), body=body)
    sent = sender.first_of(("message_sent", "message_failed"), EXCHANGE_TIMEOUT)
    checks.expect(sent is not None and sent["event"] == "message_sent" and sent.get("status") == 200,
                  f"MESSAGE {label}: 200 ({sent})")
    with sender.lock:
        sender.events = [e for e in sender.events if e.get("event") not in ("message_sent", "message_failed")]
    arrived = [m for m in carol.wait_for(before + 1, EXCHANGE_TIMEOUT)[before:] if m.startswith(b"MESSAGE ")]
    checks.expect(any(m.split(b"\r\n\r\n", 1)[-1] == body.encode() for m in arrived),
                  f"MESSAGE {label}: carol's UDP socket receives the body ({arrived[:1]})")


def expect_message_from_udp(port, receiver, body, checks):
    label = f"carol (UDP) -> {js.LIBRARIES[receiver.library]} {receiver.user}"
    statuses = send_from_carol(port, receiver.user, body)
    checks.expect(statuses == (407, 200), f"MESSAGE {label}: 407, then 200 with digest ({statuses})")
    received = receiver.wait_for("message_received", EXCHANGE_TIMEOUT, body=body)
    checks.expect(received is not None and received.get("from") == aor("carol"),
                  f"MESSAGE {label}: the body arrives intact ({received})")


def stop_agent(agent, checks):
    code = agent.stop()
    unregistered = agent.named("unregistered")
    checks.expect(code == 0 and unregistered and unregistered[0].get("status") == 200,
                  f"{js.LIBRARIES[agent.library]} {agent.user} unregisters (200) and exits 0 "
                  f"(exit {code}, {unregistered})")


def case_register_and_message(work, urls, ca_file, port, carol, jssip_transport, sipjs_transport, checks):
    failed_before = len(checks.failed)
    alice = js.Agent(work, f"alice_{jssip_transport}", "jssip", urls[jssip_transport], aor("alice"), USERS["alice"],
                     ca_file)
    bob = js.Agent(work, f"bob_{sipjs_transport}", "sipjs", urls[sipjs_transport], aor("bob"), USERS["bob"], ca_file)
    try:
        ready = expect_registered(alice, jssip_transport, checks)
        ready = expect_registered(bob, sipjs_transport, checks) and ready
        if ready:
            tag = f"{jssip_transport}/{sipjs_transport}"
            expect_message(alice, bob, f"héllo bob ✓ from JsSIP over {tag}", checks)
            expect_message(bob, alice, f"héllo alice ✓ from SIP.js over {tag}", checks)
            expect_message_to_udp(alice, carol, f"JsSIP to UDP carol over {tag}", checks)
            expect_message_to_udp(bob, carol, f"SIP.js to UDP carol over {tag}", checks)
            expect_message_from_udp(port, alice, f"UDP carol to JsSIP over {tag} ✓", checks)
            expect_message_from_udp(port, bob, f"UDP carol to SIP.js over {tag} ✓", checks)
    finally:
        stop_agent(alice, checks)
        stop_agent(bob, checks)
        if len(checks.failed) > failed_before:
            alice.dump()
            bob.dump()


def send_from_carol(port, user, body, timeout=3.0):
    """carol's MESSAGE to `user` over UDP with digest: (first status, final status), the final
    one awaited up to `timeout` seconds."""
    client = d.UdpClient(port)
    try:
        uri, call_id, tag = aor(user), uuid.uuid4().hex, uuid.uuid4().hex[:8]
        extra = ["Contact: <sip:carol@127.0.0.1>"]
        first = client.exchange(client.request("MESSAGE", uri, aor("carol"), uri, 1, call_id, extra, body.encode(),
                                               from_tag=tag))
        offered = [c for c in d.challenges(first, "Proxy-Authenticate") if c["algorithm"].upper() == "SHA-256"]
        if d.status_of(first) != 407 or not offered:
            return d.status_of(first), None
        credentials = d.authorization(offered[0], "MESSAGE", uri, "carol", USERS["carol"])
        final = client.exchange(client.request("MESSAGE", uri, aor("carol"), uri, 2, call_id,
                                               [*extra, f"Proxy-Authorization: {credentials}"], body.encode(),
                                               from_tag=tag), timeout=timeout)
        return d.status_of(first), d.status_of(final)
    finally:
        client.close()


def case_flow_gone(work, urls, ca_file, port, checks):
    """alice's JsSIP dies without unregistering: her binding names a WebSocket connection that is
    closed, at a Contact no one can reach (an .invalid host, RFC 7118 §5). A MESSAGE for her is
    stored (202) within [messages] delivery_timeout, not lost, and reaches her when she
    registers again over a new connection."""
    failed_before = len(checks.failed)
    first = js.Agent(work, "alice_killed", "jssip", urls["ws"], aor("alice"), USERS["alice"], ca_file)
    second = None
    try:
        if not expect_registered(first, "ws", checks):
            return
        first.process.kill()
        first.stop()
        time.sleep(0.5)
        body = "for alice, whose connection closed ✓"
        started = time.monotonic()
        statuses = send_from_carol(port, "alice", body, timeout=15.0)
        elapsed = time.monotonic() - started
        checks.expect(statuses == (407, 202),
                      f"MESSAGE carol -> alice, whose WebSocket closed: 407, then 202 stored ({statuses}, "
                      f"{elapsed:.1f} s)")
        second = js.Agent(work, "alice_again", "jssip", urls["ws"], aor("alice"), USERS["alice"], ca_file)
        if expect_registered(second, "ws", checks):
            received = second.wait_for("message_received", EXCHANGE_TIMEOUT, body=body)
            checks.expect(received is not None and received.get("from") == aor("carol"),
                          f"alice registers again over a new connection and gets it ({received})")
    finally:
        if second is not None:
            second.stop()
        if len(checks.failed) > failed_before:
            first.dump()
            if second is not None:
                second.dump()


def case_offline_and_keepalive(work, urls, ca_file, port, checks):
    """A MESSAGE stored for bob while he is offline reaches his SIP.js over ws: when he registers
    (store-and-forward to a WebSocket flow); then SIP.js's double-CRLF keep-alives (RFC 5626
    §4.4.1) leave the connection open and bob reachable."""
    stored_body = "stored for bob while offline ✓"
    statuses = send_from_carol(port, "bob", stored_body)
    checks.expect(statuses == (407, 202), f"MESSAGE carol -> bob while bob is offline: 407, then 202 ({statuses})")
    bob = js.Agent(work, "bob_keepalive", "sipjs", urls["ws"], aor("bob"), USERS["bob"], ca_file,
                   extra_args=["--keepalive", "1"])
    failed_before = len(checks.failed)
    try:
        if not expect_registered(bob, "ws", checks):
            return
        received = bob.wait_for("message_received", EXCHANGE_TIMEOUT, body=stored_body)
        checks.expect(received is not None and received.get("from") == aor("carol"),
                      f"SIP.js bob gets the stored MESSAGE once registered over ws ({received})")
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and bob.frames("out").count("") < 3:
            time.sleep(0.1)
        keepalives = bob.frames("out").count("")
        checks.expect(keepalives >= 3, f"SIP.js sent double-CRLF keep-alives ({keepalives})")
        closed = bob.named("ws_close") + bob.named("disconnected")
        checks.expect(not closed, f"the WebSocket stays open through the keep-alives ({closed})")
        body = "after the keep-alives ✓"
        statuses = send_from_carol(port, "bob", body)
        checks.expect(statuses == (407, 200), f"MESSAGE carol -> bob after the keep-alives: 407, then 200 ({statuses})")
        checks.expect(bob.wait_for("message_received", EXCHANGE_TIMEOUT, body=body) is not None,
                      "bob receives it over the same connection")
        pongs = bob.frames("in").count("")
        print(f"info  osprey answered {pongs} of {keepalives} keep-alives with a CRLF pong", flush=True)
    finally:
        bob.stop()
        if len(checks.failed) > failed_before:
            bob.dump()


def expect_websocket_record_route(uas, listener_port, transport, checks):
    """The INVITE the UDP side received carries two Record-Route values (RFC 5658 §3.2), the one
    for the WebSocket side naming osprey's listener with transport=ws: RFC 7118 §5.2 defines
    "ws" as the SIP URI transport value for WebSocket, secure or not (the "wss" of its §8.2
    example is erratum 5937); JsSIP and SIP.js write transport=ws in their own URIs over wss too."""
    invites = [m for m in received_messages(uas) if m.startswith("INVITE ")]
    routes = headers_named(invites[0], "Record-Route") if invites else []
    ours = [r for r in routes if f"127.0.0.1:{listener_port};" in r]
    checks.expect(len(routes) == 2 and len(ours) == 1 and ";transport=ws;" in ours[0],
                  f"over {transport}: the WebSocket side's Record-Route names the listener with transport=ws "
                  f"({routes})")


def case_call_to_udp(work, urls, ca_file, port, checks):
    """bob (SIP.js over ws:) calls dave (SIPp UAS on UDP): 200, ACK, BYE."""
    uas_port = h.free_port()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(("127.0.0.1", uas_port))
        status = register_udp(port, "dave", sock)
    finally:
        sock.close()
    if not checks.expect(status == 200, f"dave (SIPp on UDP) registers with digest: 200 ({status})"):
        return
    uas = Sipp(work, "dave_uas", ["-sf", os.path.join(SCENARIOS, "call_uas_ack.xml"), "-p", str(uas_port),
                                  "-m", "1"])
    bob = js.Agent(work, "bob_caller", "sipjs", urls["ws"], aor("bob"), USERS["bob"], ca_file)
    failed_before = len(checks.failed)
    try:
        if not expect_registered(bob, "ws", checks):
            return
        bob.send(cmd="call", target=aor("dave"))
        answer = bob.first_of(("call_accepted", "call_failed"), EXCHANGE_TIMEOUT)
        checks.expect(answer is not None and answer["event"] == "call_accepted" and answer.get("status") == 200,
                      f"SIP.js bob (ws) calls dave (SIPp, UDP): 200 ({answer})")
        invites = [f for f in bob.frames("out") if f.startswith("INVITE ")]
        checks.expect(len(invites) >= 2, f"bob's INVITE was challenged and sent again with credentials ({invites})")
        # The ACK of the 407 goes to the Request-URI; the ACK of the 200 to dave's Contact (RFC 3261
        # §13.2.2.4), through osprey's Record-Route.
        ack_of_200 = f"ACK sip:bob@127.0.0.1:{uas_port} SIP/2.0"
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and ack_of_200 not in bob.frames("out"):
            time.sleep(0.05)
        checks.expect(ack_of_200 in bob.frames("out"),
                      f"SIP.js acknowledges the 200 ({[f for f in bob.frames('out') if f.startswith('ACK')]})")
        time.sleep(0.3)
        bob.send(cmd="hangup")
        bye = bob.first_of(("bye_answered", "bye_failed", "hangup_refused"), EXCHANGE_TIMEOUT)
        checks.expect(bye is not None and bye["event"] == "bye_answered" and bye.get("status") == 200,
                      f"bob's BYE to dave: 200 ({bye})")
        code = uas.wait(15)
        checks.expect(code == 0, f"dave's SIPp UAS saw INVITE, sent 180 and 200, got the ACK and the BYE (exit {code})")
        expect_websocket_record_route(uas, int(urls["ws"].rsplit(":", 1)[1]), "ws", checks)
    finally:
        uas.kill()
        bob.stop()
        if len(checks.failed) > failed_before:
            uas.dump()
            bob.dump()


def case_cancel_to_udp(work, urls, ca_file, port, checks):
    """bob (SIP.js over wss:) calls erin (SIPp on UDP, rings and never answers) and hangs up
    while it rings: erin gets the CANCEL (200, 487 for the INVITE), bob gets 487. (erin, not
    dave: dave's binding from the call before is a SIPp that is gone, and a branch that never
    answered holds the 487 back until its Timer B, RFC 3261 §16.7 step 5, §17.1.1.2.)"""
    uas_port = h.free_port()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(("127.0.0.1", uas_port))
        status = register_udp(port, "erin", sock)
    finally:
        sock.close()
    if not checks.expect(status == 200, f"erin (SIPp on UDP) registers with digest: 200 ({status})"):
        return
    uas = Sipp(work, "erin_cancel_uas", ["-sf", os.path.join(SCENARIOS, "cancel_uas.xml"), "-p", str(uas_port),
                                         "-m", "1"])
    bob = js.Agent(work, "bob_canceller", "sipjs", urls["wss"], aor("bob"), USERS["bob"], ca_file)
    failed_before = len(checks.failed)
    try:
        if not expect_registered(bob, "wss", checks):
            return
        bob.send(cmd="call", target=aor("erin"))
        ringing = bob.wait_for("call_progress", EXCHANGE_TIMEOUT, status=180)
        checks.expect(ringing is not None, f"SIP.js bob (wss) calling erin (SIPp, UDP): 180 ({ringing})")
        bob.send(cmd="cancel")
        outcome = bob.first_of(("call_failed", "call_accepted", "cancel_refused", "cancel_failed"), EXCHANGE_TIMEOUT)
        checks.expect(outcome is not None and outcome["event"] == "call_failed" and outcome.get("status") == 487,
                      f"bob cancels while it rings: 487 for his INVITE ({outcome})")
        cancels = [f for f in bob.frames("out") if f.startswith("CANCEL ")]
        checks.expect(len(cancels) == 1, f"SIP.js sent one CANCEL ({cancels})")
        code = uas.wait(15)
        checks.expect(code == 0, f"erin's SIPp UAS got the CANCEL, answered 200 and 487, got the ACK (exit {code})")
        expect_websocket_record_route(uas, int(urls["wss"].rsplit(":", 1)[1]), "wss", checks)
    finally:
        uas.kill()
        bob.stop()
        if len(checks.failed) > failed_before:
            uas.dump()
            bob.dump()


def case_two_devices(work, urls, ca_file, port, checks):
    """alice on two devices at once, JsSIP over ws: and SIP.js over wss: (a web app open in two
    browsers): carol's MESSAGE to alice reaches both (RFC 3261 §16.6 forking), carol gets one 200."""
    first = js.Agent(work, "alice_device1", "jssip", urls["ws"], aor("alice"), USERS["alice"], ca_file)
    second = js.Agent(work, "alice_device2", "sipjs", urls["wss"], aor("alice"), USERS["alice"], ca_file)
    failed_before = len(checks.failed)
    try:
        ready = expect_registered(first, "ws", checks)
        ready = expect_registered(second, "wss", checks) and ready
        if not ready:
            return
        body = "to both of alice's browsers ✓"
        statuses = send_from_carol(port, "alice", body)
        checks.expect(statuses == (407, 200), f"MESSAGE carol -> alice on two devices: 407, then 200 ({statuses})")
        for device in (first, second):
            received = device.wait_for("message_received", EXCHANGE_TIMEOUT, body=body)
            checks.expect(received is not None,
                          f"alice's {js.LIBRARIES[device.library]} device receives it ({received})")
    finally:
        stop_agent(first, checks)
        stop_agent(second, checks)
        if len(checks.failed) > failed_before:
            first.dump()
            second.dump()


def case_call_from_udp(work, urls, ca_file, port, checks):
    """zoe@example.net (SIPp UAC on UDP) calls bob (SIP.js over wss:): 200, ACK, BYE."""
    bob = js.Agent(work, "bob_callee", "sipjs", urls["wss"], aor("bob"), USERS["bob"], ca_file)
    failed_before = len(checks.failed)
    uac = None
    try:
        if not expect_registered(bob, "wss", checks):
            return
        uac = Sipp(work, "zoe_uac", ["-sf", os.path.join(SCENARIOS, "inbound_call_uac.xml"), "-s", "bob",
                                     "-m", "1", f"127.0.0.1:{port}"])
        code = uac.wait(20)
        checks.expect(code == 0, f"zoe (SIPp, UDP, another domain) calls bob (SIP.js, wss): 200, ACK, BYE 200 "
                                 f"(exit {code})")
        incoming = bob.wait_for("call_incoming", 1)
        checks.expect(incoming is not None and incoming.get("from") == "sip:zoe@example.net",
                      f"SIP.js bob gets zoe's INVITE ({incoming})")
        checks.expect(bob.wait_for("call_ack", 3) is not None, "SIP.js bob gets the ACK for its 200")
        checks.expect(bob.wait_for("bye_received", 3) is not None, "SIP.js bob gets zoe's BYE")
        answered = [f for f in bob.frames("out") if f.startswith("SIP/2.0 200")]
        checks.expect(len(answered) >= 2, f"bob answered the INVITE and the BYE with 200 ({answered})")
    finally:
        if uac is not None:
            uac.kill()
        bob.stop()
        if len(checks.failed) > failed_before:
            if uac is not None:
                uac.dump()
            bob.dump()


def case_forked_call_from_udp(work, urls, ca_file, port, checks):
    """zoe (SIPp, UDP) calls bob, who has two WebSocket devices (both SIP.js): the one over ws:
    rings (180) and never answers, the one over wss: answers after half a second. zoe gets the
    200 and completes the call; osprey CANCELs the ringing device (RFC 3261 §16.7 step 10),
    which answers the CANCEL 200 and its INVITE 487."""
    ringing = js.Agent(work, "bob_ringing", "sipjs", urls["ws"], aor("bob"), USERS["bob"], ca_file,
                       extra_args=["--answer", "ring"])
    answering = js.Agent(work, "bob_answering", "sipjs", urls["wss"], aor("bob"), USERS["bob"], ca_file,
                         extra_args=["--answer-delay", "500"])
    failed_before = len(checks.failed)
    uac = None
    try:
        ready = expect_registered(ringing, "ws", checks)
        ready = expect_registered(answering, "wss", checks) and ready
        if not ready:
            return
        uac = Sipp(work, "zoe_forked_uac", ["-sf", os.path.join(SCENARIOS, "inbound_call_uac.xml"), "-s", "bob",
                                            "-m", "1", f"127.0.0.1:{port}"])
        code = uac.wait(20)
        checks.expect(code == 0, f"zoe (SIPp, UDP) calls bob on two WebSocket devices: 200, ACK, BYE 200 "
                                 f"(exit {code})")
        checks.expect(answering.wait_for("call_ack", 3) is not None and
                      answering.wait_for("bye_received", 3) is not None,
                      "the answering device (wss) gets the ACK and the BYE")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(f.startswith("SIP/2.0 487") for f in ringing.frames("out")):
            time.sleep(0.05)
        got = [f for f in ringing.frames("in") if not f.startswith("SIP/2.0")]
        sent = [f for f in ringing.frames("out") if f.startswith("SIP/2.0")]
        checks.expect(any(f.startswith("CANCEL ") for f in got) and "SIP/2.0 180 Ringing" in sent and
                      "SIP/2.0 487 Request Terminated" in sent,
                      f"the ringing device (ws) rang, got osprey's CANCEL and ended its INVITE with 487 "
                      f"(got {got}, sent {sent})")
    finally:
        if uac is not None:
            uac.kill()
        ringing.stop()
        answering.stop()
        if len(checks.failed) > failed_before:
            if uac is not None:
                uac.dump()
            ringing.dump()
            answering.dump()


def case_interval_too_brief(work, urls, ca_file, checks):
    """Web applications ask for short registrations to notice closed tabs: JsSIP (ws:) and SIP.js
    (wss:) asking for 30 s get 423 with Min-Expires: 60 (osprey's min_expires, RFC 3261 §10.3
    step 7) and register again with 60: 200."""
    agents = [js.Agent(work, "alice_brief", "jssip", urls["ws"], aor("alice"), USERS["alice"], ca_file,
                       extra_args=["--expires", "30"]),
              js.Agent(work, "bob_brief", "sipjs", urls["wss"], aor("bob"), USERS["bob"], ca_file,
                       extra_args=["--expires", "30"])]
    failed_before = len(checks.failed)
    try:
        for agent, transport in zip(agents, ("ws", "wss")):
            if not expect_registered(agent, transport, checks):
                continue
            statuses = [f for f in agent.frames("in") if f.startswith("SIP/2.0 ")]
            brief = "SIP/2.0 423 Interval Too Brief"
            checks.expect(brief in statuses and "SIP/2.0 200 OK" in statuses[statuses.index(brief):],
                          f"{js.LIBRARIES[agent.library]} asked for 30 s: 423 first, then 200 ({statuses})")
    finally:
        for agent in agents:
            stop_agent(agent, checks)
        if len(checks.failed) > failed_before:
            for agent in agents:
                agent.dump()


def case_restart(server, work, urls, ca_file, port, checks):
    """osprey restarts under a connected JsSIP (over wss:): JsSIP sees the connection close,
    connects again once osprey is back, registers again, and a MESSAGE reaches it."""
    alice = js.Agent(work, "alice_restart", "jssip", urls["wss"], aor("alice"), USERS["alice"], ca_file,
                     extra_args=["--recovery", "1"])
    failed_before = len(checks.failed)
    try:
        if not expect_registered(alice, "wss", checks):
            return
        code = server.stop()
        checks.expect(code == 0, f"osprey stops cleanly with a WebSocket client connected (exit {code})")
        checks.expect(alice.wait_for("disconnected", 5) is not None, "JsSIP sees its connection close")
        with server:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and len(alice.named("registered")) < 2:
                time.sleep(0.1)
            again = alice.named("registered")[1:]
            checks.expect(again and again[0].get("status") == 200,
                          f"JsSIP connects again to the restarted osprey and registers: 200 ({again})")
            body = "after osprey restarted ✓"
            statuses = send_from_carol(port, "alice", body)
            checks.expect(statuses == (407, 200),
                          f"MESSAGE carol -> alice after the restart: 407, then 200 ({statuses})")
            checks.expect(alice.wait_for("message_received", EXCHANGE_TIMEOUT, body=body) is not None,
                          "alice receives it")
            alice.stop()
    finally:
        alice.stop()
        if len(checks.failed) > failed_before:
            alice.dump()


IDLE_TIMEOUT = 4  # [limits] connection_idle_timeout of the idle case's osprey


def case_idle_pings(binary, work, certs, checks):
    """A WebSocket client that sends nothing is pinged at half of [limits] connection_idle_timeout
    and kept while it answers (RFC 6455 §5.5.2; the libraries' WebSocket answers pings by
    itself): with a 4 s timeout, JsSIP (ws:) and SIP.js (wss:) idle for 10 s keep their
    connection and still get a MESSAGE. Its own osprey, so no other case runs on that timeout."""
    idle_work = os.path.join(work, "idle")
    os.makedirs(idle_work)
    port, ws_port, wss_port = h.free_port(), h.free_port(), h.free_port()
    listens = h.udp_and_tcp(port) + [
        {"transport": "ws", "address": "127.0.0.1", "port": ws_port},
        {"transport": "wss", "address": "127.0.0.1", "port": wss_port,
         "certificate": certs["cert"], "private_key": certs["key"]}]
    server = h.Osprey(binary, idle_work, listens, authentication=True,
                      extra_toml=f"[limits]\nconnection_idle_timeout = {IDLE_TIMEOUT}\n")
    h.check(h.import_accounts(binary, server.config, {aor(u): p for u, p in USERS.items()}))
    failed_before = len(checks.failed)
    with server:
        agents = [js.Agent(idle_work, "alice_idle", "jssip", f"ws://127.0.0.1:{ws_port}", aor("alice"),
                           USERS["alice"], certs["ca_cert"]),
                  js.Agent(idle_work, "bob_idle", "sipjs", f"wss://127.0.0.1:{wss_port}", aor("bob"),
                           USERS["bob"], certs["ca_cert"])]
        try:
            ready = all([expect_registered(agent, transport, checks)
                         for agent, transport in zip(agents, ("ws", "wss"))])
            if ready:
                time.sleep(2.5 * IDLE_TIMEOUT)
                for agent in agents:
                    library = js.LIBRARIES[agent.library]
                    closed = agent.named("ws_close") + agent.named("disconnected")
                    checks.expect(not closed, f"{library} idle for {2.5 * IDLE_TIMEOUT:.0f} s with a {IDLE_TIMEOUT} s "
                                              f"idle timeout: its WebSocket stays open ({closed})")
                    body = f"after {library} sat idle ✓"
                    statuses = send_from_carol(port, agent.user, body)
                    received = agent.wait_for("message_received", EXCHANGE_TIMEOUT, body=body)
                    checks.expect(statuses == (407, 200) and received is not None,
                                  f"and a MESSAGE still reaches {library} ({statuses}, {received})")
        finally:
            for agent in agents:
                agent.stop()
            if len(checks.failed) > failed_before:
                for agent in agents:
                    agent.dump()
    checks.expect(server.exit_code == 0, f"the idle case's osprey stopped cleanly (exit {server.exit_code})")


def main():
    args = h.parse_args()
    checks = h.Failures()
    missing = js.missing_prerequisites()
    if missing:
        checks.expect(False, missing)
        checks.finish()
    started = time.monotonic()
    with h.temp_dir() as work:
        certs = h.make_certificates(os.path.join(work, "pki"))
        port, ws_port, wss_port = h.free_port(), h.free_port(), h.free_port()
        listens = h.udp_and_tcp(port) + [
            {"transport": "ws", "address": "127.0.0.1", "port": ws_port},
            {"transport": "wss", "address": "127.0.0.1", "port": wss_port,
             "certificate": certs["cert"], "private_key": certs["key"]}]
        urls = {"ws": f"ws://127.0.0.1:{ws_port}", "wss": f"wss://127.0.0.1:{wss_port}"}
        server = h.Osprey(args.osprey, work, listens, authentication=True)
        imported = h.import_accounts(args.osprey, server.config, {aor(u): p for u, p in USERS.items()})
        checks.expect(imported.returncode == 0,
                      f"osprey user import ({imported.stdout.strip()} {imported.stderr.strip()})")
        with server:
            carol_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            carol_sock.bind(("127.0.0.1", 0))
            status = register_udp(port, "carol", carol_sock)
            checks.expect(status == 200, f"carol (UDP) registers with digest: 200 ({status})")
            carol = h.UdpRecorder(answer=200, sock=carol_sock, requests_only=True)
            try:
                case_register_and_message(work, urls, certs["ca_cert"], port, carol, "ws", "wss", checks)
                case_register_and_message(work, urls, certs["ca_cert"], port, carol, "wss", "ws", checks)
            finally:
                carol.close()
            case_offline_and_keepalive(work, urls, certs["ca_cert"], port, checks)
            case_flow_gone(work, urls, certs["ca_cert"], port, checks)
            case_two_devices(work, urls, certs["ca_cert"], port, checks)
            case_call_to_udp(work, urls, certs["ca_cert"], port, checks)
            case_cancel_to_udp(work, urls, certs["ca_cert"], port, checks)
            case_call_from_udp(work, urls, certs["ca_cert"], port, checks)
            case_forked_call_from_udp(work, urls, certs["ca_cert"], port, checks)
            case_interval_too_brief(work, urls, certs["ca_cert"], checks)
            case_restart(server, work, urls, certs["ca_cert"], port, checks)
        h.expect_clean_stop(checks, server)
        case_idle_pings(args.osprey, work, certs, checks)
    print(f"took {time.monotonic() - started:.1f} s", flush=True)
    checks.finish()


if __name__ == "__main__":
    main()
