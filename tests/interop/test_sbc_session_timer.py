"""RFC 4028 session timers through osprey's SBC, against SIPp on both legs, with the shortest
interval the configuration allows (`[trunk.session_timers] session_expires = 90`, min_se 90):

  Neither SIPp runs a timer of its own, so osprey is the refresher on both legs (RFC 4028 §9,
  and its policy for peers without timer support). At half the interval each leg gets osprey's
  own refresh: a re-INVITE repeating the session as osprey last described it on that leg (the
  trunk gets the caller's offer again, the caller the trunk's answer), with Session-Expires;
  each is answered and ACKed on its own leg, nothing crosses to the other leg, and the call goes
  on until the caller's BYE. About 50 s. (Expiry and a failed refresh ending both legs with BYE
  and Reason are in tests/unit/sbc/b2bua_test.cpp, on a fake clock.)
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
from test_proxy_calls import Sipp, received_messages, headers_named  # noqa: E402

ARGS = h.parse_args()


class LongSipp(Sipp):
    """test_proxy_calls.Sipp with a global timeout long enough for a refresh at 45 s."""

    def __init__(self, work, name, args):  # noqa: super().__init__ would start a 30 s SIPp
        self.name = name
        self.work = work
        self.errors = os.path.join(work, f"{name}_errors.log")
        self.messages = os.path.join(work, f"{name}_messages.log")
        self.cmd = ["sipp", *args, "-i", "127.0.0.1", "-t", "u1", "-nostdin", "-timeout", "80s", "-timeout_error",
                    "-trace_err", "-error_file", self.errors, "-trace_msg", "-message_file", self.messages]
        self.process = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=work)
        self.stdout = self.stderr = ""
SIPP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sipp")


def main():
    checks = h.Failures()
    with h.temp_dir() as work:
        port = h.free_port()
        uas_port = h.free_port()
        extra = f"""
[security]
digest_algorithms = ["MD5", "SHA-256"]

[dialplan]
[[dialplan.group]]
name = "uk"
members = ["sip:alice@127.0.0.1"]
allow = ["+44"]

[[dialplan.route]]
prefix = "+44"
trunks = ["carrier"]

[[trunk]]
name = "carrier"
peer = "sip:127.0.0.1:{uas_port}"
sources = ["127.0.0.1"]
[trunk.session_timers]
session_expires = 90
min_se = 90
"""
        server = h.Osprey(ARGS.osprey, work, h.udp_and_tcp(port), extra_toml=extra, workers=2,
                          authentication=True, domains=("127.0.0.1",))
        h.check(h.import_accounts(ARGS.osprey, server.config, {"sip:alice@127.0.0.1": "alice-secret"}))
        with server:
            uas = LongSipp(work, "trunk", ["-sf", os.path.join(SIPP, "sbc_timer_uas.xml"), "-p", str(uas_port),
                                           "-m", "1"])
            time.sleep(0.3)
            started = time.monotonic()
            uac = LongSipp(work, "alice", ["-sf", os.path.join(SIPP, "sbc_timer_uac.xml"), "-s", "+442071234567",
                                           "-au", "alice", "-ap", "alice-secret", "-m", "1", f"127.0.0.1:{port}"])
            code = uac.wait(85)
            uas_code = uas.wait(15)
            elapsed = time.monotonic() - started
            if not checks.expect(code == 0 and uas_code == 0,
                                 f"SIPp: both legs refreshed by osprey, then BYE ({code}, {uas_code}, {elapsed:.0f} s)"):
                uac.dump()
                uas.dump()
            else:
                trunk_got = received_messages(uas)
                caller_got = received_messages(uac)
                invites = [m for m in trunk_got if m.startswith("INVITE ")]
                checks.expect(len(invites) == 2, f"the trunk got the call and one refresh ({len(invites)} INVITEs)")
                first_se = (headers_named(invites[0], "Session-Expires") or [""])[0] if invites else ""
                checks.expect(first_se.startswith("90"), f"the trunk's leg asks for 90 s ({first_se!r})")
                if len(invites) == 2:
                    refresh = invites[1]
                    checks.expect("m=audio 4000" in refresh,
                                  "the trunk's refresh repeats the caller's offer osprey sent on that leg")
                    checks.expect(bool(headers_named(refresh, "Session-Expires")),
                                  "the trunk's refresh carries Session-Expires")
                refreshes = [m for m in caller_got if m.startswith("INVITE ")]
                checks.expect(len(refreshes) == 1 and "m=audio 6000" in refreshes[0],
                              "the caller's refresh repeats the trunk's answer osprey sent on that leg")
                checks.expect(35 <= elapsed, f"the refreshes came at about half the interval ({elapsed:.0f} s)")
        h.expect_clean_stop(checks, server)
    checks.finish()


if __name__ == "__main__":
    main()
