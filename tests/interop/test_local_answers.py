"""What osprey answers about itself, against RFC 3261 §8.2 and §11.2, over raw UDP sockets
(osprey on its defaults: authentication on, accounts for alice and bob):

  1. OPTIONS to osprey lists what it implements (§11.2): Allow, Supported: outbound, path (RFC
     5626, RFC 3327; no gruu), an empty Accept (no body formats of its own), Accept-Encoding: identity,
     Accept-Language: en.
  2. A phone's keep-alive through its outbound proxy, `OPTIONS sip:osprey` with
     `Route: <sip:osprey;lr>`, is for osprey (§16.4: only a Record-Route URI osprey wrote makes
     the Request-URI a strict router's): 200, no credentials needed.
  3. A REGISTER with `Require: path` passes the §8.2.2.3 check (401, then 200 with credentials);
     one that also requires an unknown tag gets 420 with `Unsupported` naming that tag only.
  4. An unknown method to osprey gets 501 with Allow even when it requires an unknown extension
     (§8.2.1 comes before §8.2.2); one for a user is the proxy's (§16: forwarded, not 501).
  6. §10.3 step 5: a REGISTER whose AOR is not of the Request-URI's domain gets 404 (alice of
     127.0.0.1 registering at sip:localhost, both domains served), after authentication.
  7. A proxied request that requires an unknown extension is not refused for it (a proxy checks
     Proxy-Require only, §16.3 step 5); an unknown Proxy-Require gets 420 with Unsupported.
"""

import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
import sip_digest as d  # noqa: E402

USERS = {"alice": "alice-secret", "bob": "bob-secret"}
ACCOUNTS = {f"sip:{user}@127.0.0.1": password for user, password in USERS.items()}


def first(reply, name):
    lines = d.header_lines(reply, name)
    return lines[0] if lines else None


def case_options(port, checks):
    client = d.UdpClient(port)
    try:
        for label, uri, extra in (("OPTIONS sip:osprey", f"sip:127.0.0.1:{port}", []),
                                  ("OPTIONS through osprey as outbound proxy", f"sip:127.0.0.1:{port}",
                                   [f"Route: <sip:127.0.0.1:{port};lr>"]),
                                  ("the same, Request-URI without the port", "sip:127.0.0.1",
                                   [f"Route: <sip:127.0.0.1:{port};lr>"])):
            reply = client.exchange(client.request("OPTIONS", uri, "sip:probe@192.0.2.1", uri, extra=extra),
                                    timeout=2.0)
            checks.expect(d.status_of(reply) == 200, f"{label}: 200 ({d.status_of(reply)})")
        reply = client.exchange(client.request("OPTIONS", f"sip:127.0.0.1:{port}", "sip:probe@192.0.2.1",
                                               f"sip:127.0.0.1:{port}"), timeout=2.0)
        checks.expect(first(reply, "Supported") == "outbound, path",
                      f"Supported: outbound, path ({first(reply, 'Supported')})")
        checks.expect(first(reply, "Allow") is not None and "OPTIONS" in first(reply, "Allow"),
                      f"Allow lists OPTIONS ({first(reply, 'Allow')})")
        checks.expect(d.header_lines(reply, "Accept") == [""],
                      f"an empty Accept: no body formats of its own ({d.header_lines(reply, 'Accept')})")
        checks.expect(first(reply, "Accept-Encoding") == "identity",
                      f"Accept-Encoding: identity ({first(reply, 'Accept-Encoding')})")
        checks.expect(first(reply, "Accept-Language") == "en",
                      f"Accept-Language: en ({first(reply, 'Accept-Language')})")
    finally:
        client.close()


