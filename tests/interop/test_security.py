"""Security on osprey's defaults against a live server: digest authentication with
SIPp and a raw client, no enumeration, no spoofing, asserted identity, toll-fraud policy.

  1. SIPp: 100 users REGISTER through 401 challenges (reg_auth.xml, `[authentication]`): every
     one gets 200 and nobody is banned; an authenticated call (INVITE 407, ACK, INVITE with
     credentials, 200, ACK, BYE) and an authenticated MESSAGE (407, 200) reach bob's SIPp UAS.
  2. Challenges: a REGISTER gets 401 with two WWW-Authenticate, SHA-256 first then MD5, qop
     auth; a request from one of our users 407; MD5 credentials work too; a replayed
     Authorization gets a fresh challenge (stale=true), never a 200. A baresip User-Agent (libre
     gives up on any non-MD5 challenge) gets the MD5 challenge alone, and registers with it.
  3. No enumeration: an unknown user and a wrong password get the same status, the same header
     names and the same challenge shape.
  4. Spoofing: alice authenticated but registering bob's AOR, or sending with From bob: 403.
     A P-Asserted-Identity injected by an outside client never reaches the callee; an
     authenticated user's request reaches it with the user's own identity asserted.
  5. Toll fraud: INVITE to 011972599950423 and 9011972599950423 unauthenticated gets 407 (also
     from another domain: no open relay), with credentials but no permission 403, with a group
     allowing +972 it is routed to the gateway.
  6. Restart: an in-dialog BYE of carol's call to the gateway, sent after osprey restarted with
     the dialog token its Record-Route carried, still goes through unchallenged; the same BYE
     with a forged token gets 407.
"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
import sip_digest as d  # noqa: E402
from test_proxy_calls import Sipp  # noqa: E402

SCENARIOS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scenarios")
USERS = {"alice": "alice-secret", "bob": "bob-secret", "carol": "carol-secret", "dave": "dave-secret"}
LOAD_USERS = 100


def add_accounts(binary, config):
    lines = [f"sip:{user}@127.0.0.1 {password}" for user, password in USERS.items()]
    lines += [f"sip:user{i:07d}@127.0.0.1 secret" for i in range(LOAD_USERS)]
    result = h.run([binary, "user", "import", "--config", config], input="\n".join(lines) + "\n")
    return result


def register(port, user, contact_port, source="127.0.0.1", algorithm="SHA-256", sock=None):
    """REGISTER user with its password from contact_port (or `sock`), Contact at contact_port:
    osprey sends the user's requests there. Returns the final status."""
    client = d.UdpClient(port, source, bind_port=contact_port, sock=sock)
    try:
        uri = f"sip:127.0.0.1:{port}"
        aor = f"sip:{user}@127.0.0.1"
        _, final, _ = client.authenticated(
            "REGISTER", uri, aor, aor, user, USERS[user],
            extra=[f"Contact: <sip:{user}@127.0.0.1:{contact_port}>", "Expires: 600"], algorithm=algorithm)
        return d.status_of(final)
    finally:
        client.close()


class Phone(h.UdpRecorder):
    """A UDP socket registered as `user`: records the requests osprey sends it, answers each 200
    (or `answer` for INVITE)."""

    def __init__(self, port, user, answer=200):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        # Registered from its own socket before it starts answering on it.
        self.status = register(port, user, sock.getsockname()[1], sock=sock) if user else None
        super().__init__(answer=answer, sock=sock, requests_only=True)


