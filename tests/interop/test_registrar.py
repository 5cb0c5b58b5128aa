"""The registrar (RFC 3261 §10.3) against a live osprey: sipsak usrloc mode, raw-socket REGISTERs
(add, query, second contact with q, refresh, out-of-order CSeq, 423, Contact: *, unserved
domain), a TCP phone re-registering from new connections and ports with one +sip.instance
(RFC 5626 §6: its binding is replaced, also after a restart), SIPp registering 500 users over
UDP and TCP, bindings surviving a restart, and
durability under kill -9: every REGISTER that got its 200 before the SIGKILL is still bound after
the restart (the 200 is only sent once the binding is on disk)."""

import os
import selectors
import socket
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402

REG_SCENARIO = os.path.join(h.HERE, "scenarios", "reg.xml")
SIPP_USERS = 500
MIN_EXPIRES = 60  # osprey's default [registrar] min_expires

DURABILITY_USERS = 3000  # more than can be acknowledged before the kill
KILL_AFTER = 300  # acknowledgements seen before SIGKILL
DURABILITY_SOCKETS = 8
WINDOW = 32  # REGISTERs in flight per socket


class Client:
    """One UDP socket talking to osprey; register() returns the response (bytes) or None."""

    def __init__(self, port):
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.local_port = self.sock.getsockname()[1]

    def register(self, user, contacts=(), expires=None, **kwargs):
        request = h.register_request(self.port, user, contacts, expires, local_port=self.local_port, **kwargs)
        return h.udp_exchange(self.port, request, sock=self.sock)

    def query(self, user):
        return self.register(user)

    def close(self):
        self.sock.close()


def first_line(reply):
    return (reply or b"").split(b"\r\n", 1)[0].decode(errors="replace") or "no answer"


def bound(reply, uri):
    """The Contact params the response lists for uri, or None."""
    for listed, params in h.contacts_of(reply):
        if listed == uri:
            return params
    return None


def expires_of(params):
    try:
        return int((params or {}).get("expires", ""))
    except ValueError:
        return None


def sipsak_checks(port, checks):
    contact = "sip:alice@127.0.0.1:5070"
    client = Client(port)
    try:
        # usrloc mode: a REGISTER for alice; sipsak exits 0 only on its 200. The default Expires
        # of sipsak (15) is below min_expires, hence -x.
        result = h.run(["sipsak", "-U", "-i", "-x", "120", "-C", contact, "-s", f"sip:alice@127.0.0.1:{port}"],
                       timeout=30)
        checks.expect(result.returncode == 0, f"sipsak -U registers alice (exit {result.returncode})")
        if result.returncode != 0:
            print(result.stdout[-2000:], result.stderr[-2000:])
        reply = client.query("alice")
        params = bound(reply, contact)
        checks.expect(params is not None and 0 < (expires_of(params) or 0) <= 120,
                      f"a query lists sipsak's binding with expires <= 120 ({h.contacts_of(reply)})")

        result = h.run(["sipsak", "-U", "-i", "-x", "0", "-C", contact, "-s", f"sip:alice@127.0.0.1:{port}"],
                       timeout=30)
        checks.expect(result.returncode == 0, f"sipsak -U -x 0 removes alice's binding (exit {result.returncode})")
        reply = client.query("alice")
        checks.expect(h.status_of(reply) == 200 and bound(reply, contact) is None,
                      f"after the removal a query lists no binding for alice ({h.contacts_of(reply)})")

        # A sipsak REGISTER with its own Contact (its socket) and a 423 it does not follow.
        result = h.run(["sipsak", "-U", "-i", "-x", "300", "-s", f"sip:carol@127.0.0.1:{port}"], timeout=30)
        checks.expect(result.returncode == 0, f"sipsak -U with its own Contact (exit {result.returncode})")
        result = h.run(["sipsak", "-U", "-i", "-s", f"sip:carol@127.0.0.1:{port}"], timeout=30)
        checks.expect(result.returncode != 0 and "423" in result.stderr + result.stdout,
                      "sipsak -U with its default Expires: 15 is refused with 423")

        result = h.run(["sipsak", "-s", f"sip:127.0.0.1:{port}"], timeout=30)
        checks.expect(result.returncode == 0, f"sipsak OPTIONS: 200 (exit {result.returncode})")
    finally:
        client.close()


