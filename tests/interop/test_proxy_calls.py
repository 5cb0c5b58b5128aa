"""Call cases through osprey's stateful proxy (RFC 3261 §16) with SIPp as the real peers.

Each callee registers with a raw REGISTER sent from the port its SIPp UAS then listens on
(osprey sends requests for a binding to the address its REGISTER came from):
  1. CANCEL before answer: UAC INVITE, 180, CANCEL; 200 for the CANCEL, 487 for the INVITE, ACK;
     the UAS gets the CANCEL (answers 200 and 487) and the proxy's own ACK (§16.10, §17.1.1.3).
  2. Busy: UAS 486; the UAC's ACK stops at osprey, which ACKs downstream itself (one Via, the
     branch of the INVITE it sent).
  3. Forking: two contacts at equal q (two UAS); A answers 200 after a pause, B rings and is
     cancelled (200 + 487, then ACK); the UAC gets exactly one 200.
  4. INVITE to an AOR without binding: 480 (404 accepted).
  5. Max-Forwards: 0 gives 483; a registration whose Path leads back to osprey makes a loop,
     which gives 482 (§16.3 step 4).
  6. MESSAGE to a registered user through osprey: 200, and no Record-Route on it (§16.6 step 4
     record-routes dialog-creating requests only).
"""

import os
import re
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402

SCENARIOS = os.path.join(h.HERE, "scenarios")
CALLS = 5


def scenario(name):
    return os.path.join(SCENARIOS, name)


def register(port, user, uas_port, checks, extra_headers=(), contact=None):
    """REGISTER user from uas_port (osprey reaches the binding at that source address)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(("127.0.0.1", uas_port))
        contact = contact or f"<sip:{user}@127.0.0.1:{uas_port}>"
        request = h.register_request(port, user, contact, 600, local_port=uas_port, extra_headers=extra_headers)
        reply = h.udp_exchange(port, request, sock=sock)
        return checks.expect(h.status_of(reply) == 200,
                             f"REGISTER {user} ({contact}) from port {uas_port}: 200 ({h.status_of(reply)})")
    finally:
        sock.close()


def ack_for(invite, final):
    """The ACK for a non-2xx final response to a raw INVITE (§17.1.1.3)."""
    text = invite.decode()
    first = text.split("\r\n", 1)[0]
    request_uri = first.split(" ")[1]
    keep = []
    for line in text.split("\r\n")[1:]:
        name = line.split(":", 1)[0].lower()
        if name in ("via", "from", "call-id", "max-forwards"):
            keep.append(line)
    keep.append("To: " + h.header(final, "To"))
    keep.append("CSeq: 1 ACK")
    keep.append("Content-Length: 0")
    return (f"ACK {request_uri} SIP/2.0\r\n" + "\r\n".join(keep) + "\r\n\r\n").encode()


def raw_invite(port, user, checks, max_forwards=70, timeout=5.0):
    """Sends a raw INVITE, returns (final response, provisional statuses); ACKs the final."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(("127.0.0.1", 0))
        local_port = sock.getsockname()[1]
        invite = h.invite_request(port, user, local_port, max_forwards)
        sock.sendto(invite, ("127.0.0.1", port))
        sock.settimeout(timeout)
        provisional = []
        try:
            while True:
                reply = sock.recvfrom(65535)[0]
                status = h.status_of(reply)
                if status is None:
                    provisional.append(reply.split(b"\r\n", 1)[0].decode(errors="replace"))
                    continue
                if status >= 200:
                    if status >= 300:
                        sock.sendto(ack_for(invite, reply), ("127.0.0.1", port))
                    return reply, provisional
                provisional.append(status)
        except socket.timeout:
            return None, provisional
    finally:
        sock.close()


class Sipp:
    """A SIPp process, killed on exit if still running."""

    def __init__(self, work, name, args):
        self.name = name
        self.work = work
        self.errors = os.path.join(work, f"{name}_errors.log")
        self.messages = os.path.join(work, f"{name}_messages.log")
        self.cmd = ["sipp", *args, "-i", "127.0.0.1", "-t", "u1", "-nostdin", "-timeout", "30s", "-timeout_error",
                    "-trace_err", "-error_file", self.errors, "-trace_msg", "-message_file", self.messages]
        self.process = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=work)
        self.stdout = self.stderr = ""

    def wait(self, timeout):
        try:
            self.stdout, self.stderr = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        return self.process.returncode

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.stdout, self.stderr = self.process.communicate(timeout=10)

    def dump(self):
        print(f"--- {self.name}: exit {self.process.returncode}")
        print(self.stdout[-1500:], self.stderr[-1500:])
        for path in (self.errors, self.messages):
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    print(f"--- {os.path.basename(path)} (tail)\n" + f.read()[-3000:])

    def messages_text(self):
        if not os.path.exists(self.messages):
            return ""
        with open(self.messages, errors="replace") as f:
            return f.read()


