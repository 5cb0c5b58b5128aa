"""Instant messages (RFC 3428) between real softphones on the example config: a MESSAGE both ways
between online users of different clients and transports, and a MESSAGE to a user whose phone is
off, delivered by osprey's store-and-forward when that phone starts and registers."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
from softphones import Baresip, Lab, Linphone, Twinkle, expect_all_registered, ready, who  # noqa: E402
from softphones import expect_message  # noqa: E402

USERS = ["alice", "bob", "carol", "dave", "erin", "frank"]


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        lab = Lab(args.osprey, work, USERS)
        with lab:
            aor = {user: f"sip:{user}@127.0.0.1" for user in USERS}
            alice = lab.phone(Baresip, "alice", "udp", contacts=[aor["bob"], aor["carol"], aor["dave"]])
            bob = lab.phone(Linphone, "bob", "tcp")
            carol = lab.phone(Twinkle, "carol", "udp")
            # Off at first: messages for them wait in osprey's store.
            dave = lab.phone(Linphone, "dave", "udp")
            erin = lab.phone(Twinkle, "erin", "tcp")
            frank = lab.phone(Baresip, "frank", "tls")

            for phone in (alice, bob, carol):
                phone.start()
            expect_all_registered(checks, [alice, bob, carol])

            for sender, receiver in ((alice, bob), (bob, alice), (bob, carol), (carol, bob),
                                     (carol, alice), (alice, carol)):
                expect_message(checks, sender, receiver, f"hello-{receiver.user}-from-{sender.user}")

            offline = [(alice, dave), (bob, erin), (carol, frank)]
            sent = []
            for sender, receiver in offline:
                if ready(checks, f"MESSAGE {who(sender)} -> {who(receiver)} (off)", sender):
                    sender.send_message(receiver.aor, f"stored-for-{receiver.user}-from-{sender.user}")
                    sent.append((sender, receiver))
            for _, receiver in sent:
                receiver.start()
            for sender, receiver in sent:
                text = f"stored-for-{receiver.user}-from-{sender.user}"
                checks.expect(receiver.wait_message(text, 20.0),
                              f"MESSAGE {who(sender)} -> {who(receiver)}, sent while its phone was off, "
                              "arrives when it starts")
        lab.report(checks)
    checks.finish()


if __name__ == "__main__":
    main()