def raw_checks(port, checks):
    client = Client(port)
    other = Client(port)
    try:
        first = f"sip:bob@127.0.0.1:{client.local_port}"
        second = f"sip:bob@127.0.0.1:{other.local_port};transport=udp"
        call_id = uuid.uuid4().hex

        # Add a binding: the 200 lists it with the granted interval.
        reply = client.register("bob", f"<{first}>", 600, call_id=call_id, cseq=10)
        params = bound(reply, first)
        checks.expect(h.status_of(reply) == 200 and params is not None and 590 <= (expires_of(params) or 0) <= 600,
                      f"REGISTER bob: 200 listing the contact with expires 600 ({first_line(reply)}, "
                      f"{h.contacts_of(reply)})")
        checks.expect(h.header(reply or b"", "Date") is not None, "the 200 to REGISTER carries Date")

        # A query (no Contact) lists the bindings with their remaining time (§10.2.3).
        time.sleep(1.1)
        reply = other.query("bob")
        params = bound(reply, first)
        checks.expect(h.status_of(reply) == 200 and params is not None and 0 < (expires_of(params) or 0) <= 600,
                      f"query: bob's binding listed, remaining expires <= 600 ({h.contacts_of(reply)})")
        checks.expect(len(h.contacts_of(reply)) == 1, "query: exactly one binding listed")

        # A second contact with q=0.5, another Call-ID: both listed.
        reply = other.register("bob", f"<{second}>;q=0.5", 600)
        listed = h.contacts_of(reply)
        checks.expect(h.status_of(reply) == 200 and bound(reply, first) is not None
                      and (bound(reply, second) or {}).get("q") == "0.5",
                      f"second contact with q=0.5: 200 lists both, q kept ({listed})")
        reply = client.query("bob")
        checks.expect(len(h.contacts_of(reply)) == 2, f"query lists both bindings ({h.contacts_of(reply)})")

        # Refresh on the same Call-ID with a higher CSeq: accepted, interval updated.
        reply = client.register("bob", f"<{first}>", 900, call_id=call_id, cseq=11)
        params = bound(reply, first)
        checks.expect(h.status_of(reply) == 200 and 890 <= (expires_of(params) or 0) <= 900,
                      f"refresh, same Call-ID, CSeq 11: 200 with expires 900 ({first_line(reply)}, {params})")

        # Same Call-ID, lower CSeq: the update is aborted and the request fails (§10.3 step 7).
        reply = client.register("bob", f"<{first}>", 1200, call_id=call_id, cseq=5)
        checks.expect(h.status_of(reply) == 500, f"same Call-ID, lower CSeq 5: 500 ({first_line(reply)})")
        reply = client.register("bob", f"<{first}>", 1200, call_id=call_id, cseq=11)
        checks.expect(h.status_of(reply) == 500, f"same Call-ID, equal CSeq 11: 500 ({first_line(reply)})")
        reply = client.query("bob")
        checks.expect((expires_of(bound(reply, first)) or 0) <= 900,
                      f"the refused updates changed nothing ({h.contacts_of(reply)})")

        # Too brief: 423 with Min-Expires (§10.3 step 7), nothing bound.
        reply = client.register("dave", f"<sip:dave@127.0.0.1:{client.local_port}>", 30)
        min_expires = h.header(reply or b"", "Min-Expires")
        checks.expect(h.status_of(reply) == 423 and min_expires == str(MIN_EXPIRES),
                      f"Expires: 30: 423 with Min-Expires: {MIN_EXPIRES} ({first_line(reply)}, {min_expires})")
        reply = client.register("dave", f"<sip:dave@127.0.0.1:{client.local_port}>;expires=30", 3600)
        checks.expect(h.status_of(reply) == 423, f"contact expires=30 beats Expires: 3600: 423 ({first_line(reply)})")
        reply = client.query("dave")
        checks.expect(h.status_of(reply) == 200 and not h.contacts_of(reply),
                      f"after the 423s dave has no binding ({h.contacts_of(reply)})")

        # Contact: * with Expires: 0 removes every binding (§10.3 step 6).
        reply = other.register("bob", "*", 0)
        checks.expect(h.status_of(reply) == 200 and not h.contacts_of(reply),
                      f"Contact: *, Expires: 0: 200 listing nothing ({first_line(reply)}, {h.contacts_of(reply)})")
        reply = client.query("bob")
        checks.expect(h.status_of(reply) == 200 and not h.contacts_of(reply),
                      f"after Contact: * a query lists none ({h.contacts_of(reply)})")
        reply = client.register("bob", "*", 3600)
        checks.expect(h.status_of(reply) == 400, f"Contact: * with Expires: 3600: 400 ({first_line(reply)})")

        # Not a domain served here: 403 or 404 (§10.3 steps 1 and 5), nothing bound.
        reply = client.register("x", f"<sip:x@127.0.0.1:{client.local_port}>", 600, domain="example.org")
        checks.expect(h.status_of(reply) in (403, 404),
                      f"REGISTER sip:example.org for x@example.org: 403/404 ({first_line(reply)})")

        # A binding that must survive the restart below; the registrar's own domain spelled
        # "localhost" is a different served domain.
        reply = client.register("erin", f"<sip:erin@127.0.0.1:{client.local_port}>", 3600)
        checks.expect(h.status_of(reply) == 200, f"REGISTER erin: 200 ({first_line(reply)})")
        reply = client.register("erin", "<sip:erin@[::1]:5070>", 3600, domain="localhost")
        checks.expect(h.status_of(reply) == 200 and len(h.contacts_of(reply)) == 1,
                      f"erin@localhost is its own AOR ({first_line(reply)}, {h.contacts_of(reply)})")
        return f"sip:erin@127.0.0.1:{client.local_port}"
    finally:
        client.close()
        other.close()


