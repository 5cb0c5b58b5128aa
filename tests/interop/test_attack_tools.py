"""The attack tools of Debian's sipvicious against a live osprey, each bound to its own
loopback address (-b 127.0.0.x) so the test can see that the attacker is banned while
127.0.0.1 is still served.

  On the defaults:
  1. svmap finds nothing: its OPTIONS (User-Agent friendly-scanner) gets no answer.
  2. svcrack against alice with a 1,000-word list holding her password at line 500 never finds
     it: its first request gets no answer and it gives up. That one datagram does not ban its
     source (a scanner User-Agent in a datagram, whose source could be forged, counts toward a
     ban like a failure; test_ban_flood.py shows that several ban).
  With the scanner filter off ([security] scanner_user_agents = []), so the digest defences are
  what is tested:
  3. svcrack gets challenges, fails, and is banned after at most [security.bans] threshold
     failures: it never finds the password; `osprey ban list` names it and `osprey ban del`
     lifts the ban.
  4. svwar over 500 extensions (REGISTER, then INVITE) reports none, though three of them exist.
  5. A flood from one source over [security.rate_limit] gets 503 with Retry-After, then silence,
     while another source is answered at once.
"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402
import sip_digest as d  # noqa: E402

PASSWORD = "correct-horse-42"
# svcrack 0.3.3 ignores -b and sends from 0.0.0.0:5060, so on loopback its source is 127.0.0.1;
# the "still served" checks therefore come from another loopback address.
SVCRACK_SOURCE = "127.0.0.1"
BYSTANDER = "127.0.0.9"
THRESHOLD = 10
EXTENSIONS = ("200", "333", "450")


def add_accounts(binary, config):
    lines = [f"sip:alice@127.0.0.1 {PASSWORD}"] + [f"sip:{e}@127.0.0.1 pw-{e}" for e in EXTENSIONS]
    return h.run([binary, "user", "import", "--config", config], input="\n".join(lines) + "\n")


def wordlist(work):
    path = os.path.join(work, "words.txt")
    words = [f"guess{i:04d}" for i in range(1000)]
    words[499] = PASSWORD
    with open(path, "w") as f:
        f.write("\n".join(words) + "\n")
    return path


def options_status(port, source="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        reply = h.udp_exchange(port, h.options_request(port, local_port=sock.getsockname()[1]), sock=sock)
        return h.status_of(reply)


def ban_list(binary, config):
    return h.run([binary, "ban", "list", "--config", config]).stdout


def wait_banned(binary, config, address, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if address in ban_list(binary, config):
            return True
        time.sleep(0.2)
    return False


def svcrack(port, source, words, timeout=90):
    return h.run(["svcrack", "-u", "alice", "-d", words, "-b", source, "-p", str(port), "--maximumtime", "5",
                  "127.0.0.1"], timeout=timeout)


def case_defaults(binary, work, checks):
    port = h.free_port()
    os.makedirs(work + "/defaults", exist_ok=True)
    server = h.Osprey(binary, work + "/defaults", h.udp_and_tcp(port), authentication=True)
    checks.expect(add_accounts(binary, server.config).returncode == 0, "accounts imported")
    words = wordlist(work)
    with server:
        result = h.run(["svmap", "-b", "127.0.0.2", "-p", str(port), "127.0.0.1"], timeout=60)
        checks.expect("127.0.0.1" not in result.stdout.replace(f"-p {port}", ""),
                      f"svmap finds no SIP device: {result.stdout.strip()!r}")
        result = svcrack(port, SVCRACK_SOURCE, words)
        checks.expect(PASSWORD not in result.stdout + result.stderr, "svcrack does not find alice's password")
        # svcrack gives up after its first unanswered request: one datagram, whose source could
        # be anyone's, is no ground for a ban (test_ban_flood.py shows that several are).
        checks.expect(SVCRACK_SOURCE not in ban_list(binary, server.config),
                      f"svcrack's one datagram bans nobody: {ban_list(binary, server.config).strip()!r}")
        checks.expect(options_status(port, BYSTANDER) == 200, f"{BYSTANDER} is still answered")
    h.expect_clean_stop(checks, server)


def failures_from(log, address):
    return sum(1 for line in log.splitlines() if "authentication failed" in line and f"from {address}:" in line)


def case_no_scanner_filter(binary, work, checks):
    port = h.free_port()
    os.makedirs(work + "/digest", exist_ok=True)
    # The attacker's best case: MD5 first, the only algorithm svcrack computes.
    extra = ("[security]\nscanner_user_agents = []\ndigest_algorithms = [\"MD5\", \"SHA-256\"]\n"
             f"[security.bans]\nthreshold = {THRESHOLD}\n"
             "[security.rate_limit]\nrequests_per_second = 20\nburst = 20\nexempt = [\"127.0.0.1\"]\n")
    server = h.Osprey(binary, work + "/digest", h.udp_and_tcp(port), extra_toml=extra, authentication=True)
    checks.expect(add_accounts(binary, server.config).returncode == 0, "accounts imported")
    words = wordlist(work)
    with server:
        # svwar first: a REGISTER challenge is no failure, so enumerating bans nobody; it must
        # simply learn nothing. -t slows it under the rate limit of its source.
        for method in ("REGISTER", "INVITE"):
            source = "127.0.0.4" if method == "REGISTER" else "127.0.0.5"
            result = h.run(["svwar", "--force", "-e", "100-599", "-m", method, "-b", source, "-p", str(port), "-t", "0.06",
                            "--maximumtime", "5", "127.0.0.1"], timeout=120)
            output = result.stdout + result.stderr
            found = [e for e in EXTENSIONS if f"| {e} " in output or f"|{e} " in output]
            # svwar got answers (a dead server is "socket error: timed out") and found nothing.
            checks.expect(not found and "found nothing" in output and "socket error" not in output,
                          f"svwar -m {method} over 500 extensions cannot tell the 3 real ones: {found} "
                          f"{output.strip()[-300:]!r}")
        result = svcrack(port, SVCRACK_SOURCE, words)
        checks.expect(PASSWORD not in result.stdout + result.stderr,
                      f"svcrack does not find the password: {result.stdout.strip()[-200:]!r}")
        checks.expect(wait_banned(binary, server.config, SVCRACK_SOURCE), "svcrack's source is banned")
        failures = failures_from(server.read_log(), SVCRACK_SOURCE)
        checks.expect(0 < failures <= THRESHOLD, f"banned after at most {THRESHOLD} failures ({failures})")
        checks.expect(options_status(port, SVCRACK_SOURCE) is None, "the banned source gets no answer")
        checks.expect(options_status(port, BYSTANDER) == 200, f"{BYSTANDER} is still answered")
        deleted = h.run([binary, "ban", "del", SVCRACK_SOURCE, "--config", server.config])
        checks.expect(deleted.returncode == 0, f"osprey ban del {SVCRACK_SOURCE} ({deleted.stdout.strip()})")
        deadline = time.monotonic() + 5
        status = None
        while time.monotonic() < deadline and status != 200:
            time.sleep(0.3)
            status = options_status(port, SVCRACK_SOURCE)
        checks.expect(status == 200, f"after ban del, {SVCRACK_SOURCE} is answered again ({status})")

        # A flood from 127.0.0.7 beyond 20/s: 503 with Retry-After, then nothing; 127.0.0.1 is fine.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.7", 0))
            local = sock.getsockname()[1]
            for _ in range(200):
                sock.sendto(h.options_request(port, local_port=local), ("127.0.0.1", port))
            sock.settimeout(1.0)
            replies = []
            try:
                while True:
                    replies.append(sock.recvfrom(65535)[0])
            except socket.timeout:
                pass
        statuses = [h.status_of(r) for r in replies]
        limited = [r for r in replies if h.status_of(r) == 503]
        checks.expect(0 < statuses.count(200) <= 40 and limited and len(replies) < 100,
                      f"a flood of 200 gets at most about the burst answered, a few 503, the rest dropped "
                      f"({statuses.count(200)} 200, {len(limited)} 503, {len(replies)} replies)")
        checks.expect(all(h.header(r, "Retry-After") for r in limited), "every 503 carries Retry-After")
        checks.expect(options_status(port) == 200, "another source is answered during the flood")
    h.expect_clean_stop(checks, server)


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        case_defaults(args.osprey, work, checks)
        case_no_scanner_filter(args.osprey, work, checks)
    checks.finish()


if __name__ == "__main__":
    main()
