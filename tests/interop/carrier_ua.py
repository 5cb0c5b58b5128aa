"""A carrier trunk's switch, in Python, on UDP: enough of a UA (RFC 3261) to stand for a carrier
behind osprey's SBC in a test with real phones. It answers the calls osprey's B2BUA sends it
(180, then 200 with SDP, retransmitted until the ACK), places calls toward osprey, hangs up,
and plays the transferee of RFC 3515 / RFC 5589: a REFER is answered 202, followed by a NOTIFY
(sipfrag 100), a new INVITE to the Refer-To target (with its Replaces, RFC 3891) sent to
osprey, a NOTIFY with the new call's final status, and a BYE of the referred call.

It binds its own loopback address (127.0.0.2 by default): osprey tells a trunk's requests from
its users' by source address. Every request and response it sees or sends is kept in `log`.
"""

import os
import re
import socket
import threading
import time
import urllib.parse

SDP = ("v=0\r\no=carrier 1 1 IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
       "m=audio {port} RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n")


def first_line(message):
    return message.split("\r\n", 1)[0]


def header(message, name, compact=None):
    names = {name.lower()} | ({compact.lower()} if compact else set())
    head = message.split("\r\n\r\n", 1)[0]
    for line in head.split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() in names:
            return value.strip()
    return None


def headers(message, name, compact=None):
    names = {name.lower()} | ({compact.lower()} if compact else set())
    head = message.split("\r\n\r\n", 1)[0]
    return [line.partition(":")[2].strip() for line in head.split("\r\n")[1:]
            if line.partition(":")[0].strip().lower() in names]


def uri_of(name_addr):
    found = re.search(r"<([^>]*)>", name_addr or "")
    return found.group(1) if found else (name_addr or "").split(";")[0].strip()


def tag_of(name_addr):
    found = re.search(r";\s*tag=([^;>\s]+)", (name_addr or "").split(">")[-1])
    return found.group(1) if found else ""


def status_of(message):
    found = re.match(r"SIP/2\.0 (\d{3})", message)
    return int(found.group(1)) if found else None


class Dialog:
    """One dialog of the carrier: identifiers and where its in-dialog requests go."""

    def __init__(self, call_id, local_tag, remote_tag, local_uri, remote_uri, remote_target):
        self.call_id = call_id
        self.local_tag = local_tag
        self.remote_tag = remote_tag
        self.local_uri = local_uri
        self.remote_uri = remote_uri
        self.remote_target = remote_target
        self.cseq = 100
        self.acked = threading.Event()
        self.ended = threading.Event()
        self.established = threading.Event()
        self.final = None  # the final status of an outgoing INVITE


