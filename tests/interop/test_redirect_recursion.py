"""3xx recursion (RFC 3261 §16.5, §16.7 step 4) and calls to another domain, against a live
osprey with authentication on (its defaults: recurse_on_redirect = true):

  1. alice, authenticated, calls sip:carol@127.0.0.2:<port> (not a served domain: it leaves
     through osprey). That UA answers 302 with a Contact at 127.0.0.3; osprey follows it, and
     alice gets the final answer of the Contact (486), never the 302. The same INVITE without
     credentials gets 407 and reaches nobody: no open relay.
  2. A 302 whose Contact dials an international number alice's dial policy refuses is not
     followed: alice gets the 302, the Contact's UA receives nothing.
"""

import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
import sip_digest as d  # noqa: E402

ALICE = ("sip:alice@127.0.0.1", "alice-secret")


class Redirector:
    """A UA on `address` answering every INVITE 302 with the Contact `contact()` gives (it may
    name a socket opened after this one); records the INVITEs."""

    def __init__(self, address, contact):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, 0))
        self.address, self.port = self.sock.getsockname()
        self.contact = contact
        self.invites = []
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(0.2)
        while self.running:
            try:
                data, peer = self.sock.recvfrom(65535)
            except OSError:
                continue
            if not data.startswith(b"INVITE "):
                continue
            self.invites.append(data)
            reply = h.response_to(data, 302, "Moved Temporarily", to_tag="moved")
            reply = reply.replace(b"Content-Length: 0", f"Contact: <{self.contact()}>\r\nContent-Length: 0".encode())
            self.sock.sendto(reply, peer)

    def close(self):
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


def invites_in(recorder):
    return [m for m in recorder.received if m.startswith(b"INVITE ")]


def case_followed(port, checks):
    carol = h.UdpRecorder(address="127.0.0.3", answer=486, requests_only=True)
    redirector = Redirector("127.0.0.2", lambda: f"sip:carol@127.0.0.3:{carol.port}")
    client = d.UdpClient(port)
    try:
        target = f"sip:carol@127.0.0.2:{redirector.port}"
        first, final, _ = client.authenticated("INVITE", target, ALICE[0], target, "alice", ALICE[1])
        checks.expect(d.status_of(first) == 407, f"alice's INVITE to another domain is challenged ({d.status_of(first)})")
        checks.expect(d.status_of(final) == 486,
                      f"alice gets the Contact's answer, not the 302 ({d.status_of(final)})")
        checks.expect(len(redirector.invites) >= 1, "the INVITE reached the other domain's UA")
        reached = invites_in(carol)
        checks.expect(len(reached) >= 1, "the 302's Contact got the INVITE")
        if reached:
            checks.expect(reached[0].startswith(f"INVITE sip:carol@127.0.0.3:{carol.port} ".encode()),
                          f"its Request-URI is the Contact: {reached[0][:60]!r}")
        # Without credentials: challenged, nothing relayed.
        before = len(redirector.invites)
        reply = client.exchange(client.request("INVITE", target, ALICE[0], target))
        checks.expect(d.status_of(reply) == 407, f"the same INVITE without credentials: 407 ({d.status_of(reply)})")
        time.sleep(0.5)
        checks.expect(len(redirector.invites) == before, "nothing reached the other domain without credentials")
    finally:
        client.close()
        redirector.close()
        carol.close()


def case_dial_policy(port, checks):
    premium = h.UdpRecorder(address="127.0.0.3", answer=200, requests_only=True)
    redirector = Redirector("127.0.0.2", lambda: f"sip:+4490012345@127.0.0.3:{premium.port}")
    client = d.UdpClient(port)
    try:
        target = f"sip:dave@127.0.0.2:{redirector.port}"
        _, final, _ = client.authenticated("INVITE", target, ALICE[0], target, "alice", ALICE[1])
        checks.expect(d.status_of(final) == 302,
                      f"a 302 to a number the dial policy refuses goes back to alice ({d.status_of(final)})")
        checks.expect(not premium.arrivals_since(0, wait=0.5), "the refused number received nothing")
    finally:
        client.close()
        redirector.close()
        premium.close()


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        port = h.free_port()
        server = h.Osprey(args.osprey, work, h.udp_and_tcp(port), workers=2, authentication=True)
        imported = h.import_accounts(args.osprey, server.config, {ALICE[0]: ALICE[1]})
        checks.expect(imported.returncode == 0, f"osprey user import: {imported.stdout} {imported.stderr}")
        with server:
            case_followed(port, checks)
            case_dial_policy(port, checks)
        h.expect_clean_stop(checks, server)
    checks.finish()


if __name__ == "__main__":
    main()
