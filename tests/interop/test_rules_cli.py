"""`osprey rules test`: the real binary reads a message on stdin and prints it after a trunk's
header rules (rules_out by default, rules_in with --direction in); a config with a bad rule is
refused with its line; a message the rules cannot make valid is refused, not printed broken.
No server is started.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402

CONFIG = r'''
domains = ["example.net"]

[[trunk]]
name = "carrier"
peer = "sip:sip.carrier.example"

[[trunk.rules_out]]
name = "national numbers to E.164"
methods = ["INVITE"]
when = [{ header = "Request-URI", part = "user", regex = '^0([1-9]\d+)$' }]
actions = [
  { action = "set", header = "Request-URI", part = "user", value = "+44$1" },
  { action = "set", header = "To", part = "user", value = "+44$1" },
]

[[trunk.rules_out]]
name = "PAI to From, nothing internal"
actions = [
  { action = "copy", from = "P-Asserted-Identity", from_part = "uri", header = "From", part = "uri" },
  { action = "remove", header = "X-Internal-Route" },
  { action = "body-replace", regex = '(?m)^(c=IN IP4 )10\.0\.0\.5', value = "$1203.0.113.9" },
]

[[trunk.rules_in]]
name = "no carrier Server header"
message = "response"
actions = [{ action = "remove", header = "Server" }]

[[trunk]]
name = "broken"
peer = "sip:192.0.2.1"

[[trunk.rules_out]]
actions = [{ action = "set", header = "From", part = "host", value = "bad host!" }]
'''

# LF line ends, as an editor writes them: the tool reads them as CRLF.
INVITE = """INVITE sip:02071234567@sbc.example.net SIP/2.0
Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK776asdhds
Max-Forwards: 70
To: <sip:02071234567@sbc.example.net>
From: "Alice" <sip:alice@pbx.internal>;tag=1928301774
Call-ID: a84b4c76e66710@pbx.internal
CSeq: 314159 INVITE
Contact: <sip:alice@10.0.0.5:5060>
P-Asserted-Identity: <sip:+442071112222@pbx.internal>
X-Internal-Route: trunk7
Content-Type: application/sdp
Content-Length: 45

v=0
c=IN IP4 10.0.0.5
m=audio 4 RTP/AVP 0
"""

RINGING = """SIP/2.0 180 Ringing
Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK776asdhds
To: <sip:02071234567@sbc.example.net>;tag=8321234356
From: <sip:alice@pbx.internal>;tag=1928301774
Call-ID: a84b4c76e66710@pbx.internal
CSeq: 314159 INVITE
Server: Carrier-SBC/9
Content-Length: 0

"""


def rules_test(binary, config, trunk, message, *extra):
    # Bytes in and out: text mode would turn the CRLFs osprey prints back into LFs.
    result = subprocess.run([binary, "rules", "test", "--trunk", trunk, "--config", config, *extra],
                            input=message.encode(), capture_output=True, timeout=30)
    return subprocess.CompletedProcess(result.args, result.returncode, result.stdout.decode(),
                                       result.stderr.decode())


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as workdir:
        config = os.path.join(workdir, "osprey.toml")
        with open(config, "w") as f:
            f.write(CONFIG)

        out = rules_test(args.osprey, config, "carrier", INVITE)
        checks.expect(out.returncode == 0, f"rules_out apply ({out.returncode}: {out.stderr.strip()})")
        text = out.stdout
        checks.expect(text.startswith("INVITE sip:+442071234567@sbc.example.net SIP/2.0\r\n"),
                      f"the Request-URI user is E.164 ({text[:80]!r})")
        checks.expect("To: <sip:+442071234567@sbc.example.net>\r\n" in text, "To follows")
        checks.expect('From: "Alice" <sip:+442071112222@pbx.internal>;tag=1928301774\r\n' in text,
                      "PAI's URI is in From, the tag kept")
        checks.expect("X-Internal-Route" not in text, "the internal header is gone")
        checks.expect("c=IN IP4 203.0.113.9\r\n" in text and "10.0.0.5\r\nm=" not in text,
                      "the SDP connection address is rewritten")
        checks.expect("Content-Length: 48\r\n" in text, f"Content-Length follows the body ({text!r})")

        inbound = rules_test(args.osprey, config, "carrier", RINGING, "--direction", "in")
        checks.expect(inbound.returncode == 0 and "Server:" not in inbound.stdout
                      and inbound.stdout.startswith("SIP/2.0 180 Ringing\r\n"),
                      f"rules_in remove Server from a response ({inbound.stdout!r} {inbound.stderr.strip()})")
        untouched = rules_test(args.osprey, config, "carrier", RINGING)
        checks.expect(untouched.returncode == 0 and "Server: Carrier-SBC/9" in untouched.stdout,
                      "rules_out leave the response's Server alone")

        refused = rules_test(args.osprey, config, "broken", INVITE)
        checks.expect(refused.returncode == 1 and refused.stdout == ""
                      and "the rules refuse the message" in refused.stderr,
                      f"an invalid result is refused, nothing printed ({refused.returncode}: {refused.stderr.strip()})")

        unknown = rules_test(args.osprey, config, "nobody", INVITE)
        checks.expect(unknown.returncode == 1 and "no trunk named 'nobody'" in unknown.stderr,
                      f"an unknown trunk is named ({unknown.stderr.strip()})")

        garbage = rules_test(args.osprey, config, "carrier", "not a SIP message\n\n")
        checks.expect(garbage.returncode == 1 and "does not parse" in garbage.stderr,
                      f"a message that does not parse ({garbage.stderr.strip()})")

        with open(config, "w") as f:
            f.write(CONFIG.replace("'^0([1-9]\\d+)$'", "'^0([1-9]\\d+$'"))
        bad = rules_test(args.osprey, config, "carrier", INVITE)
        line = CONFIG.split("\n").index(next(l for l in CONFIG.split("\n") if l.startswith("when ="))) + 1
        checks.expect(bad.returncode == 1 and f"osprey.toml:{line}:" in bad.stderr
                      and "regular expression" in bad.stderr,
                      f"a bad regex is a config error at line {line} ({bad.stderr.strip()})")
    checks.finish()


if __name__ == "__main__":
    main()