class Carrier:
    def __init__(self, osprey_port, address="127.0.0.2", answer=True, osprey_host="127.0.0.1"):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, 0))
        self.sock.settimeout(0.2)
        self.address = address
        self.port = self.sock.getsockname()[1]
        self.osprey = (osprey_host, osprey_port)
        self.answer_calls = answer
        self.dialogs = {}  # (call_id, local_tag) -> Dialog
        self.incoming = []  # the dialogs of the calls osprey sent the carrier, in order
        self.log = []  # ("in"|"out", text)
        self.lock = threading.Lock()
        self.responses = {}  # (call_id, cseq) -> [responses]
        self.refers = []  # REFER requests received
        self.transfer_calls = []  # dialogs started because of a REFER
        self.joined = []  # (referred dialog, replaced dialog): transfers resolved inside the carrier
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    # ----- transport
    def send(self, text, destination=None):
        with self.lock:
            self.log.append(("out", text))
        self.sock.sendto(text.encode(), destination or self.osprey)

    def _serve(self):
        while self.running:
            try:
                data, source = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            text = data.decode(errors="replace")
            with self.lock:
                self.log.append(("in", text))
            try:
                if text.startswith("SIP/2.0"):
                    self._on_response(text)
                else:
                    self._on_request(text, source)
            except Exception as error:  # a test helper: report, keep serving
                print(f"carrier: {error!r} on {first_line(text)}")

    def close(self):
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()

    def received(self, method=None):
        with self.lock:
            return [t for d, t in self.log if d == "in" and (method is None or t.startswith(method + " "))]

    # ----- building messages
    def _via(self):
        return f"SIP/2.0/UDP {self.address}:{self.port};branch=z9hG4bK{os.urandom(8).hex()};rport"

    def _contact(self):
        return f"<sip:carrier@{self.address}:{self.port}>"

    def _response(self, request, status, reason, to_tag=None, extra=(), body=""):
        lines = [f"SIP/2.0 {status} {reason}"]
        lines += [f"Via: {v}" for v in headers(request, "Via", "v")]
        lines.append(f"From: {header(request, 'From', 'f')}")
        to = header(request, "To", "t")
        if to_tag and not tag_of(to):
            to += f";tag={to_tag}"
        lines.append(f"To: {to}")
        lines.append(f"Call-ID: {header(request, 'Call-ID', 'i')}")
        lines.append(f"CSeq: {header(request, 'CSeq')}")
        lines += list(extra)
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body.encode())}")
        return "\r\n".join(lines) + "\r\n\r\n" + body

    def _request(self, dialog, method, extra=(), body="", content_type=None, cseq=None):
        if cseq is None:
            dialog.cseq += 1
            cseq = dialog.cseq
        lines = [f"{method} {dialog.remote_target} SIP/2.0", f"Via: {self._via()}", "Max-Forwards: 70",
                 f"From: <{dialog.local_uri}>;tag={dialog.local_tag}",
                 f"To: <{dialog.remote_uri}>" + (f";tag={dialog.remote_tag}" if dialog.remote_tag else ""),
                 f"Call-ID: {dialog.call_id}", f"CSeq: {cseq} {method}", f"Contact: {self._contact()}",
                 "User-Agent: CarrierSwitch/9"]
        lines += list(extra)
        if body:
            lines.append(f"Content-Type: {content_type or 'application/sdp'}")
        lines.append(f"Content-Length: {len(body.encode())}")
        return "\r\n".join(lines) + "\r\n\r\n" + body

    # ----- requests toward the carrier
    def _on_request(self, text, source):
        method = first_line(text).split(" ", 1)[0]
        call_id = header(text, "Call-ID", "i")
        to_tag = tag_of(header(text, "To", "t"))
        if method == "INVITE" and not to_tag:
            self._incoming_invite(text)
        elif method == "ACK":
            dialog = self.dialogs.get((call_id, to_tag))
            if dialog:
                dialog.acked.set()
        elif method == "BYE":
            self.send(self._response(text, 200, "OK"))
            dialog = self.dialogs.get((call_id, to_tag))
            if dialog:
                dialog.ended.set()
        elif method == "REFER":
            self._on_refer(text, self.dialogs.get((call_id, to_tag)))
        elif method == "CANCEL":
            self.send(self._response(text, 200, "OK"))
        elif method == "INVITE":  # re-INVITE: the same session
            sdp = SDP.format(host=self.address, port=6000)
            self.send(self._response(text, 200, "OK", extra=[f"Contact: {self._contact()}"], body=sdp))
        else:
            self.send(self._response(text, 200, "OK"))

    def _incoming_invite(self, invite):
        call_id = header(invite, "Call-ID", "i")
        local_tag = "car" + os.urandom(4).hex()
        dialog = Dialog(call_id, local_tag, tag_of(header(invite, "From", "f")),
                        uri_of(header(invite, "To", "t")), uri_of(header(invite, "From", "f")),
                        uri_of(header(invite, "Contact", "m")))
        self.dialogs[(call_id, local_tag)] = dialog
        self.incoming.append(dialog)
        self.send(self._response(invite, 180, "Ringing", local_tag, [f"Contact: {self._contact()}"]))
        if not self.answer_calls:
            return
        ok = self._response(invite, 200, "OK", local_tag,
                            [f"Contact: {self._contact()}", "Server: CarrierSwitch/9"],
                            SDP.format(host=self.address, port=6000))

        def retransmit():  # RFC 3261 §13.3.1.4: the 2xx until its ACK
            interval = 0.5
            for _ in range(7):
                self.send(ok)
                if dialog.acked.wait(interval):
                    dialog.established.set()
                    return
                interval = min(interval * 2, 4)

        threading.Thread(target=retransmit, daemon=True).start()

    def incoming_dialogs(self):
        return list(self.incoming)

    # ----- calls from the carrier
    def call(self, target_uri, caller="sip:+15551230000@carrier.example", extra=()):
        """An INVITE to `target_uri` sent to osprey; the Dialog, `final` set when answered."""
        call_id = f"{os.urandom(8).hex()}@carrier.internal"
        dialog = Dialog(call_id, "car" + os.urandom(4).hex(), "", caller, target_uri, target_uri)
        dialog.cseq = 1
        self.dialogs[(call_id, dialog.local_tag)] = dialog
        invite = self._request(dialog, "INVITE", extra, SDP.format(host=self.address, port=6002), cseq=1)
        self.responses[(call_id, "1 INVITE")] = []

        def run():
            interval = 0.5
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and dialog.final is None:
                if not self.responses[(call_id, "1 INVITE")]:
                    self.send(invite)  # RFC 3261 §17.1.1.2 timer A until a provisional answer
                if dialog.established.wait(interval) or dialog.final is not None:
                    break
                interval = min(interval * 2, 4)

        threading.Thread(target=run, daemon=True).start()
        return dialog

    def _on_response(self, text):
        call_id = header(text, "Call-ID", "i")
        cseq = header(text, "CSeq")
        self.responses.setdefault((call_id, cseq), []).append(text)
        status = status_of(text)
        if not cseq.endswith(" INVITE"):
            return
        local_tag = tag_of(header(text, "From", "f"))
        dialog = self.dialogs.get((call_id, local_tag))
        if dialog is None or status < 200:
            return
        if dialog.final is None:
            dialog.final = status
        if 200 <= status < 300:
            dialog.remote_tag = tag_of(header(text, "To", "t"))
            dialog.remote_target = uri_of(header(text, "Contact", "m")) or dialog.remote_target
            number = cseq.split()[0]
            self.send(self._request(dialog, "ACK", cseq=int(number)))
            dialog.established.set()
        else:
            # RFC 3261 §17.1.1.3: a non-2xx final answer is ACKed in its transaction (same branch).
            via = headers(text, "Via", "v")[0]
            ack = [f"ACK {dialog.remote_target} SIP/2.0", f"Via: {via}", "Max-Forwards: 70",
                   f"From: {header(text, 'From', 'f')}", f"To: {header(text, 'To', 't')}",
                   f"Call-ID: {call_id}", f"CSeq: {cseq.split()[0]} ACK", "Content-Length: 0"]
            self.send("\r\n".join(ack) + "\r\n\r\n")

    def hangup(self, dialog):
        self.send(self._request(dialog, "BYE"))
        dialog.ended.set()

    # ----- transfer (RFC 3515, RFC 5589 §6-7): the carrier is the transferee
    def _notify(self, dialog, fragment, state):
        self.send(self._request(dialog, "NOTIFY", ["Event: refer", f"Subscription-State: {state}"],
                                fragment, "message/sipfrag;version=2.0"))

    def _on_refer(self, refer, dialog):
        self.refers.append(refer)
        if dialog is None:
            self.send(self._response(refer, 481, "Call/Transaction Does Not Exist"))
            return
        refer_to = header(refer, "Refer-To", "r")
        self.send(self._response(refer, 202, "Accepted", extra=[f"Contact: {self._contact()}"]))

        def transfer():
            self._notify(dialog, "SIP/2.0 100 Trying\r\n", "active;expires=60")
            target = uri_of(refer_to)
            base, _, query = target.partition("?")
            extra = []
            for key, value in urllib.parse.parse_qsl(query):
                if key.lower() == "replaces":
                    extra.append(f"Replaces: {value}")
            if base.startswith(f"sip:carrier@{self.address}:{self.port}"):
                self._join(dialog, extra)
                return
            new = self.call(base, caller=dialog.local_uri, extra=extra)
            self.transfer_calls.append(new)
            deadline = time.monotonic() + 15
            while new.final is None and time.monotonic() < deadline:
                time.sleep(0.05)
            status = new.final or 408
            self._notify(dialog, f"SIP/2.0 {status} Done\r\n", "terminated;reason=noresource")
            if 200 <= status < 300:
                time.sleep(0.3)
                self.hangup(dialog)

        threading.Thread(target=transfer, daemon=True).start()


    def _join(self, dialog, replaces):
        """A Refer-To at the carrier itself (RFC 5589 §7 with both calls on this switch): the
        Replaces names one of its own dialogs (RFC 3891 §3: Call-ID, its local tag as to-tag);
        the switch connects the two far ends inside its network and hangs up both calls."""
        value = replaces[0].partition(":")[2].strip() if replaces else ""
        params = dict(p.partition("=")[::2] for p in value.split(";")[1:])
        replaced = self.dialogs.get((value.split(";")[0], params.get("to-tag")))
        if replaced is None or replaced.remote_tag != params.get("from-tag"):
            self._notify(dialog, "SIP/2.0 481 Call Does Not Exist\r\n", "terminated;reason=noresource")
            return
        self.joined.append((dialog, replaced))
        self._notify(dialog, "SIP/2.0 200 OK\r\n", "terminated;reason=noresource")
        time.sleep(0.3)
        self.hangup(dialog)
        self.hangup(replaced)


def refer(carrier, dialog, refer_to):
    """The carrier, as the transferor (RFC 3515 §2.4.1), asks the other end of `dialog` to call
    `refer_to`; the REFER's responses land in carrier.responses."""
    request = carrier._request(dialog, "REFER", [f"Refer-To: <{refer_to}>",
                                                 f"Referred-By: <{dialog.local_uri}>"])
    carrier.send(request)
    return (dialog.call_id, f"{dialog.cseq} REFER")
