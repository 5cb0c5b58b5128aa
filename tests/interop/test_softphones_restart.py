"""Real softphones keep working across an osprey restart: their bindings are on disk (the
location store), so calls and messages reach them without a new REGISTER, whether they
registered over UDP or over a TCP/TLS connection that the restart closed (osprey then opens a
connection to the phone's Contact, RFC 3261 §18.1.1 / §18.2.2). A message stored for a phone that
is off before the restart is delivered when it starts after it."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
from softphones import Baresip, Lab, Linphone, Twinkle, expect_all_registered  # noqa: E402
from softphones import expect_busy, expect_call, expect_cancelled, expect_message, ready, who  # noqa: E402

USERS = ["alice", "bob", "carol", "dave", "eve"]


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        lab = Lab(args.osprey, work, USERS)
        with lab:
            aor = {user: f"sip:{user}@127.0.0.1" for user in USERS}
            alice = lab.phone(Baresip, "alice", "tcp", contacts=[aor["bob"], aor["carol"]])
            bob = lab.phone(Linphone, "bob", "udp")
            carol = lab.phone(Twinkle, "carol", "tcp")
            dave = lab.phone(Twinkle, "dave", "udp")
            eve = lab.phone(Linphone, "eve", "udp")  # off until after the restart
            phones = [alice, bob, carol, dave]
            for phone in phones:
                phone.start()
            expect_all_registered(checks, phones)
            expect_call(checks, dave, carol, hangup_by=carol)
            stored = ready(checks, f"MESSAGE {who(dave)} -> {who(eve)} (off)", dave)
            if stored:
                dave.send_message(eve.aor, "stored-before-restart")
                time.sleep(1.5)  # twinkle prints nothing when its MESSAGE is accepted (202)

            lab.restart_osprey()
            log = lab.osprey.read_log()
            checks.expect("4 binding(s) of 4 AOR(s) loaded" in log,
                          "after the restart osprey loads the 4 phones' bindings from disk")

            # No phone registers again (register intervals of 300 s): osprey finds them by the
            # bindings it loaded, over UDP or by connecting to the Contact of a stream phone.
            expect_call(checks, dave, carol, hangup_by=dave)      # to a TCP phone whose connection closed
            expect_call(checks, carol, bob, hangup_by=carol)      # from it, on a new connection
            expect_call(checks, bob, dave, hangup_by=bob)         # UDP to UDP
            expect_message(checks, dave, alice, "after-restart-to-alice")   # to a TCP baresip
            expect_message(checks, alice, carol, "after-restart-to-carol")  # TCP to TCP
            expect_message(checks, bob, dave, "after-restart-to-dave")      # UDP to UDP
            expect_cancelled(checks, bob, dave)
            expect_busy(checks, dave, alice)

            if stored:
                eve.start()
                checks.expect(eve.wait_message("stored-before-restart", 20.0),
                              "a MESSAGE stored before the restart reaches its phone when it starts after it")
        lab.report(checks)
    checks.finish()


if __name__ == "__main__":
    main()