INSTANCE = "urn:uuid:6f1c5e2a-3b4d-4c8e-9f0a-1b2c3d4e5f60"
RECONNECTIONS = 12  # more than max_contacts_per_aor (10)


class TcpPhone:
    """linphone over TCP as it behaves when its connection drops: each connect() opens a new
    connection from a new ephemeral port and registers a Contact naming that port, with the same
    Call-ID, a higher CSeq and the same +sip.instance (RFC 5626 §4.1)."""

    def __init__(self, port, user, instance):
        self.port, self.user, self.instance = port, user, instance
        self.call_id, self.cseq, self.sock = uuid.uuid4().hex, 0, None

    def connect(self):
        self.close()
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=3.0)
        return self.sock.getsockname()[1]

    def contact(self):
        return f"sip:{self.user}@127.0.0.1:{self.sock.getsockname()[1]};transport=tcp"

    def register(self):
        self.cseq += 1
        local_port = self.sock.getsockname()[1]
        contact = f'<{self.contact()}>;+sip.instance="<{self.instance}>"'
        self.sock.sendall(h.register_request(self.port, self.user, contact, 600, call_id=self.call_id,
                                             cseq=self.cseq, transport="TCP", local_port=local_port))
        reply, _ = h.read_stream_message(self.sock)
        return reply

    def close(self):
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
            self.sock = None


def message_request(port, user, local_port):
    return (
        f"MESSAGE sip:{user}@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch=z9hG4bK{uuid.uuid4().hex};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:alice@127.0.0.1>;tag={uuid.uuid4().hex[:8]}\r\n"
        f"To: <sip:{user}@127.0.0.1>\r\n"
        f"Call-ID: {uuid.uuid4().hex}\r\n"
        "CSeq: 1 MESSAGE\r\n"
        "Content-Type: text/plain\r\n"
        "Content-Length: 5\r\n\r\nhello"
    ).encode()


def message_reaches(port, phone, checks, when):
    """A MESSAGE for the phone's user arrives on its current connection, which answers 200."""
    sender = Client(port)
    try:
        sender.sock.sendto(message_request(port, phone.user, sender.local_port), ("127.0.0.1", port))
        phone.sock.settimeout(3.0)
        message, _ = h.read_stream_message(phone.sock)
        checks.expect(message is not None and message.startswith(b"MESSAGE "),
                      f"{when}: the MESSAGE reaches the phone's newest connection "
                      f"({first_line(message)})")
        if message is None:
            return
        phone.sock.sendall(h.response_to(message, 200))
        sender.sock.settimeout(3.0)
        status = None
        while status is None or status < 200:
            try:
                status = h.status_of(sender.sock.recvfrom(65535)[0])
            except socket.timeout:
                break
        checks.expect(status == 200, f"{when}: the sender gets the phone's 200 ({status})")
    finally:
        sender.close()


