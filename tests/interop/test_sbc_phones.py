"""SBC mode with real softphones: examples/osprey.toml plus one `[[trunk]]` (a carrier switch,
tests/interop/carrier_ua.py, on 127.0.0.2: osprey tells a trunk's requests by source address,
and the phones are on 127.0.0.1) and a `[[dialplan.route]]` sending "+" numbers to it.

  1. A phone calls +44...: the carrier answers, the phone hears it ringing and connects; the
     phone hangs up and the carrier gets the BYE. The carrier saw nothing of the phone (its
     Call-ID, port, User-Agent).
  2. The carrier calls a registered phone: it rings, answers, the carrier connects and hangs
     up, and the phone sees the call end. Then the same with the phone hanging up.
  3. Blind transfer (RFC 3515) of the carrier's call by the phone that answered it (linphonec
     `transfer`) to another of our phones: osprey maps the REFER to the carrier's leg with a
     Refer-To at osprey, the carrier's new INVITE lands on the target phone, which answers.
  4. Blind transfer by the carrier: its REFER reaches the phone through the SBC, the phone's new
     call goes out through the trunk route to the number in Refer-To, and the carrier gets the
     NOTIFYs (sipfrag 100, then 200) of the transfer.

  5. Attended transfer (RFC 5589 §7, REFER with Replaces) by the phone that answered the
     carrier's call (linphonec `transfer --to-call`) to another phone (linphonec) it consulted
     through osprey's proxy: that dialog is the phones' own, so the carrier's Refer-To names only
     osprey (an opaque, single-use transfer token), and the carrier's INVITE there reaches the
     target phone with the Replaces, which swaps the consultation call for it. (Twinkle 1.10
     stops answering once it receives an INVITE with Replaces, so the target is a linphonec.)

  6. Attended transfer by the carrier (RFC 5589 §7.2): it holds a call with each of two phones
     through the SBC and REFERs one with a Replaces naming its own leg of the other call; osprey
     maps it (from whichever worker holds that call) to the other leg in the phone's terms, the
     new call goes phone to phone through the proxy and replaces the carrier's first call.

  7. A phone with two calls to the carrier joins them (linphonec `transfer --to-call`): the
     carrier's REFER names its own Contact and its own dialog of the second call, and it joins
     them itself (osprey carries no trunk-to-trunk call).

SBC_PHONES_ONLY=outbound,inbound,blind,carrier_refer,attended,carrier_attended,hairpin picks the
cases.
"""

import os
import re
import shutil
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
from carrier_ua import Carrier, first_line, header, headers, refer  # noqa: E402
from softphones import Baresip, Lab, Linphone, Twinkle, expect_all_registered, who  # noqa: E402

USERS = ["alice", "bob", "carol", "dave"]
NUMBER = "+442071234567"
CARRIER_ADDRESS = "127.0.0.2"


def trunk_config(carrier):
    return f"""
[[dialplan.group]]
name = "uk"
members = ["sip:alice@127.0.0.1", "sip:bob@127.0.0.1", "sip:carol@127.0.0.1", "sip:dave@127.0.0.1"]
allow = ["+44"]

[[dialplan.route]]
prefix = "+"
trunks = ["carrier"]

[[trunk]]
name = "carrier"
peer = "sip:{carrier.address}:{carrier.port}"
sources = ["{carrier.address}"]
"""