def case_sipp(port, work, checks):
    """SIPp 3.6 reads only the first challenge and knows only MD5: this server offers MD5 first."""
    inject = os.path.join(work, "reg_users.csv")
    with open(inject, "w") as f:
        f.write("SEQUENTIAL\n")
        for i in range(LOAD_USERS):
            f.write(f"user{i:07d};[authentication username=user{i:07d} password=secret]\n")
    reg = Sipp(work, "reg_auth", ["-sf", os.path.join(SCENARIOS, "reg_auth.xml"), "-inf", inject,
                                  "-m", str(LOAD_USERS), "-r", "50", f"127.0.0.1:{port}"])
    code = reg.wait(60)
    checks.expect(code == 0, f"SIPp: {LOAD_USERS} authenticated REGISTERs (401, then 200) succeed (exit {code})")
    if code != 0:
        reg.dump()
    bans = h.run([ARGS.osprey, "ban", "list", "--config", CONFIG])
    checks.expect("no bans" in bans.stdout, f"the REGISTER load banned nobody ({bans.stdout.strip()!r})")

    # bob's SIPp UAS answers the call and the MESSAGE; alice authenticates with SIPp's -au/-ap.
    for scenario, uac_file, name in ((os.path.join(SCENARIOS, "call_uas.xml"), "auth_call_uac.xml", "call"),
                                     (os.path.join(SCENARIOS, "msg_uas.xml"), "auth_message_uac.xml", "MESSAGE")):
        uas_port = h.free_port()
        if not checks.expect(register(port, "bob", uas_port) == 200, f"bob registers for the {name}"):
            return
        uas = Sipp(work, f"uas_{name}", ["-sf", scenario, "-p", str(uas_port), "-m", "1"])
        time.sleep(0.3)
        uac = Sipp(work, f"uac_{name}", ["-sf", os.path.join(SCENARIOS, uac_file), "-s", "bob", "-au", "alice",
                                         "-ap", USERS["alice"], "-m", "1", f"127.0.0.1:{port}"])
        code = uac.wait(30)
        uas_code = uas.wait(10)
        checks.expect(code == 0 and uas_code == 0,
                      f"SIPp: alice's authenticated {name} to bob (407, then through) succeeds ({code}, {uas_code})")
        if code != 0 or uas_code != 0:
            uac.dump()
            uas.dump()

        with open(uas.messages, errors="replace") as f:
            log = f.read()
        checks.expect("P-Asserted-Identity: <sip:alice@127.0.0.1>" in log,
                      f"bob's {name} carries alice's asserted identity")


def case_challenges(port, checks):
    client = d.UdpClient(port, "127.0.0.1")
    try:
        aor = "sip:alice@127.0.0.1"
        first = client.exchange(client.request("REGISTER", f"sip:127.0.0.1:{port}", aor, aor))
        offered = d.challenges(first)
        checks.expect(d.status_of(first) == 401, f"REGISTER without credentials: 401 ({d.status_of(first)})")
        checks.expect([c["algorithm"] for c in offered] == ["SHA-256", "MD5"],
                      f"two challenges, SHA-256 first then MD5 ({[c['algorithm'] for c in offered]})")
        checks.expect(all(c.get("qop") == "auth" and c.get("realm") == "127.0.0.1" for c in offered),
                      f"qop=auth, realm 127.0.0.1 ({offered})")
        status = register(port, "alice", 0, algorithm="MD5")
        checks.expect(status == 200, f"REGISTER answering the MD5 challenge: 200 ({status})")

        # The very same credentials again (a captured Authorization replayed).
        uri = f"sip:127.0.0.1:{port}"
        _, final, credentials = client.authenticated("REGISTER", uri, aor, aor, "alice", USERS["alice"],
                                                     extra=["Contact: <sip:alice@127.0.0.1:5999>"])
        checks.expect(d.status_of(final) == 200, f"alice registers with SHA-256: 200 ({d.status_of(final)})")
        replay = client.exchange(client.request("REGISTER", uri, aor, aor, 7, extra=[
            "Contact: <sip:mallory@192.0.2.66:5060>", f"Authorization: {credentials}"]))
        stale = [c.get("stale", "").lower() for c in d.challenges(replay)]
        checks.expect(d.status_of(replay) == 401 and "true" in stale,
                      f"the replayed Authorization: 401 with stale=true, not 200 ({d.status_of(replay)}, {stale})")

        # md5_only_user_agents (default baresip, libre): one challenge, MD5, same realm and qop.
        baresip = ["User-Agent: baresip v3.10.1 (x86_64/linux)"]
        first = client.exchange(client.request("REGISTER", uri, aor, aor, 9, extra=baresip))
        offered = d.challenges(first)
        checks.expect(d.status_of(first) == 401 and [c["algorithm"] for c in offered] == ["MD5"]
                      and offered[0].get("qop") == "auth" and offered[0].get("realm") == "127.0.0.1",
                      f"baresip: 401 with the MD5 challenge alone ({d.status_of(first)}, {offered})")
        first, final, _ = client.authenticated("REGISTER", uri, aor, aor, "alice", USERS["alice"],
                                               extra=[*baresip, "Contact: <sip:alice@127.0.0.1:5999>"],
                                               algorithm="MD5")
        checks.expect(d.status_of(final) == 200, f"baresip registers with MD5: 200 ({d.status_of(final)})")

        invite = client.exchange(client.request("MESSAGE", "sip:bob@127.0.0.1", aor, "sip:bob@127.0.0.1",
                                                body=b"hi"))
        checks.expect(d.status_of(invite) == 407 and len(d.challenges(invite, "Proxy-Authenticate")) == 2,
                      f"a MESSAGE from one of our users: 407 with two Proxy-Authenticate ({d.status_of(invite)})")
    finally:
        client.close()


