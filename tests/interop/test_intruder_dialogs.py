"""An intruder without an account turns a dialog with one of osprey's users into a skeleton key.

osprey lets requests inside a dialog it admitted through unchallenged when their Route carries
the dialog token of its Record-Route (RFC 3261 §12.1.1, §16.6 step 4). Anyone may call bob from
another domain (accept_inbound), so anyone can get such a token: mallory@evil.example INVITEs
bob, whose phone only rings (180), and reads osprey's Record-Route from the 180. Then, inside
that dialog (same Call-ID and tags, that Route):
  a. a BYE or a MESSAGE whose Request-URI is some other host (a listening socket on 127.0.0.5,
     or on another port of 127.0.0.1) must not reach it, nor a BYE in the strict-routing form
     (osprey's Record-Route URI as the Request-URI, that host as the last Route, §16.4): the
     token admits the dialog's peer, not a free relay (osprey answers 403 or 407, or drops it);
  b. a re-INVITE to sip:+4490012345@127.0.0.1 or tel:+4490012345 must not reach the gateway;
  c. an ACK whose Request-URI is the foreign socket must not reach it;
  control: an INFO and then a BYE to bob's contact, with the token, still reach bob.
  e. the gateway is its host: a call from the gateway's address but another port than the
     configured one reaches bob, whose side of that dialog then sends an in-dialog INVITE for a
     premium number to that port (the token binds it as the caller's place): 403/407, nothing
     arrives there. The dialog's own requests to the caller's Contact still do.
  d. the token expires: with [security] dialog_token_lifetime = 2 (seconds, renewed by the
     dialog's traffic), the same BYE to bob sent 3 s after the dialog's last request is no
     longer admitted as in-dialog: 407, and bob receives nothing.
"""

import os
import socket
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
import sip_digest as d  # noqa: E402
from test_intruder_routing import NUMBER, OUTSIDER, with_intruder_server  # noqa: E402

BOB = "sip:bob@127.0.0.1"


class StolenDialog:
    """The outsider's side of an early dialog with bob through osprey: an INVITE, and what its
    180 told (To tag, Record-Route); then requests inside that dialog."""

    def __init__(self, port):
        self.client = d.UdpClient(port)
        self.port = port
        self.call_id = uuid.uuid4().hex
        self.from_tag = uuid.uuid4().hex[:8]
        self.cseq = 1
        self.to = self.route = None
        invite = self.client.request("INVITE", f"sip:bob@127.0.0.1:{port}", OUTSIDER, BOB, 1, self.call_id,
                                     from_tag=self.from_tag)
        self.ringing = self._first_180(invite)
        if self.ringing is not None:
            self.to = d.header_lines(self.ringing, "To")[0]
            self.route = (d.header_lines(self.ringing, "Record-Route") or [None])[0]

    def _first_180(self, invite, timeout=3.0):
        self.client.sock.sendto(invite, ("127.0.0.1", self.port))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.client.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                reply = self.client.sock.recvfrom(65535)[0]
            except socket.timeout:
                return None
            if d.status_of(reply) == 180 and d.header_lines(reply, "Call-ID")[:1] == [self.call_id]:
                return reply
        return None

    def request(self, method, uri, body=b"", route=None):
        """`method` to `uri` inside the dialog, along the stolen Route or `route` (an ACK keeps the
        INVITE's CSeq number, §13.2.2.4)."""
        if method != "ACK":
            self.cseq += 1
        text = self.client.request(method, uri, OUTSIDER, BOB, 1 if method == "ACK" else self.cseq, self.call_id,
                                   extra=[f"Route: {route or self.route}"], body=body, from_tag=self.from_tag)
        return text.replace(f"To: <{BOB}>".encode(), f"To: {self.to}".encode(), 1)

    def send(self, method, uri, body=b"", timeout=1.5, route=None):
        """Sends an in-dialog request; returns its final response (None if osprey dropped it)."""
        if method == "ACK":
            self.client.sock.sendto(self.request(method, uri, route=route), ("127.0.0.1", self.port))
            return None
        return self.client.exchange(self.request(method, uri, body, route), timeout=timeout)

    def strict(self, target):
        """The Request-URI and Route of a request to `target` as a strict router sends it
        (RFC 3261 §16.4): osprey's Record-Route URI, with its token, as the Request-URI, the
        destination as the last Route."""
        return self.route.strip().lstrip("<").split(">", 1)[0], f"<{target}>"

    def close(self):
        self.client.close()


