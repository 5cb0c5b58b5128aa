"""An intruder without an account against osprey's defaults (authentication on, domains 127.0.0.1
and localhost, a gateway for telephone numbers): every way in below must stay shut.

  1. REGISTER hijack: unauthenticated REGISTERs for alice whose Request-URI names a served domain
     in another spelling (another port, sips:) get 401, never 200; so does `Contact: *` with
     Expires 0 (it would remove her bindings). To spellings of alice's AOR (leading zeros,
     upper case with a trailing dot, IPv4-mapped IPv6) get 401 as well. An AOR has one
     canonical form (host lower-cased, trailing dot dropped, IPv4-mapped IPv6 as IPv4, IPv4
     octets read as decimal, default port dropped): alice, authenticated, registering To
     sip:alice@LOCALHOST. is then reached at sip:alice@localhost, and registering To
     sip:alice@127.0.0.01 or sip:alice@[::ffff:127.0.0.1]:5060 at sip:alice@127.0.0.1. Her
     sips: AOR is another AOR of her account (RFC 3261 §19.1.4): To sips:alice without
     credentials gets 401, alice with her password is refused it over UDP (403: sips: requires
     TLS, RFC 5630 §4.1), and neither alice nor bob, authenticated, may register the other's
     sips: AOR (403 for the account, before any question of transport).
  2. Toll fraud through Route: an INVITE or MESSAGE whose Request-URI is osprey's Record-Route
     URI (with the osp-dt mark, forged) and whose Route carries a number (strict-routing form,
     RFC 3261 §16.4, or a loose Route after osprey's own) gets 407 without credentials, 403 for
     alice (her dial policy has no international numbers), and the gateway receives nothing.
     Without the mark the Request-URI is osprey itself, not a strict router's: osprey answers
     404 (nobody lives at its address) and the gateway receives nothing either.
  4. From spellings: an outsider sending as alice in another spelling of her AOR (sips: too) gets 407 and
     bob receives nothing.
  5. Identity headers from outside (RFC 3325 §5): Remote-Party-ID, P-Preferred-Identity and
     P-Asserted-Identity are removed before an outsider's MESSAGE or INVITE reaches bob.
  6. Stray 2xx: a forged 200 to an INVITE whose top Via names osprey and whose second Via names
     a victim is not relayed (RFC 6026 §7.3).
(Case 3, dialog tokens, is test_intruder_dialogs.py.)
"""

import os
import socket
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
import sip_digest as d  # noqa: E402
from test_security import USERS, Phone  # noqa: E402

OUTSIDER = "sip:mallory@evil.example"
NUMBER = "+4490012345"  # international: alice's dial policy refuses it
ACCOUNTS = {"sip:alice@127.0.0.1": USERS["alice"], "sip:bob@127.0.0.1": USERS["bob"],
            "sip:alice@localhost": USERS["alice"]}


def case_register_hijack(port, checks):
    client = d.UdpClient(port)
    try:
        aor = "sip:alice@127.0.0.1"
        hijack = ["Contact: <sip:mallory@192.0.2.66:5060>", "Expires: 600"]
        for target in ("sip:127.0.0.1:9999", "sip:localhost:1", "sips:127.0.0.1:9"):
            for extra in (hijack, ["Contact: *", "Expires: 0"]):
                reply = client.exchange(client.request("REGISTER", target, aor, aor, extra=extra), timeout=2.0)
                checks.expect(d.status_of(reply) == 401,
                              f"unauthenticated REGISTER {target} ({extra[0]}) for alice: 401 ({d.status_of(reply)})")
        for to in ("sip:alice@127.0.0.01", "sip:alice@LOCALHOST.", "sip:alice@[::ffff:127.0.0.1]",
                   "sips:alice@127.0.0.1"):
            reply = client.exchange(client.request("REGISTER", f"sip:127.0.0.1:{port}", to, to, extra=hijack),
                                    timeout=2.0)
            checks.expect(d.status_of(reply) == 401, f"unauthenticated REGISTER To {to}: 401 ({d.status_of(reply)})")
    finally:
        client.close()