def challenge_shape(reply):
    names = [line.split(b":", 1)[0].lower() for line in reply.split(b"\r\n")[1:] if b":" in line]
    shape = [sorted(k for k in c if k != "nonce") for c in d.challenges(reply)]
    return d.status_of(reply), names, shape, len(reply.split(b"\r\n\r\n", 1)[1])


def case_no_enumeration(port, checks):
    client = d.UdpClient(port, "127.0.0.5")
    try:
        uri = f"sip:127.0.0.1:{port}"
        _, ghost, _ = client.authenticated("REGISTER", uri, "sip:ghost@127.0.0.1", "sip:ghost@127.0.0.1",
                                           "ghost", "whatever")
        _, wrong, _ = client.authenticated("REGISTER", uri, "sip:alice@127.0.0.1", "sip:alice@127.0.0.1",
                                           "alice", "not-her-password")
        checks.expect(ghost is not None and wrong is not None and d.status_of(ghost) == 401,
                      f"unknown user and wrong password: 401 ({d.status_of(ghost)}, {d.status_of(wrong)})")
        if ghost and wrong:
            checks.expect(challenge_shape(ghost) == challenge_shape(wrong),
                          f"the two answers look the same ({challenge_shape(ghost)} / {challenge_shape(wrong)})")
    finally:
        client.close()