def steal_dialog(port, bob, checks):
    """mallory calls bob; the dialog once bob's phone rings, or None."""
    before = len(bob.received)
    dialog = StolenDialog(port)
    got = bob.wait_for(before + 1, timeout=2.0)
    forwarded = got[before] if len(got) > before else b""
    checks.expect(b"osp-dt=" in forwarded and forwarded.startswith(b"INVITE "),
                  f"the outsider's INVITE reaches bob with osprey's dialog token in its Record-Route "
                  f"({d.header_lines(forwarded, 'Record-Route')})")
    if not checks.expect(dialog.route is not None and "osp-dt=" in dialog.route,
                         f"the outsider reads the token from the 180's Record-Route ({dialog.route})"):
        dialog.close()
        return None
    return dialog


def reaches_bob(dialog, bob, method, checks, what):
    before = len(bob.received)
    reply = dialog.send(method, f"sip:bob@127.0.0.1:{bob.port}", timeout=3.0)
    got = bob.wait_for(before + 1, timeout=2.0)
    checks.expect(d.status_of(reply) == 200 and len(got) == before + 1 and got[before].startswith(method.encode()),
                  f"{what}: the outsider's in-dialog {method} to bob's contact, with the token, reaches bob "
                  f"({d.status_of(reply)}, {len(got) - before} at bob)")


def case_skeleton_key(port, bob, gateway, checks):
    dialog = steal_dialog(port, bob, checks)
    if dialog is None:
        return
    far, near = h.UdpRecorder("127.0.0.5", answer=200), h.UdpRecorder("127.0.0.1", answer=200)
    try:
        reaches_bob(dialog, bob, "INFO", checks, "control")
        for foreign in (far, near):
            target = f"sip:victim@{foreign.address}:{foreign.port}"
            for method, form in (("BYE", "loose"), ("MESSAGE", "loose"), ("BYE", "strict")):
                before = len(foreign.received)
                uri, route = dialog.strict(target) if form == "strict" else (target, None)
                reply = dialog.send(method, uri, body=b"relayed" if method == "MESSAGE" else b"", route=route)
                got = foreign.arrivals_since(before, wait=0.2)
                checks.expect(not got and d.status_of(reply) in (None, 403, 407),
                              f"in-dialog {method} with the token to {target} ({form} routing): refused (403/407) "
                              f"or dropped, nothing arrives there ({d.status_of(reply)}, {len(got)} arrived)")
        for target in (f"sip:{NUMBER}@127.0.0.1:{port}", f"tel:{NUMBER}"):
            before = len(gateway.received)
            reply = dialog.send("INVITE", target)
            got = gateway.arrivals_since(before, wait=0.2)
            checks.expect(not got, f"in-dialog re-INVITE with the token to {target}: nothing at the gateway "
                                   f"({d.status_of(reply)}, {len(got)} at the gateway)")
        before = len(far.received)
        dialog.send("ACK", f"sip:victim@{far.address}:{far.port}")
        got = far.arrivals_since(before, wait=1.0)
        checks.expect(not got, f"in-dialog ACK with the token to the foreign socket: nothing arrives ({len(got)})")
        late = far.received + near.received + gateway.received
        checks.expect(not late, f"nothing reached the foreign sockets or the gateway ({[g[:60] for g in late]})")
        reaches_bob(dialog, bob, "BYE", checks, "control")
    finally:
        far.close()
        near.close()
        dialog.close()