def wait_until(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def call_to_trunk(checks, carrier, phone):
    """The phone dials the trunk's number; the carrier answers; the phone hangs up."""
    what = f"{who(phone)} -> trunk {NUMBER}"
    before = len(carrier.incoming_dialogs())
    mark = phone.mark()
    phone.call(f"sip:{NUMBER}@127.0.0.1")
    if not checks.expect(wait_until(lambda: len(carrier.incoming_dialogs()) > before, 10),
                         f"{what}: the carrier gets the INVITE"):
        phone.hangup()
        return None
    dialog = carrier.incoming_dialogs()[-1]
    checks.expect(phone.wait_ringing(5, mark), f"{what}: the phone hears 180")
    if not checks.expect(phone.wait_established(10, mark) and dialog.established.wait(5),
                         f"{what}: answered, the phone connected and the carrier got the ACK"):
        phone.hangup()
        return None
    return dialog


def hangup_by_phone(checks, carrier, phone, dialog, what):
    time.sleep(0.5)
    phone.hangup()
    checks.expect(dialog.ended.wait(10), f"{what}: hung up by the phone, the carrier gets the BYE")


def call_from_trunk(checks, carrier, phone):
    """The carrier calls the phone; the phone rings and answers; the Dialog or None."""
    what = f"trunk -> {who(phone)}"
    mark = phone.mark()
    dialog = carrier.call(phone.aor)
    if not checks.expect(phone.wait_incoming(10, mark), f"{what}: the phone rings"):
        return None
    checks.expect(wait_until(lambda: any(first_line(r).startswith("SIP/2.0 180")
                                         for r in carrier.responses.get((dialog.call_id, "1 INVITE"), [])), 5),
                  f"{what}: the carrier hears 180")
    phone.answer()
    if not checks.expect(dialog.established.wait(10) and dialog.final == 200 and phone.wait_established(10, mark),
                         f"{what}: answered, the carrier gets 200 and the phone connects ({dialog.final})"):
        return None
    return dialog


def case_outbound(checks, carrier, phones):
    for phone in phones:
        before = len(carrier.received("INVITE"))
        dialog = call_to_trunk(checks, carrier, phone)
        if dialog is None:
            continue
        # The headers: the SDP passes through (no media anchoring), with the phone's a=tool.
        invite = carrier.received("INVITE")[before].split("\r\n\r\n", 1)[0]
        for text in (f":{phone.sip_port}", phone.client, phone.client.capitalize()):
            checks.expect(text not in invite, f"{who(phone)} -> trunk: the carrier's INVITE holds no {text!r}")
        checks.expect(len(headers(invite, "Via", "v")) == 1, f"{who(phone)} -> trunk: one Via (osprey's)")
        # What the phone prints for a call it hung up itself varies (baresip 1.0 at times nothing):
        # the BYE reaching the carrier is the check.
        hangup_by_phone(checks, carrier, phone, dialog, f"{who(phone)} -> trunk")


def case_inbound(checks, carrier, phones):
    for index, phone in enumerate(phones):
        dialog = call_from_trunk(checks, carrier, phone)
        if dialog is None:
            phone.hangup()
            continue
        time.sleep(0.5)
        mark = phone.mark()
        if index % 2 == 0:
            carrier.hangup(dialog)
            checks.expect(phone.wait_ended(10, mark), f"trunk -> {who(phone)}: the carrier's BYE ends the call")
        else:
            hangup_by_phone(checks, carrier, phone, dialog, f"trunk -> {who(phone)}")


def case_blind_transfer(checks, carrier, transferor, target):
    """The carrier calls `transferor` (linphonec), which transfers the call to `target`."""
    what = f"blind transfer by {who(transferor)} to {who(target)}"
    dialog = call_from_trunk(checks, carrier, transferor)
    if dialog is None:
        transferor.hangup()
        return
    time.sleep(0.5)
    target_mark, transferor_mark = target.mark(), transferor.mark()
    refers = len(carrier.refers)
    transferor.console.type(f"transfer {target.aor}")
    if not checks.expect(wait_until(lambda: len(carrier.refers) > refers, 10), f"{what}: the carrier gets the REFER"):
        transferor.hangup()
        return
    refer = carrier.refers[-1]
    refer_to = header(refer, "Refer-To", "r") or ""
    checks.expect(f"{target.user}@" in refer_to and f":{target.sip_port}" not in refer_to,
                  f"{what}: Refer-To names the target at osprey ({refer_to})")
    if not checks.expect(target.wait_incoming(10, target_mark), f"{what}: the target phone rings"):
        return
    target.answer()
    new = carrier.transfer_calls[-1] if carrier.transfer_calls else None
    checks.expect(new is not None and new.established.wait(10) and new.final == 200,
                  f"{what}: the carrier's new call is answered ({new and new.final})")
    checks.expect(transferor.wait_ended(10, transferor_mark), f"{what}: the transferor's call ends")
    time.sleep(0.5)
    if new is not None:
        mark = target.mark()
        carrier.hangup(new)
        checks.expect(target.wait_ended(10, mark), f"{what}: the carrier hangs up, the target sees it")


def case_blind_transfer_by_carrier(checks, carrier, transferee):
    """The carrier, in a call with one of our phones, transfers it (REFER, RFC 3515) to another
    of its numbers: the REFER reaches the phone through the SBC, the phone's new call goes to the
    trunk through the dialplan route, its NOTIFYs reach the carrier."""
    what = f"blind transfer by the carrier of {who(transferee)}"
    dialog = call_from_trunk(checks, carrier, transferee)
    if dialog is None:
        transferee.hangup()
        return
    time.sleep(0.5)
    before = len(carrier.incoming_dialogs())
    notifies = len(carrier.received("NOTIFY"))
    key = refer(carrier, dialog, "sip:+442079990000@carrier.example")
    checks.expect(wait_until(lambda: any(first_line(r).startswith("SIP/2.0 202")
                                         for r in carrier.responses.get(key, [])), 10),
                  f"{what}: the phone accepts the REFER (202)")
    got = wait_until(lambda: len(carrier.incoming_dialogs()) > before, 10)
    new = carrier.incoming_dialogs()[-1] if got else None
    checks.expect(new is not None and new.remote_target.startswith("sip:b2b.") and
                  new.established.wait(10),
                  f"{what}: the phone's new call reaches the trunk through the SBC and is answered")
    invite = next((m for m in reversed(carrier.received("INVITE")) if new and new.call_id in m), "")
    checks.expect(first_line(invite).startswith("INVITE sip:+442079990000@"),
                  f"{what}: the new call is to the number in Refer-To ({first_line(invite)})")
    checks.expect(wait_until(lambda: any("SIP/2.0 200" in m for m in carrier.received("NOTIFY")[notifies:]), 10),
                  f"{what}: the carrier gets the NOTIFY with the new call's 200 (sipfrag)")
    # The transferee ends the referred call (RFC 5589 §6) or the carrier does; then the new one.
    if not dialog.ended.wait(3):
        carrier.hangup(dialog)
    if new is not None:
        time.sleep(0.3)
        mark = transferee.mark()
        carrier.hangup(new)
        checks.expect(transferee.wait_ended(10, mark), f"{what}: the carrier hangs up the new call, the phone sees it")


def linphone_call_id(phone, since, timeout=10):
    """The call id linphonec gave the call it announced after `since` (incoming or outgoing)."""
    found = phone.console.wait_for(r"(?:assigned id|Call) (\d+)", timeout, since)
    return found.group(1) if found else None


def linphone_sent_invite(phone, target):
    """The INVITE linphonec logged sending to `target`'s user (its consultation call)."""
    try:
        with open(os.path.join(phone.home, "linphone.log"), errors="replace") as f:
            text = f.read()
    except OSError:
        return ""
    found = re.findall(r"INVITE sip:" + re.escape(target.user) + r"@[^\n]*\n(?:[^\n]+\n)*", text)
    return found[-1] if found else ""


def case_attended_transfer(checks, carrier, transferor, target, osprey_port):
    """The carrier calls `transferor` (linphonec), which calls `target` (a consultation call
    through osprey's proxy), then transfers the carrier's call to it (REFER with Replaces,
    RFC 3891 §7.2 / RFC 5589 §7): the carrier is sent to a token at osprey, and its INVITE there
    reaches the target with the Replaces (in the target's terms), which swaps the consultation
    call for it without ringing (RFC 3891 §3)."""
    what = f"attended transfer by {who(transferor)} to {who(target)}"
    mark = transferor.mark()
    dialog = call_from_trunk(checks, carrier, transferor)
    if dialog is None:
        transferor.hangup()
        return
    first = linphone_call_id(transferor, mark)
    time.sleep(0.5)
    # linphonec makes a second call only with the first on hold: a re-INVITE (a=sendonly)
    # through the B2BUA to the carrier.
    mark = transferor.mark()
    reinvites = len(carrier.received("INVITE"))
    transferor.console.type(f"pause {first}")
    checks.expect(transferor.wait_for(r"[Pp]aused", 10, mark) and
                  wait_until(lambda: len(carrier.received("INVITE")) > reinvites, 5),
                  f"{what}: the carrier's call on hold (re-INVITE through the SBC)")
    mark, target_mark = transferor.mark(), target.mark()
    transferor.console.type(f"call {target.aor}")
    second = linphone_call_id(transferor, mark)
    if not checks.expect(target.wait_incoming(10, target_mark), f"{what}: the consultation call rings"):
        return
    target.answer()
    if not checks.expect(target.wait_established(10, target_mark), f"{what}: the consultation call is answered"):
        return
    time.sleep(0.5)
    refers = len(carrier.refers)
    target_mark, transferor_mark = target.mark(), transferor.mark()
    transferor.console.type(f"transfer {first} --to-call {second}")
    if not checks.expect(wait_until(lambda: len(carrier.refers) > refers, 10),
                         f"{what}: the carrier gets the REFER (calls {first}, {second})"):
        return
    refer = carrier.refers[-1]
    refer_to = header(refer, "Refer-To", "r") or ""
    # Topology hiding: the consultation call is the phones' own dialog (their Call-ID, tags and
    # addresses); the carrier is told to call a token at osprey and learns none of it.
    found = re.search(r"^(?:Call-ID|i):\s*(\S+)", linphone_sent_invite(transferor, target), re.M | re.I)
    consultation = found.group(1) if found else None
    checks.expect(consultation is not None and refer_to.startswith("<sip:b2x.") and f"@127.0.0.1:{osprey_port}>" in refer_to and
                  "Replaces" not in refer_to and str(consultation) not in refer and f":{target.sip_port}" not in refer,
                  f"{what}: Refer-To names only osprey, nothing of the consultation call ({refer_to})")
    new = None
    if wait_until(lambda: len(carrier.transfer_calls) > 0 and carrier.transfer_calls[-1].call_id != dialog.call_id, 5):
        new = carrier.transfer_calls[-1]
    checks.expect(new is not None and new.established.wait(10) and new.final == 200,
                  f"{what}: the carrier's INVITE reaches the target with the Replaces, answered at once "
                  f"({new and new.final})")
    checks.expect(dialog.ended.wait(10), f"{what}: the transferred call ends on the carrier's side")
    if new is not None and new.final == 200:
        time.sleep(0.5)
        mark = target.mark()
        carrier.hangup(new)
        checks.expect(target.wait_ended(10, mark), f"{what}: the carrier hangs up, the target sees it")


def case_attended_transfer_by_carrier(checks, carrier, target, transferee):
    """The carrier holds a call with `target` (A) and one with `transferee` (B), both through the
    SBC, and transfers B to A (RFC 5589 §7.2, REFER with Replaces naming its own leg of A): the
    REFER reaching the transferee names A's other leg in the target's terms at osprey, so the
    transferee's INVITE through the proxy replaces the target's call with osprey, and the carrier
    gets the BYE of A and the NOTIFY of the new call's 200."""
    what = f"attended transfer by the carrier of {who(transferee)} to {who(target)}"
    first = call_from_trunk(checks, carrier, target)
    second = call_from_trunk(checks, carrier, transferee) if first is not None else None
    if first is None or second is None:
        target.hangup()
        transferee.hangup()
        return
    time.sleep(0.5)
    notifies = len(carrier.received("NOTIFY"))
    target_mark = target.mark()
    # RFC 3891 §3: the Replaces names A as its receiver (osprey, the REFER's final target of the
    # mapping) holds it: to-tag is osprey's tag of A, from-tag the carrier's.
    replaces = f"{first.call_id};to-tag={first.remote_tag};from-tag={first.local_tag}"
    # RFC 5589 §7.1: the Refer-To is the target's Contact, here the B2BUA's leg of A: it names
    # nothing routable beyond that dialog, so osprey sends the transferee to A's user.
    checks.expect(first.remote_target.startswith("sip:b2b."), f"{what}: A's Contact is osprey's ({first.remote_target})")
    key = refer(carrier, second, f"{first.remote_target}?Replaces={urllib.parse.quote(replaces, safe='')}")
    checks.expect(wait_until(lambda: any(first_line(r).startswith("SIP/2.0 202")
                                         for r in carrier.responses.get(key, [])), 10),
                  f"{what}: the transferee accepts the REFER (202)")
    refer_to = linphone_refer_to(transferee)
    checks.expect(refer_to.startswith(f"<sip:{target.user}@127.0.0.1:") and "Replaces=" in refer_to and
                  first.call_id.split("@")[0] not in refer_to and "carrier" not in refer_to,
                  f"{what}: the transferee is sent to {target.user} at osprey, nothing of the carrier ({refer_to})")
    checks.expect(first.ended.wait(10), f"{what}: the target's call with the carrier is replaced (BYE of A)")
    checks.expect(wait_until(lambda: any("SIP/2.0 200" in m for m in carrier.received("NOTIFY")[notifies:]), 10),
                  f"{what}: the carrier gets the NOTIFY with the new call's 200 (sipfrag)")
    checks.expect(target.wait_established(10, target_mark), f"{what}: the target is in the new call, unrung")
    if not second.ended.wait(3):
        carrier.hangup(second)
    time.sleep(0.5)
    target_mark = target.mark()
    transferee.hangup()
    checks.expect(target.wait_ended(10, target_mark), f"{what}: the transferee hangs up, the target sees it")


def case_attended_transfer_at_the_carrier(checks, carrier, transferor):
    """`transferor` (linphonec) has two calls to the carrier through the SBC and joins them
    (RFC 5589 §7 with the Replaces naming its own leg of the second call): osprey maps the
    Replaces to its trunk leg of that call and the Refer-To to the carrier's own Contact, so the
    carrier resolves it inside (no trunk-to-trunk call through osprey, which it may not make)."""
    what = f"attended transfer by {who(transferor)} of one carrier call to another"
    mark = transferor.mark()
    first = call_to_trunk(checks, carrier, transferor)
    first_id = linphone_call_id(transferor, mark)
    if first is None:
        return
    time.sleep(0.5)
    mark = transferor.mark()
    transferor.console.type(f"pause {first_id}")
    checks.expect(transferor.wait_for(r"[Pp]aused", 10, mark), f"{what}: the first call on hold")
    mark = transferor.mark()
    second = call_to_trunk(checks, carrier, transferor)
    second_id = linphone_call_id(transferor, mark)
    if second is None:
        transferor.hangup()
        return
    time.sleep(0.5)
    refers = len(carrier.refers)
    mark = transferor.mark()
    transferor.console.type(f"transfer {first_id} --to-call {second_id}")
    if not checks.expect(wait_until(lambda: len(carrier.refers) > refers, 10),
                         f"{what}: the carrier gets the REFER (calls {first_id}, {second_id})"):
        transferor.hangup()
        return
    refer = carrier.refers[-1]
    refer_to = header(refer, "Refer-To", "r") or ""
    contact = carrier._contact()[1:-1]
    wanted = f"{second.call_id};to-tag={second.local_tag};from-tag={second.remote_tag}"
    checks.expect(refer_to.startswith(f"<{contact}?") and
                  urllib.parse.unquote(refer_to.partition("Replaces=")[2].rstrip(">")) == wanted,
                  f"{what}: Refer-To is the carrier's own Contact with its dialog of the second call ({refer_to})")
    checks.expect(f":{transferor.sip_port}" not in refer and transferor.client not in refer.lower(),
                  f"{what}: the REFER holds nothing of the phone")
    checks.expect(wait_until(lambda: any(j[0] is first and j[1] is second for j in carrier.joined), 10),
                  f"{what}: the carrier joins the two calls itself")
    checks.expect(first.ended.wait(10) and second.ended.wait(10) and
                  transferor.wait_for(rf"Call {first_id} .*ended", 10, mark) is not None and
                  transferor.wait_for(rf"Call {second_id} .*ended", 10, mark) is not None,
                  f"{what}: both of the phone's calls end")


def linphone_refer_to(phone):
    """The Refer-To of the last REFER linphonec logged receiving."""
    try:
        with open(os.path.join(phone.home, "linphone.log"), errors="replace") as f:
            found = re.findall(r"^Refer-To:\s*(.*)$", f.read(), re.M | re.I)
    except OSError:
        return ""
    return found[-1].strip() if found else ""


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        lab = Lab(args.osprey, work, USERS)
        carrier = None
        try:
            with open(lab.osprey.config) as f:
                port = lab.server_address["udp_port"]
                text = f.read()
            carrier = Carrier(port, CARRIER_ADDRESS)
            with open(lab.osprey.config, "w") as f:
                f.write(text + trunk_config(carrier))
            with lab:
                alice = lab.phone(Linphone, "alice", "udp")
                bob = lab.phone(Baresip, "bob", "udp")
                carol = lab.phone(Twinkle, "carol", "udp")
                phones = [alice, bob, carol]
                only = os.environ.get("SBC_PHONES_ONLY", "outbound,inbound,blind,carrier_refer,attended,carrier_attended,hairpin").split(",")
                dave = (lab.phone(Linphone, "dave", "udp")
                        if "attended" in only or "carrier_attended" in only else None)
                for phone in phones + ([dave] if dave else []):
                    phone.start()
                expect_all_registered(checks, phones + ([dave] if dave else []))
                if "outbound" in only:
                    case_outbound(checks, carrier, phones)
                if "inbound" in only:
                    case_inbound(checks, carrier, phones)
                if "blind" in only:
                    case_blind_transfer(checks, carrier, alice, bob)
                if "carrier_refer" in only:
                    case_blind_transfer_by_carrier(checks, carrier, alice)
                if "attended" in only:
                    case_attended_transfer(checks, carrier, alice, dave, port)
                if "carrier_attended" in only:
                    case_attended_transfer_by_carrier(checks, carrier, alice, dave)
                if "hairpin" in only:
                    case_attended_transfer_at_the_carrier(checks, carrier, alice)
            lab.report(checks)
        finally:
            if carrier is not None:
                if checks.failed:
                    print("----- carrier: what it received and sent")
                    for direction, message in carrier.log[-30:]:
                        print(f"--- {direction}\n{message}")
                carrier.close()
            keep = os.environ.get("SBC_PHONES_KEEP")  # where to copy the logs for a closer look
            if keep and checks.failed:
                shutil.copytree(work, keep, dirs_exist_ok=True)
    checks.finish()


if __name__ == "__main__":
    main()