def case_spoofing(port, checks):
    client = d.UdpClient(port, "127.0.0.1")
    dave = Phone(port, "dave")
    try:
        checks.expect(dave.status == 200, f"dave registers ({dave.status})")
        uri = f"sip:127.0.0.1:{port}"
        _, final, _ = client.authenticated("REGISTER", uri, "sip:bob@127.0.0.1", "sip:bob@127.0.0.1", "alice",
                                           USERS["alice"], extra=["Contact: <sip:evil@192.0.2.66>"])
        checks.expect(d.status_of(final) == 403, f"alice registering bob's AOR: 403 ({d.status_of(final)})")
        _, final, _ = client.authenticated("MESSAGE", "sip:dave@127.0.0.1", "sip:bob@127.0.0.1",
                                           "sip:dave@127.0.0.1", "alice", USERS["alice"], body=b"from bob, really")
        checks.expect(d.status_of(final) == 403, f"alice sending with From bob: 403 ({d.status_of(final)})")

        # From another domain (no account possible): reaches dave, without the forged identity.
        forged = ["P-Asserted-Identity: <sip:bob@127.0.0.1>"]
        reply = client.exchange(client.request("MESSAGE", "sip:dave@127.0.0.1", "sip:mallory@evil.example",
                                               "sip:dave@127.0.0.1", extra=forged, body=b"trust me"))
        got = dave.wait_for(1)
        checks.expect(d.status_of(reply) == 200 and len(got) == 1,
                      f"an outside MESSAGE reaches dave ({d.status_of(reply)}, {[g[:200] for g in got]})")
        checks.expect(got and not d.header_lines(got[-1], "P-Asserted-Identity"),
                      "the P-Asserted-Identity injected from outside is removed")
        # Authenticated alice with a forged PAI: dave sees alice asserted.
        _, final, _ = client.authenticated("MESSAGE", "sip:dave@127.0.0.1", "sip:alice@127.0.0.1",
                                           "sip:dave@127.0.0.1", "alice", USERS["alice"], extra=forged,
                                           body=b"hello dave")
        got = dave.wait_for(2)
        asserted = d.header_lines(got[-1], "P-Asserted-Identity") if len(got) == 2 else None
        checks.expect(d.status_of(final) == 200 and asserted == ["<sip:alice@127.0.0.1>"],
                      f"alice's MESSAGE reaches dave asserting alice only ({d.status_of(final)}, {asserted})")
    finally:
        dave.close()
        client.close()


def case_toll_fraud(port, gateway, checks):
    for number in ("011972599950423", "9011972599950423"):
        target = f"sip:{number}@127.0.0.1"
        client = d.UdpClient(port, "127.0.0.1")
        try:
            reply = client.exchange(client.request("INVITE", target, "sip:alice@127.0.0.1", target))
            checks.expect(d.status_of(reply) == 407, f"INVITE {number} unauthenticated: 407 ({d.status_of(reply)})")
            reply = client.exchange(client.request("INVITE", target, "sip:mallory@evil.example", target))
            checks.expect(d.status_of(reply) == 407,
                          f"INVITE {number} from another domain: 407, never relayed ({d.status_of(reply)})")
            _, final, _ = client.authenticated("INVITE", target, "sip:alice@127.0.0.1", target, "alice",
                                               USERS["alice"])
            checks.expect(d.status_of(final) == 403,
                          f"INVITE {number} by alice (no permission): 403 ({d.status_of(final)})")
            before = len(gateway.received)
            _, final, _ = client.authenticated("INVITE", target, "sip:carol@127.0.0.1", target, "carol",
                                               USERS["carol"])
            got = gateway.wait_for(before + 1)
            checks.expect(len(got) == before + 1 and d.status_of(final) == 486,
                          f"INVITE {number} by carol (allowed +972): routed to the gateway, its 486 comes back "
                          f"({len(got) - before}, {d.status_of(final)})")
        finally:
            client.close()
    checks.expect(gateway.received and all(b"011972599950423@" in r for r in gateway.received),
                  "the gateway got only the allowed calls")
    # The other way out: a user of another domain through osprey to another domain.
    client = d.UdpClient(port, "127.0.0.1")
    try:
        reply = client.exchange(client.request("MESSAGE", "sip:someone@example.net", "sip:mallory@evil.example",
                                               "sip:someone@example.net", body=b"relay me"))
        checks.expect(d.status_of(reply) == 407, f"outside to outside: 407, no open relay ({d.status_of(reply)})")
    finally:
        client.close()


def header_value(message, name):
    for line in message.split(b"\r\n"):
        if line.lower().startswith(name.lower().encode() + b":"):
            return line.split(b":", 1)[1].strip().decode()
    return None