def received_messages(sipp):
    """The SIP messages SIPp logged as received (each as a str with \\n line ends)."""
    text = sipp.messages_text()
    # SIPp's trace_msg: "----... <timestamp>\nUDP message received [N] bytes :\n\n<message>"
    parts = re.split(r"\n-{20,}[^\n]*\n", "\n" + text)
    result = []
    for part in parts:
        head, _, body = part.partition("\n")
        if "message received" in head:
            result.append(body.strip("\n"))
    return result


def headers_named(message, name):
    values = []
    for line in message.split("\n"):
        key, colon, value = line.partition(":")
        if colon and key.strip().lower() == name.lower():
            values.append(value.strip())
    return values


def run_pair(work, name, port, service, uac_scenario, uases, checks, calls=CALLS):
    """UASes (name, port, scenario) answer; a UAC makes `calls` calls to service via osprey."""
    servers = [Sipp(work, f"{name}_{uas_name}", ["-sf", uas_scenario, "-p", str(uas_port), "-m", str(calls)])
               for uas_name, uas_port, uas_scenario in uases]
    try:
        uac = Sipp(work, f"{name}_uac", [f"127.0.0.1:{port}", "-sf", uac_scenario, "-s", service, "-p", "0",
                                         "-m", str(calls), "-r", "10", "-l", "1"])
        uac_exit = uac.wait(timeout=45)
        ok = checks.expect(uac_exit == 0, f"{name}: SIPp UAC completes {calls} calls (exit {uac_exit})")
        for server in servers:
            exit_code = server.wait(timeout=10)
            ok &= checks.expect(exit_code == 0, f"{name}: SIPp {server.name} completes {calls} calls (exit {exit_code})")
        if not ok:
            for sipp in [uac] + servers:
                sipp.dump()
        return uac, servers
    finally:
        for server in servers:
            server.kill()


def final_tags_match_uas(uac, status):
    """Per call: (To tag of each `status` the UAC got, To tags of the UAS's provisionals)."""
    received = received_messages(uac)
    result = []
    for m in received:
        if m.startswith(f"SIP/2.0 {status} "):
            call_id = headers_named(m, "Call-ID")[0]
            ringing = {headers_named(r, "To")[0] for r in received
                       if r.startswith("SIP/2.0 18") and headers_named(r, "Call-ID")[0] == call_id}
            result.append((headers_named(m, "To")[0], ringing))
    return result


def case_cancel(port, work, checks):
    uas_port = h.free_port()
    if not register(port, "carol", uas_port, checks):
        return
    uac, (uas,) = run_pair(work, "cancel", port, "carol", scenario("cancel_uac.xml"),
                           [("uas", uas_port, scenario("cancel_uas.xml"))], checks)
    check_proxy_ack(uas, "cancel", checks)
    # §16.7 step 6 / §16.10: the CANCEL ends the branch with the UAS's 487, and that response,
    # chosen from the response context, is what goes upstream: its To tag is the UAS's (the one
    # on its 180), not a new one of the proxy's.
    pairs = final_tags_match_uas(uac, 487)
    same = len(pairs) == CALLS and all(to in ringing for to, ringing in pairs)
    checks.expect(same,
                  f"cancel: the 487 the UAC gets is the UAS's (same To tag as its 180) "
                  f"(e.g. 487 {pairs[0][0] if pairs else None!r} after 180 {sorted(pairs[0][1]) if pairs else None})")


def check_proxy_ack(uas, name, checks):
    """The ACKs that reached the UAS are the proxy's own (§17.1.1.3): one Via, whose branch is
    that of the INVITE it forwarded; and there is one per call (the UAC's ACK was absorbed)."""
    received = received_messages(uas)
    invites = [m for m in received if m.startswith("INVITE ")]
    acks = [m for m in received if m.startswith("ACK ")]
    invite_branches = {re.search(r"branch=([^;,\s]+)", headers_named(m, "Via")[0]).group(1) for m in invites}
    good = [a for a in acks if len(headers_named(a, "Via")) == 1 and "," not in headers_named(a, "Via")[0]
            and re.search(r"branch=([^;,\s]+)", headers_named(a, "Via")[0]).group(1) in invite_branches]
    checks.expect(len(invites) == CALLS and len(acks) == CALLS and len(good) == len(acks),
                  f"{name}: the UAS got {CALLS} ACKs, each osprey's own (one Via, the INVITE's branch) "
                  f"({len(invites)} INVITEs, {len(acks)} ACKs, {len(good)} of them osprey's)")
    if acks and len(good) != len(acks):
        print("an ACK the UAS got:\n" + acks[0])


def case_busy(port, work, checks):
    uas_port = h.free_port()
    if not register(port, "dave", uas_port, checks):
        return
    uac, (uas,) = run_pair(work, "busy", port, "dave", scenario("busy_uac.xml"),
                           [("uas", uas_port, scenario("busy_uas.xml"))], checks)
    check_proxy_ack(uas, "busy", checks)
    pairs = final_tags_match_uas(uac, 486)
    checks.expect(len(pairs) == CALLS and all(to in ringing for to, ringing in pairs),
                  f"busy: the UAC gets the UAS's own 486 (same To tag as its 180) ({len(pairs)} 486s)")


