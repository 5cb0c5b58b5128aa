"""Real softphones register with digest authentication (RFC 3261 §22, RFC 8760) on the example
config: baresip and linphonec over UDP, TCP and TLS, twinkle over UDP and TCP (twinkle 1.10 has
no TLS). Each phone is a separate user with its own client and ports. A phone with a wrong
password is refused, so a registration proves the digest was checked."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
from softphones import Baresip, Lab, Linphone, Twinkle, expect_all_registered  # noqa: E402

PHONES = [(Baresip, "udp"), (Baresip, "tcp"), (Baresip, "tls"),
          (Linphone, "udp"), (Linphone, "tcp"), (Linphone, "tls"),
          (Twinkle, "udp"), (Twinkle, "tcp")]


def main():
    args = h.parse_args()
    checks = h.Failures()
    users = [f"{kind.client}{transport}" for kind, transport in PHONES] + ["mallory"]
    with h.temp_dir() as work:
        lab = Lab(args.osprey, work, users)
        lab.passwords_given["mallory"] = "not-mallorys-password"
        with lab:
            phones = [lab.phone(kind, f"{kind.client}{transport}", transport) for kind, transport in PHONES]
            impostor = lab.phone(Linphone, "mallory", "udp")
            for phone in phones + [impostor]:
                phone.start()
            expect_all_registered(checks, phones)
            checks.expect(not impostor.wait_registered(3.0), "linphone with a wrong password is not registered")
        lab.report(checks)
    checks.finish()


if __name__ == "__main__":
    main()