def case_gateway_other_port(port, bob, checks):
    """The gateway's host at a port of its own choosing calls bob; bob's side of the dialog tries
    to dial a number there."""
    caller = h.UdpRecorder(h.GATEWAY_ADDRESS, answer=200)
    client = d.UdpClient(port)
    try:
        call_id, gateway_tag, contact = uuid.uuid4().hex, "gw" + uuid.uuid4().hex[:6], f"sip:+4930123@{caller.address}:{caller.port}"
        invite = (f"INVITE sip:bob@127.0.0.1:{port} SIP/2.0\r\n"
                  f"Via: SIP/2.0/UDP {caller.address}:{caller.port};branch=z9hG4bK{uuid.uuid4().hex[:16]};rport\r\n"
                  f"Max-Forwards: 70\r\nFrom: <sip:+4930123@{caller.address}>;tag={gateway_tag}\r\n"
                  f"To: <{BOB}>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContact: <{contact}>\r\n"
                  "Content-Length: 0\r\n\r\n").encode()
        before = len(bob.received)
        caller.sock.sendto(invite, ("127.0.0.1", port))
        got = bob.wait_for(before + 1, timeout=3.0)
        arrived = [m for m in got[before:] if m.startswith(b"INVITE ")]
        routes = d.header_lines(arrived[0], "Record-Route") if arrived else []
        if not checks.expect(bool(routes) and "osp-dt=" in routes[0],
                             f"a call from the gateway's host at port {caller.port} reaches bob with osprey's "
                             f"Record-Route ({routes})"):
            return
        for uri in (f"sip:{NUMBER}@{caller.address}:{caller.port}", contact):
            before = len(caller.received)
            request = client.request("INVITE", uri, BOB, f"sip:+4930123@{caller.address}", 1, call_id,
                                     extra=[f"Route: {routes[0]}"], from_tag="bobside").replace(
                f"To: <sip:+4930123@{caller.address}>".encode(),
                f"To: <sip:+4930123@{caller.address}>;tag={gateway_tag}".encode())
            reply = client.exchange(request, timeout=2.0)
            requests = [m for m in caller.arrivals_since(before, wait=0.3) if m.startswith(b"INVITE ")]
            if uri == contact:
                checks.expect(d.status_of(reply) == 200 and len(requests) == 1,
                              f"bob's side re-INVITEs the caller's own Contact: it arrives ({d.status_of(reply)}, "
                              f"{len(requests)} there)")
            else:
                checks.expect(d.status_of(reply) in (403, 407) and not requests,
                              f"bob's side INVITEs {uri}, another number at the gateway's host: 403/407, nothing "
                              f"arrives there ({d.status_of(reply)}, {len(requests)} there)")
    finally:
        client.close()
        caller.close()


def case_token_expiry(port, bob, checks):
    """On a server whose dialog tokens live 2 s."""
    dialog = steal_dialog(port, bob, checks)
    if dialog is None:
        return
    try:
        reaches_bob(dialog, bob, "INFO", checks, "within the token's lifetime")
        time.sleep(3.0)  # no traffic in the dialog for longer than the token lives
        before = len(bob.received)
        reply = dialog.send("BYE", f"sip:bob@127.0.0.1:{bob.port}", timeout=2.0)
        got = bob.arrivals_since(before, wait=0.5)
        checks.expect(d.status_of(reply) == 407 and not got,
                      f"3 s later the token has expired: the in-dialog BYE to bob gets 407, bob receives "
                      f"nothing ({d.status_of(reply)}, {len(got)} at bob)")
    finally:
        dialog.close()


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        with_intruder_server(args.osprey, work, checks, bob_answer=180,
                             cases=lambda port, bob, gateway: (case_skeleton_key(port, bob, gateway, checks),
                                                               case_gateway_other_port(port, bob, checks)))
        expiring = os.path.join(work, "expiring")
        os.makedirs(expiring)
        try:
            with_intruder_server(args.osprey, expiring, checks, bob_answer=180,
                                 extra_toml="[security]\ndialog_token_lifetime = 2\n",
                                 cases=lambda port, bob, gateway: case_token_expiry(port, bob, checks))
        except RuntimeError as error:
            checks.expect(False, f"osprey starts with [security] dialog_token_lifetime = 2 ({str(error)[-200:]})")
    checks.finish()


if __name__ == "__main__":
    main()
