"""Real softphones registered over TCP stay reachable after osprey closed their idle connection
([limits] connection_idle_timeout, here 3 s): osprey connects to the Contact the phone registered
(RFC 3261 §18.2.2; RFC 5626 §3.3 lets the proxy fall back to the Contact when the flow is gone).
baresip and twinkle send no keep-alives over TCP, so their connections do go idle; the phones
then call and message from a new connection of their own too."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
from softphones import Baresip, Lab, Linphone, Twinkle, expect_all_registered  # noqa: E402
from softphones import expect_call, expect_message  # noqa: E402

USERS = ["alice", "bob", "carol", "dave", "erin"]
IDLE_TIMEOUT = 3


def idle_closes(server):
    return server.read_log().count("closed: idle timeout")


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        lab = Lab(args.osprey, work, USERS, idle_timeout=IDLE_TIMEOUT)
        with lab:
            aor = {user: f"sip:{user}@127.0.0.1" for user in USERS}
            alice = lab.phone(Baresip, "alice", "tcp", contacts=[aor["dave"]])
            bob = lab.phone(Linphone, "bob", "tcp")
            carol = lab.phone(Twinkle, "carol", "tcp")
            dave = lab.phone(Twinkle, "dave", "udp")
            erin = lab.phone(Baresip, "erin", "udp", contacts=[aor["alice"]])
            phones = [alice, bob, carol, dave, erin]
            for phone in phones:
                phone.start()
            expect_all_registered(checks, phones)

            # Every stream phone's connection is closed for idleness before it is called.
            stream_phones = 3
            deadline = time.monotonic() + IDLE_TIMEOUT + 10
            while idle_closes(lab.osprey) < stream_phones and time.monotonic() < deadline:
                time.sleep(0.2)
            checks.expect(idle_closes(lab.osprey) >= stream_phones,
                          f"osprey closed the idle TCP connections ({idle_closes(lab.osprey)} of {stream_phones})")

            expect_call(checks, dave, carol, hangup_by=dave)      # twinkle on TCP, its connection closed
            expect_call(checks, erin, alice, hangup_by=alice)     # baresip on TCP, likewise
            expect_message(checks, erin, alice, "after-idle-to-alice")
            # linphonec on TCP registers its connection's own port as Contact (nothing listens
            # there), notices the close and registers again on a new connection.
            expect_call(checks, dave, bob, hangup_by=bob)
            # The phones whose connection was closed call out on a new one.
            expect_call(checks, carol, dave, hangup_by=carol)
            expect_message(checks, alice, dave, "after-idle-from-alice")
        lab.report(checks)
    checks.finish()


if __name__ == "__main__":
    main()
