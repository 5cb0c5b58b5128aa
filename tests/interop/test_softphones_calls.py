"""Calls between real softphones on the example config (RFC 3261 §13-15 through osprey's proxy):
the callee rings and the caller hears 180, the call is answered and hung up from either side; a
call cancelled before the answer; a call refused with 486 Busy Here. Across clients and
transports, including UDP-only phones (linphonec on UDP has no TCP listener) calling and called by
TCP and TLS phones."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
from softphones import Baresip, Lab, Linphone, Twinkle, expect_all_registered  # noqa: E402
from softphones import expect_busy, expect_call, expect_cancelled  # noqa: E402

USERS = ["alice", "bob", "carol", "dave", "erin", "frank"]


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        lab = Lab(args.osprey, work, USERS)
        with lab:
            alice = lab.phone(Baresip, "alice", "udp")
            bob = lab.phone(Linphone, "bob", "tcp")
            carol = lab.phone(Twinkle, "carol", "udp")
            dave = lab.phone(Linphone, "dave", "udp")
            erin = lab.phone(Baresip, "erin", "tls")
            frank = lab.phone(Twinkle, "frank", "tcp")
            phones = [alice, bob, carol, dave, erin, frank]
            for phone in phones:
                phone.start()
            expect_all_registered(checks, phones)

            # Answered, hung up by the callee or the caller.
            expect_call(checks, alice, bob, hangup_by=bob)        # UDP -> TCP
            expect_call(checks, bob, carol, hangup_by=bob)        # TCP -> UDP
            expect_call(checks, carol, erin, hangup_by=erin)      # UDP -> TLS
            expect_call(checks, erin, dave, hangup_by=erin)       # TLS -> UDP-only linphonec
            expect_call(checks, frank, alice, hangup_by=alice)    # TCP -> UDP
            expect_call(checks, dave, frank, hangup_by=frank)     # UDP-only linphonec -> TCP
            expect_call(checks, carol, dave, hangup_by=dave)      # UDP -> UDP-only linphonec
            expect_call(checks, dave, erin, hangup_by=dave)       # UDP-only linphonec -> TLS
            # In-dialog requests toward a Contact nothing listens at reach the phone over its
            # connection (the dialog token names its flow): baresip over TLS names a listening
            # port osprey cannot use, linphonec over TCP its connection's ephemeral port.
            expect_call(checks, erin, carol, hangup_by=carol)     # TLS caller, the callee's BYE
            expect_call(checks, carol, bob, hangup_by=carol)      # TCP callee, the caller's BYE

            # Cancelled while ringing (RFC 3261 §9, §16.10).
            expect_cancelled(checks, dave, frank)
            expect_cancelled(checks, alice, carol)
            expect_cancelled(checks, frank, bob)
            expect_cancelled(checks, bob, alice)

            # Refused busy (486): baresip answers an incoming call it hangs up with 486 (call_hangup).
            expect_busy(checks, carol, alice)
            expect_busy(checks, bob, erin)
        lab.report(checks)
    checks.finish()


if __name__ == "__main__":
    main()