def case_fork(port, work, checks):
    port_a, port_b = h.free_port(), h.free_port()
    while port_b == port_a:
        port_b = h.free_port()
    if not (register(port, "erin", port_a, checks) and register(port, "erin", port_b, checks)):
        return
    uac, (uas_a, uas_b) = run_pair(work, "fork", port, "erin", scenario("fork_uac.xml"),
                                   [("uas_a", port_a, scenario("fork_uas_answer.xml")),
                                    ("uas_b", port_b, scenario("cancel_uas.xml"))], checks)
    received = received_messages(uac)
    ok_invite = [m for m in received if m.startswith("SIP/2.0 200")
                 and "INVITE" in (headers_named(m, "CSeq") or [""])[0]]
    # Retransmissions of A's 200 (same To tag) are allowed; a second fork's 200 is not.
    per_call = {}
    for m in ok_invite:
        call_id = headers_named(m, "Call-ID")[0]
        per_call.setdefault(call_id, set()).add(headers_named(m, "To")[0])
    checks.expect(len(per_call) == CALLS and all(len(tags) == 1 for tags in per_call.values()),
                  f"fork: the UAC got exactly one 200 (one To tag) per call "
                  f"({sorted(len(t) for t in per_call.values())} over {len(per_call)} calls)")
    b_cancels = [m for m in received_messages(uas_b) if m.startswith("CANCEL ")]
    checks.expect(len(b_cancels) == CALLS, f"fork: the ringing fork got a CANCEL per call ({len(b_cancels)})")
    check_proxy_ack(uas_b, "fork (cancelled branch)", checks)


def case_no_binding(port, checks):
    reply, _ = raw_invite(port, "nobody", checks)
    status = h.status_of(reply)
    checks.expect(status in (404, 480), f"INVITE to an AOR without binding: 404 or 480 ({status})")


def case_max_forwards(port, checks):
    reply, _ = raw_invite(port, "carol", checks, max_forwards=0)
    status = h.status_of(reply)
    checks.expect(status == 483, f"INVITE with Max-Forwards: 0: 483 ({status})")


def case_loop(port, checks):
    # A binding whose Path is osprey itself: each hop pops its own Route, looks the user up and
    # sends the request back to itself. The second time round the request is unchanged
    # (Request-URI, top Route, tags, Call-ID, CSeq) with our Via in it: a loop, §16.3 step 4.
    # (A bare Contact sip:loop@127.0.0.1:PORT would not loop either: osprey refuses a binding
    # whose Contact names its own address, 482 at once; test_binding_targets.py.)
    holder = h.free_port()
    if not register(port, "loop", holder, checks, contact=f"<sip:loop@127.0.0.1:{port}>",
                    extra_headers=("Supported: path", f"Path: <sip:127.0.0.1:{port};lr>")):
        return
    reply, provisional = raw_invite(port, "loop", checks, max_forwards=70, timeout=8.0)
    status = h.status_of(reply)
    checks.expect(status == 482, f"INVITE to a binding that loops back to osprey: 482 Loop Detected ({status})")
    if reply is not None and status != 482:
        print(reply.decode(errors="replace"))


def case_message(port, work, checks):
    uas_port = h.free_port()
    if not register(port, "frank", uas_port, checks):
        return
    uac, (uas,) = run_pair(work, "message", port, "frank", os.path.join(SCENARIOS, "msg_uac.xml"),
                           [("uas", uas_port, os.path.join(SCENARIOS, "msg_uas.xml"))], checks)
    got = [m for m in received_messages(uas) if m.startswith("MESSAGE ")]
    with_rr = [m for m in got if headers_named(m, "Record-Route")]
    checks.expect(len(got) == CALLS and not with_rr,
                  f"message: the UAS got {CALLS} MESSAGEs, none with Record-Route ({len(got)}, {len(with_rr)} with)")
    answers = [m for m in received_messages(uac) if m.startswith("SIP/2.0 200")]
    checks.expect(answers and not any(headers_named(m, "Record-Route") for m in answers),
                  f"message: the UAC's 200s carry no Record-Route ({len(answers)} 200s)")


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        port = h.free_port()
        server = h.Osprey(args.osprey, work, h.udp_and_tcp(port), workers=2)
        with server:
            case_no_binding(port, checks)
            case_cancel(port, work, checks)
            case_max_forwards(port, checks)  # carol is registered: only Max-Forwards stops it
            case_busy(port, work, checks)
            case_fork(port, work, checks)
            case_message(port, work, checks)
            case_loop(port, checks)
        h.expect_clean_stop(checks, server)
    checks.finish()


if __name__ == "__main__":
    main()