def instance_checks(port, checks):
    """RFC 5626 §6: a re-REGISTER with the same +sip.instance from a new connection and port
    replaces the binding; more reconnections than max_contacts_per_aor never get 403."""
    phone = TcpPhone(port, "ivy", INSTANCE)
    for attempt in range(1, RECONNECTIONS + 1):
        phone.connect()
        reply = phone.register()
        listed = h.contacts_of(reply)
        if h.status_of(reply) != 200 or [uri for uri, _ in listed] != [phone.contact()]:
            checks.expect(False, f"reconnection {attempt}: 200 listing only the new Contact "
                                 f"({first_line(reply)}, {listed}, wanted {phone.contact()})")
            phone.close()
            return None
    checks.expect(True, f"{RECONNECTIONS} reconnections from new ports: each 200 lists one Contact")
    message_reaches(port, phone, checks, f"after {RECONNECTIONS} reconnections")
    return phone


def instance_after_restart(phone, checks):
    """After osprey restarted, the stored binding still carries the instance: the phone's next
    connection replaces it (the instance written in upper case: the same URN, RFC 8141 §3.1, and
    the same UUID, RFC 4122 §3)."""
    phone.instance = phone.instance.upper()
    phone.connect()
    reply = phone.register()
    listed = h.contacts_of(reply)
    checks.expect(h.status_of(reply) == 200 and [uri for uri, _ in listed] == [phone.contact()],
                  f"after a restart a reconnection with the same instance replaces the binding "
                  f"({first_line(reply)}, {listed})")
    message_reaches(phone.port, phone, checks, "after the restart")
    phone.close()


def sipp_summary(result):
    lines = [line for line in result.stdout.splitlines() if "Successful call" in line or "Failed call" in line]
    return " | ".join(" ".join(line.split()) for line in lines)