def in_dialog_bye(client, call_id, invite, route):
    """The gateway's BYE to carol inside the dialog of her INVITE `invite`, along `route` (the
    Record-Route osprey put on that INVITE: the callee's requests go back toward the caller)."""
    number = header_value(invite, "To").strip("<>").split(">")[0]
    contact = header_value(invite, "Contact").strip("<>").split(">")[0]
    carol_tag = header_value(invite, "From").split("tag=")[-1].split(";")[0]
    bye = client.request("BYE", contact, number, "sip:carol@127.0.0.1", cseq=5, call_id=call_id,
                         extra=[f"Route: {route}"], from_tag="gw-dialog")
    return bye.replace(b"To: <sip:carol@127.0.0.1>", f"To: <sip:carol@127.0.0.1>;tag={carol_tag}".encode())


def case_dialog_after_restart(server, port, gateway, checks):
    invite = next((r for r in reversed(gateway.received) if r.startswith(b"INVITE ")), None)
    checks.expect(invite is not None, "the gateway got carol's INVITE")
    if invite is None:
        return
    call_id, route = header_value(invite, "Call-ID"), header_value(invite, "Record-Route")
    checks.expect(route is not None and "osp-dt=" in route, f"osprey's Record-Route carries a dialog token ({route})")
    if route is None:
        return
    contact = header_value(invite, "Contact").strip("<>").split(">")[0]
    carol_port = int(contact.rsplit(":", 1)[1].split(";")[0])
    server.stop()
    with server:
        client = d.UdpClient(port, "127.0.0.1")
        carol = h.UdpRecorder(sock=h.bound_udp_socket("127.0.0.1", carol_port), answer=200, requests_only=True)
        try:
            reply = client.exchange(in_dialog_bye(client, call_id, invite, route))
            got = carol.wait_for(1)
            checks.expect(len(got) == 1 and got[-1].startswith(b"BYE ") and d.status_of(reply) == 200,
                          f"after a restart, the gateway's in-dialog BYE with the token reaches carol "
                          f"({d.status_of(reply)}, {len(got)} at carol)")
            forged = route.replace("osp-dt=", "osp-dt=x")
            reply = client.exchange(in_dialog_bye(client, call_id, invite, forged))
            checks.expect(d.status_of(reply) == 407, f"the same BYE with a forged token: 407 ({d.status_of(reply)})")
        finally:
            carol.close()
            client.close()


def main():
    global ARGS, CONFIG
    ARGS = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        port = h.free_port()
        gateway = h.UdpRecorder(answer=486, address=h.GATEWAY_ADDRESS, requests_only=True)
        extra = (f'[dialplan]\ngateway = "sip:{gateway.address}:{gateway.port}"\n'
                 '[[dialplan.group]]\nname = "international"\nmembers = ["sip:carol@127.0.0.1"]\n'
                 'allow = ["+972"]\n')
        server = h.Osprey(ARGS.osprey, work, h.udp_and_tcp(port), extra_toml=extra, workers=2, authentication=True)
        imported = add_accounts(ARGS.osprey, server.config)
        checks.expect(imported.returncode == 0, f"osprey user import: {imported.stdout.strip()} {imported.stderr.strip()}")
        sipp_work = os.path.join(work, "sipp")
        os.makedirs(sipp_work)
        sipp_port = h.free_port()
        sipp_server = h.Osprey(ARGS.osprey, sipp_work, h.udp_and_tcp(sipp_port), workers=2, authentication=True,
                               extra_toml='[security]\ndigest_algorithms = ["MD5", "SHA-256"]\n')
        CONFIG = sipp_server.config
        checks.expect(add_accounts(ARGS.osprey, sipp_server.config).returncode == 0, "accounts imported (SIPp server)")
        with sipp_server:
            case_sipp(sipp_port, sipp_work, checks)
        h.expect_clean_stop(checks, sipp_server)
        try:
            with server:
                case_challenges(port, checks)
                case_no_enumeration(port, checks)
                case_spoofing(port, checks)
                case_toll_fraud(port, gateway, checks)
            case_dialog_after_restart(server, port, gateway, checks)
        finally:
            gateway.close()
        h.expect_clean_stop(checks, server)
    checks.finish()


if __name__ == "__main__":
    main()