def case_register_require_path(port, checks):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    client = d.UdpClient(port, sock=sock)
    try:
        aor = "sip:alice@127.0.0.1"
        contact = [f"Contact: <sip:alice@127.0.0.1:{client.port}>", "Expires: 600", "Supported: path"]
        first_reply, final, _ = client.authenticated("REGISTER", f"sip:127.0.0.1:{port}", aor, aor, "alice",
                                                     USERS["alice"], extra=[*contact, "Require: path"])
        checks.expect(d.status_of(first_reply) == 401 and d.status_of(final) == 200,
                      f"REGISTER with Require: path: 401, then 200 with credentials "
                      f"({d.status_of(first_reply)}, {d.status_of(final)})")
        reply = client.exchange(client.request("REGISTER", f"sip:127.0.0.1:{port}", aor, aor,
                                               extra=[*contact, "Require: path, x-unknown"]), timeout=2.0)
        checks.expect(d.status_of(reply) == 420 and d.header_lines(reply, "Unsupported") == ["x-unknown"],
                      f"REGISTER with Require: path, x-unknown: 420 with Unsupported: x-unknown "
                      f"({d.status_of(reply)}, {d.header_lines(reply, 'Unsupported')})")
        # §10.3 step 5: both domains are served, but alice@127.0.0.1 is no AOR of localhost.
        first_reply, final, _ = client.authenticated("REGISTER", f"sip:localhost:{port}", aor, aor, "alice",
                                                     USERS["alice"], extra=contact)
        checks.expect(d.status_of(first_reply) == 401 and d.status_of(final) == 404,
                      f"REGISTER sip:localhost for {aor}: 401, then 404 with credentials "
                      f"({d.status_of(first_reply)}, {d.status_of(final)})")
    finally:
        sock.close()


def case_unknown_method(port, bob, checks):
    client = d.UdpClient(port)
    try:
        uri = f"sip:127.0.0.1:{port}"
        reply = client.exchange(client.request("FOO", uri, "sip:probe@192.0.2.1", uri, extra=["Require: x-unknown"]),
                                timeout=2.0)
        checks.expect(d.status_of(reply) == 501 and first(reply, "Allow") is not None,
                      f"FOO to osprey with Require: x-unknown: 501 with Allow, before the Require check "
                      f"({d.status_of(reply)}, Allow {first(reply, 'Allow')})")
        # For bob, it is the proxy's: forwarded as it is (his phone answers 200), Require and all.
        before = len(bob.received)
        reply = client.exchange(client.request("FOO", "sip:bob@127.0.0.1", "sip:probe@192.0.2.1",
                                               "sip:bob@127.0.0.1", extra=["Require: x-unknown"]), timeout=3.0)
        got = bob.wait_for(before + 1, timeout=2.0)
        checks.expect(d.status_of(reply) == 200 and len(got) > before and got[before].startswith(b"FOO "),
                      f"FOO to bob with Require: x-unknown is proxied to his phone, not refused "
                      f"({d.status_of(reply)}, {len(got) - before} at bob)")
        reply = client.exchange(client.request("MESSAGE", "sip:bob@127.0.0.1", "sip:probe@192.0.2.1",
                                               "sip:bob@127.0.0.1", extra=["Proxy-Require: x-unknown"],
                                               body=b"hi"), timeout=2.0)
        checks.expect(d.status_of(reply) == 420 and d.header_lines(reply, "Unsupported") == ["x-unknown"],
                      f"MESSAGE to bob with Proxy-Require: x-unknown: 420 with Unsupported "
                      f"({d.status_of(reply)}, {d.header_lines(reply, 'Unsupported')})")
    finally:
        client.close()


def register_bob(port, checks):
    """bob registers from a socket that then answers as his phone."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    contact_port = sock.getsockname()[1]
    aor = "sip:bob@127.0.0.1"
    _, final, _ = d.UdpClient(port, sock=sock).authenticated(
        "REGISTER", f"sip:127.0.0.1:{port}", aor, aor, "bob", USERS["bob"],
        extra=[f"Contact: <sip:bob@127.0.0.1:{contact_port}>", "Expires: 600"])
    checks.expect(d.status_of(final) == 200, f"bob registers: 200 ({d.status_of(final)})")
    return h.UdpRecorder(answer=200, sock=sock, requests_only=True)


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        port = h.free_port()
        server = h.Osprey(args.osprey, work, h.udp_and_tcp(port), authentication=True)
        imported = h.import_accounts(args.osprey, server.config, ACCOUNTS)
        checks.expect(imported.returncode == 0, f"accounts imported ({imported.stderr.strip()})")
        with server:
            case_options(port, checks)
            case_register_require_path(port, checks)
            bob = register_bob(port, checks)
            try:
                case_unknown_method(port, bob, checks)
            finally:
                bob.close()
        h.expect_clean_stop(checks, server)
    checks.finish()


if __name__ == "__main__":
    main()