def sipp_checks(port, work, checks):
    users = os.path.join(work, "users.csv")
    with open(users, "w") as f:
        f.write("SEQUENTIAL\n")
        f.writelines(f"sippuser{i};\n" for i in range(SIPP_USERS))
    client = Client(port)
    try:
        for transport in ("u1", "t1"):
            cmd = ["sipp", f"127.0.0.1:{port}", "-sf", REG_SCENARIO, "-inf", users, "-t", transport,
                   "-i", "127.0.0.1", "-m", str(SIPP_USERS), "-r", "200", "-l", "100", "-nostdin",
                   "-timeout", "60s", "-timeout_error", "-max_socket", "200"]
            result = h.run(cmd, timeout=90, cwd=work)
            checks.expect(result.returncode == 0,
                          f"SIPp reg.xml -t {transport}: {SIPP_USERS} users registered ({sipp_summary(result)})")
            if result.returncode != 0:
                print(result.stderr[-1500:])
            missing = [i for i in (0, 1, SIPP_USERS // 2, SIPP_USERS - 1)
                       if not h.contacts_of(client.query(f"sippuser{i}"))]
            checks.expect(not missing, f"after -t {transport} queries list the SIPp users' bindings "
                                       f"(missing: {missing})")
    finally:
        client.close()


def drive_and_kill(server, port, checks):
    """REGISTERs for distinct AORs from several sockets, WINDOW in flight per socket; SIGKILL
    once KILL_AFTER 200s have arrived. Returns (acked {user: contact}, sent_unacked {user: contact})."""
    selector = selectors.DefaultSelector()
    sockets = []
    for _ in range(DURABILITY_SOCKETS):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        sockets.append(sock)
        selector.register(sock, selectors.EVENT_READ)
    in_flight = {sock: {} for sock in sockets}  # call_id -> (user, contact)
    acked, refused = {}, {}
    sent = 0
    killed_at = None
    in_flight_at_kill = 0
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            if killed_at is None:
                for sock in sockets:
                    local = sock.getsockname()[1]
                    while len(in_flight[sock]) < WINDOW and sent < DURABILITY_USERS:
                        user = f"durable{sent}"
                        contact = f"sip:{user}@127.0.0.1:{local}"
                        call_id = uuid.uuid4().hex
                        try:
                            sock.sendto(h.register_request(port, user, f"<{contact}>", 3600, call_id=call_id,
                                                           local_port=local), ("127.0.0.1", port))
                        except BlockingIOError:
                            break
                        in_flight[sock][call_id] = (user, contact)
                        sent += 1
            for key, _ in selector.select(timeout=0.05):
                while True:
                    try:
                        reply = key.fileobj.recv(65535)
                    except (BlockingIOError, ConnectionRefusedError):
                        break
                    entry = in_flight[key.fileobj].pop(h.header(reply, "Call-ID"), None)
                    if entry is None:
                        continue
                    if h.status_of(reply) == 200:
                        acked[entry[0]] = entry[1]
                    else:
                        refused[entry[0]] = first_line(reply)
            if killed_at is None and len(acked) >= KILL_AFTER:
                in_flight_at_kill = sum(len(pending) for pending in in_flight.values())
                server.kill9()
                killed_at = time.monotonic()
            # 200s written before the kill may still sit in our socket buffers: they count too.
            if killed_at is not None and time.monotonic() > killed_at + 0.5:
                break
            if killed_at is None and sent >= DURABILITY_USERS and not any(in_flight.values()):
                break
    finally:
        for sock in sockets:
            selector.unregister(sock)
            sock.close()
        selector.close()
    checks.expect(killed_at is not None,
                  f"SIGKILL sent mid-stream after {KILL_AFTER} acknowledgements ({len(acked)} acked, {sent} sent)")
    checks.expect(not refused, f"no REGISTER refused before the kill ({list(refused.items())[:3]})")
    unacked = {}
    for pending in in_flight.values():
        unacked.update(dict(pending.values()))
    print(f"kill -9: {sent} REGISTERs sent, {len(acked)} acknowledged with 200 (before the kill or "
          f"already in our socket buffers), {in_flight_at_kill} in flight at the kill, "
          f"{len(unacked)} never answered", flush=True)
    return acked, unacked


def verify_after_kill(port, acked, unacked, checks):
    client = Client(port)
    try:
        lost = []
        for user, contact in acked.items():
            reply = client.query(user)
            if bound(reply, contact) is None:
                lost.append((user, first_line(reply), h.contacts_of(reply)))
        kept_unacked = sum(bound(client.query(user), contact) is not None for user, contact in unacked.items())
    finally:
        client.close()
    checks.expect(not lost, f"after kill -9 and restart every acknowledged binding is there "
                            f"({len(acked) - len(lost)}/{len(acked)}; lost: {lost[:3]})")
    print(f"kill -9: of {len(unacked)} REGISTERs unanswered at the kill, {kept_unacked} were bound anyway "
          "(committed, 200 not yet sent: allowed)", flush=True)


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        port = h.free_port()
        listens = h.udp_and_tcp(port)
        server = h.Osprey(args.osprey, work, listens)
        with server:
            sipsak_checks(port, checks)
            erin = raw_checks(port, checks)
            phone = instance_checks(port, checks)
            sipp_checks(port, work, checks)
        checks.expect(server.exit_code == 0, f"osprey stopped cleanly on SIGTERM (exit {server.exit_code})")
        if server.exit_code != 0:
            print(server.read_log()[-4000:])

        # A graceful restart keeps the bindings (they are in SQLite under data_dir); then
        # REGISTERs at full speed and a SIGKILL in the middle of them.
        with server:
            client = Client(port)
            try:
                reply = client.query("erin")
                checks.expect(bound(reply, erin) is not None,
                              f"after a restart erin's binding is still there ({h.contacts_of(reply)})")
                reply = client.query("sippuser7")
                checks.expect(len(h.contacts_of(reply)) >= 1,
                              f"after a restart the SIPp users' bindings are there ({h.contacts_of(reply)})")
            finally:
                client.close()
            if phone is not None:
                instance_after_restart(phone, checks)
            acked, unacked = drive_and_kill(server, port, checks)

        # Restart on the same config and data_dir after the kill.
        with server:
            verify_after_kill(port, acked, unacked, checks)
        checks.expect(server.exit_code == 0, f"osprey stopped cleanly after the kill -9 restart "
                                             f"(exit {server.exit_code})")
        if server.exit_code != 0:
            print(server.read_log()[-4000:])
    checks.finish()


if __name__ == "__main__":
    main()