def register_spelled(port, spelled, checks):
    """alice, with her password, registers To `spelled` (another spelling of one of her AORs)
    from a new socket; returns that socket as a phone answering 200."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    contact_port = sock.getsockname()[1]
    _, final, _ = d.UdpClient(port, sock=sock).authenticated(
        "REGISTER", f"sip:127.0.0.1:{port}", spelled, spelled, "alice", USERS["alice"],
        extra=[f"Contact: <sip:alice@127.0.0.1:{contact_port}>", "Expires: 600"])
    checks.expect(d.status_of(final) == 200,
                  f"alice registers To {spelled} with credentials: 200 ({d.status_of(final)})")
    return h.UdpRecorder(answer=200, sock=sock, requests_only=True)


def case_canonical_aor(port, checks):
    """alice registers To other spellings of her AORs; an outsider's MESSAGE to the canonical AOR
    must find every one of those bindings (a MESSAGE forks to all of them, RFC 3261 §16.5)."""
    for aor, spellings in (("sip:alice@localhost", ["sip:alice@LOCALHOST."]),
                           ("sip:alice@127.0.0.1", ["sip:alice@127.0.0.01", "sip:alice@[::ffff:127.0.0.1]:5060"])):
        phones = [register_spelled(port, spelled, checks) for spelled in spellings]
        client = d.UdpClient(port)
        try:
            reply = client.exchange(client.request("MESSAGE", aor, OUTSIDER, aor, body=b"found you"))
            for spelled, phone in zip(spellings, phones):
                got = phone.wait_for(1, timeout=2.0)
                checks.expect(d.status_of(reply) == 200 and len(got) == 1 and got[0].startswith(b"MESSAGE "),
                              f"a MESSAGE to {aor} reaches the binding registered as {spelled} "
                              f"({d.status_of(reply)}, {len(got)} received)")
        finally:
            client.close()
            for phone in phones:
                phone.close()


def case_sips_ownership(port, checks):
    """sips:alice is another AOR than sip:alice (RFC 3261 §19.1.4) of the same account: alice
    with her password may register it, but not over UDP; neither alice nor bob may register the
    other's sips: AOR, and that refusal is about the account, not the transport."""
    client = d.UdpClient(port)

    def reason(message):
        return (message or b"").split(b"\r\n", 1)[0].decode(errors="replace")

    try:
        for user, to, refusal in (("alice", "sips:alice@127.0.0.1", "TLS"), ("alice", "sips:bob@127.0.0.1", None),
                                  ("bob", "sips:alice@127.0.0.1", None)):
            _, final, _ = client.authenticated(
                "REGISTER", f"sip:127.0.0.1:{port}", to, to, user, USERS[user],
                extra=["Contact: <sip:mallory@192.0.2.66:5060>", "Expires: 600"])
            about_tls = "TLS" in reason(final)
            checks.expect(d.status_of(final) == 403 and about_tls == (refusal == "TLS"),
                          f"{user}, authenticated, registers To {to} over UDP: 403 "
                          f"{'sips: requires TLS' if refusal else 'for the account'} ({reason(final)})")
    finally:
        client.close()


def case_toll_fraud_by_route(port, gateway, checks):
    # A forged Record-Route mark: it makes osprey treat the previous hop as a strict router
    # (RFC 3261 §16.4) and gains nothing else: the number is judged.
    via_osprey = f"sip:127.0.0.1:{port};osp-dt=forged"
    unmarked = f"sip:127.0.0.1:{port}"
    forms = {
        "strict Route": f"Route: <sip:{NUMBER}@127.0.0.1:{port}>",
        "loose Route": f"Route: <sip:127.0.0.1:{port};lr>, <sip:{NUMBER}@127.0.0.1:{port}>",
    }
    to = f"sip:{NUMBER}@127.0.0.1"
    client = d.UdpClient(port)
    try:
        for method in ("INVITE", "MESSAGE"):
            body = b"relay me" if method == "MESSAGE" else b""
            for form, route in forms.items():
                for sender in (OUTSIDER, "sip:alice@127.0.0.1"):
                    before = len(gateway.received)
                    reply = client.exchange(client.request(method, via_osprey, sender, to, extra=[route], body=body),
                                            timeout=2.0)
                    checks.expect(d.status_of(reply) == 407 and len(gateway.received) == before,
                                  f"{method} {via_osprey} with {form} to {NUMBER} from {sender} without credentials: "
                                  f"407, nothing at the gateway ({d.status_of(reply)}, "
                                  f"{len(gateway.received) - before} at the gateway)")
                before = len(gateway.received)
                _, final, _ = client.authenticated(method, via_osprey, "sip:alice@127.0.0.1", to, "alice",
                                                   USERS["alice"], extra=[route], body=body)
                checks.expect(d.status_of(final) == 403 and len(gateway.received) == before,
                              f"{method} with {form} to {NUMBER} by alice (no international): 403, nothing at the "
                              f"gateway ({d.status_of(final)}, {len(gateway.received) - before} at the gateway)")
            for form, route in forms.items():
                before = len(gateway.received)
                reply = client.exchange(client.request(method, unmarked, OUTSIDER, to, extra=[route], body=body),
                                        timeout=2.0)
                checks.expect(d.status_of(reply) == 404 and len(gateway.received) == before,
                              f"{method} {unmarked} (no Record-Route mark) with {form} to {NUMBER}: for osprey "
                              f"itself, 404, nothing at the gateway ({d.status_of(reply)}, "
                              f"{len(gateway.received) - before} at the gateway)")
        late = gateway.arrivals_since(0, wait=1.0)
        checks.expect(not late, f"a second later, still nothing at the gateway ({[r[:80] for r in late]})")
    finally:
        client.close()


