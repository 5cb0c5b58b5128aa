"""Store-and-forward quotas against outsiders, on a live osprey with authentication on.

An outsider (From another domain, no credentials: `accept_inbound` lets it reach our users)
sends MESSAGEs to bob, who is offline, until osprey refuses them: one sender is stopped by the
per-sender quota, several by the outsiders' budget. Then alice, an account holder who
authenticates, still gets her MESSAGE to bob stored (202): outsiders cannot fill a box against
the user's own correspondents. A MESSAGE to an AOR with no account is refused (404), stored for
nobody.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
import sip_digest as d  # noqa: E402

USERS = {"alice": "alice-secret", "bob": "bob-secret"}
# Small quotas keep the test quick; the account holders' quota is as small as the outsiders'
# budget, so a server that counted outsiders against it would refuse alice.
QUOTAS = """
[messages]
max_stored_per_user = 6
max_stored_from_outsiders_per_user = 6
max_stored_per_outsider_sender = 3
"""


def outsider_message(client, sender, n):
    request = client.request("MESSAGE", "sip:bob@127.0.0.1", f"sip:{sender}@evil.example", "sip:bob@127.0.0.1",
                             body=f"buy now {n}".encode())
    return d.status_of(client.exchange(request))


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as workdir:
        port = h.free_port()
        server = h.Osprey(args.osprey, workdir, h.udp_and_tcp(port), extra_toml=QUOTAS, authentication=True)
        lines = "".join(f"sip:{user}@127.0.0.1 {password}\n" for user, password in USERS.items())
        result = h.run([args.osprey, "user", "import", "--config", server.config], input=lines)
        checks.expect(result.returncode == 0, f"accounts imported ({result.stderr.strip()})")
        with server:
            client = d.UdpClient(port)
            try:
                statuses = [outsider_message(client, "spammer", n) for n in range(4)]
                checks.expect(statuses == [202, 202, 202, 486],
                              f"one outsider: 3 stored, then 486 (per-sender quota) ({statuses})")
                # More outsiders fill the outsiders' budget (6), then are refused.
                statuses = [outsider_message(client, f"spammer{n}", n) for n in range(6)]
                checks.expect(statuses[:3] == [202, 202, 202] and all(s in (486, 507) for s in statuses[3:]),
                              f"more outsiders: the budget fills, then refused ({statuses})")
                # alice authenticates: an account holder, her MESSAGE is kept all the same.
                _, final, _ = client.authenticated("MESSAGE", "sip:bob@127.0.0.1", "sip:alice@127.0.0.1",
                                                   "sip:bob@127.0.0.1", "alice", USERS["alice"],
                                                   body=b"lunch?")
                checks.expect(d.status_of(final) == 202,
                              f"alice's MESSAGE to bob is stored despite the outsiders (202: {d.status_of(final)})")
                # No account, no mailbox.
                request = client.request("MESSAGE", "sip:nobody@127.0.0.1", "sip:spammer@evil.example",
                                         "sip:nobody@127.0.0.1", body=b"hello?")
                status = d.status_of(client.exchange(request))
                checks.expect(status == 404, f"a MESSAGE to an AOR with no account: 404 ({status})")
            finally:
                client.close()
        h.expect_clean_stop(checks, server)
    checks.finish()


if __name__ == "__main__":
    main()