def case_from_spellings(port, bob, checks):
    client = d.UdpClient(port)
    try:
        for sender in ("sip:alice@127.0.0.1:5060", "sip:alice@127.0.0.01", "sip:alice@localhost.",
                       "sip:alice@[::ffff:127.0.0.1]", "sip:alice@LOCALHOST", "sips:alice@127.0.0.1"):
            before = len(bob.received)
            reply = client.exchange(client.request("MESSAGE", "sip:bob@127.0.0.1", sender, "sip:bob@127.0.0.1",
                                                   body=b"it is me, alice"), timeout=2.0)
            checks.expect(d.status_of(reply) == 407 and len(bob.received) == before,
                          f"an outsider's MESSAGE From {sender}: 407, bob receives nothing "
                          f"({d.status_of(reply)}, {len(bob.received) - before} at bob)")
    finally:
        client.close()


def case_identity_headers(port, bob, checks):
    forged = ["Remote-Party-ID: <sip:alice@127.0.0.1>;party=calling;screen=yes",
              "P-Preferred-Identity: <sip:alice@127.0.0.1>", "P-Asserted-Identity: <sip:alice@127.0.0.1>"]
    client = d.UdpClient(port)
    try:
        for method in ("MESSAGE", "INVITE"):
            before = len(bob.received)
            reply = client.exchange(client.request(method, "sip:bob@127.0.0.1", OUTSIDER, "sip:bob@127.0.0.1",
                                                   extra=forged, body=b"trust me" if method == "MESSAGE" else b""))
            got = bob.wait_for(before + 1, timeout=2.0)
            checks.expect(d.status_of(reply) == 200 and len(got) == before + 1,
                          f"an outsider's {method} reaches bob ({d.status_of(reply)}, {len(got) - before} at bob)")
            if len(got) > before:
                left = [name for name in ("Remote-Party-ID", "P-Preferred-Identity", "P-Asserted-Identity")
                        if d.header_lines(got[before], name)]
                checks.expect(not left, f"the outsider's {method} reaches bob without forged identities (left: {left})")
    finally:
        client.close()


def case_stray_2xx(port, checks):
    """RFC 6026 §7.3 (Proxy Considerations) changed RFC 3261 §16.7: a transaction-stateful proxy
    compares a response with its transactions and MUST NOT forward it when none matches; §16.7's
    stateless forwarding of unmatched responses made any proxy a reflector for forged 2xx."""
    victim = h.UdpRecorder()
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sender.bind(("127.0.0.1", 0))
        forged = "\r\n".join([
            "SIP/2.0 200 OK",
            f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{uuid.uuid4().hex}",
            f"Via: SIP/2.0/UDP 127.0.0.1:{victim.port};branch=z9hG4bK{uuid.uuid4().hex}",
            "From: <sip:mallory@evil.example>;tag=forged",
            "To: <sip:bob@127.0.0.1>;tag=forged-too",
            f"Call-ID: {uuid.uuid4().hex}",
            "CSeq: 1 INVITE",
            f"Contact: <sip:bob@127.0.0.1:{victim.port}>",
            "Content-Length: 0", "", ""]).encode()
        sender.sendto(forged, ("127.0.0.1", port))
        got = victim.arrivals_since(0, wait=1.5)
        checks.expect(not got, f"a forged 2xx matching no transaction is not relayed to its second Via "
                               f"({[g[:60] for g in got]})")
    finally:
        sender.close()
        victim.close()


def with_intruder_server(binary, work, checks, cases, bob_answer=200, extra_toml=""):
    """osprey on its defaults (authentication on) with ACCOUNTS, a gateway that answers calls 486
    and bob registered (his phone answers INVITE with bob_answer); runs cases(port, bob,
    gateway), then stops everything. Raises RuntimeError if osprey does not start."""
    port = h.free_port()
    gateway = h.UdpRecorder(answer=486, address=h.GATEWAY_ADDRESS)
    extra = f'[dialplan]\ngateway = "sip:{gateway.address}:{gateway.port}"\n' + extra_toml
    server = h.Osprey(binary, work, h.udp_and_tcp(port), extra_toml=extra, authentication=True)
    imported = h.import_accounts(binary, server.config, ACCOUNTS)
    checks.expect(imported.returncode == 0, f"osprey user import: {imported.stdout.strip()} {imported.stderr.strip()}")
    try:
        with server:
            bob = Phone(port, "bob", answer=bob_answer)
            try:
                checks.expect(bob.status == 200, f"bob registers ({bob.status})")
                cases(port, bob, gateway)
            finally:
                bob.close()
    finally:
        gateway.close()
    h.expect_clean_stop(checks, server)


def main():
    args = h.parse_args()
    checks = h.Failures()

    def cases(port, bob, gateway):
        case_register_hijack(port, checks)
        case_canonical_aor(port, checks)
        case_sips_ownership(port, checks)
        case_toll_fraud_by_route(port, gateway, checks)
        case_from_spellings(port, bob, checks)
        case_identity_headers(port, bob, checks)
        case_stray_2xx(port, checks)

    with h.temp_dir() as work:
        with_intruder_server(args.osprey, work, checks, cases)
    checks.finish()


if __name__ == "__main__":
    main()
