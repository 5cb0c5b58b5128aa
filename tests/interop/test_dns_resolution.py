#!/usr/bin/env python3
"""RFC 3263 name resolution of the client tools against a real DNS server (dnsmasq).

An osprey listening on TCP only, at a free port, is known to DNS only through NAPTR and SRV:
svc.test.example has no address record, its NAPTR record says SIP over TCP at
_sip._tcp.svc.test.example, whose SRV record names the host and port. `osprey options
sip:svc.test.example --dns-server 127.0.0.1:PORT` must find it (exit 0); without
--dns-server the system's resolvers do not know the name (exit 3); a name the DNS server says
does not exist is an unreachable target (exit 3, "no such domain").

A second osprey with the same DNS server in its [dns] section proxies an OPTIONS for
sip:svc.test.example to the first one the same way: the server's workers resolve like the tools.
fail.test.example has two SRV targets, the first (priority 1) a port where nothing listens: the
tools and the proxy both fail over to the second (RFC 3263 §4.3).
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402


class Dnsmasq:
    """dnsmasq on 127.0.0.1:port answering only from `records`, for names under test.example."""

    def __init__(self, directory, records):
        self.port = h.free_port()
        self.config = os.path.join(directory, "dnsmasq.conf")
        self.log_path = os.path.join(directory, "dnsmasq.log")
        lines = [f"port={self.port}", "listen-address=127.0.0.1", "bind-interfaces", "no-resolv", "no-hosts",
                 "keep-in-foreground", "local=/test.example/", "local-ttl=5", "pid-file="]
        if os.getuid() == 0:
            lines.append("user=root")  # the default user may not exist
        with open(self.config, "w") as f:
            f.write("\n".join(lines + list(records)) + "\n")
        self.process = None

    def __enter__(self):
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(["dnsmasq", f"--conf-file={self.config}"], stdout=self.log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("dnsmasq exited at start:\n" + open(self.log_path).read())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        self.__exit__()
        raise RuntimeError("dnsmasq did not start in 10 s")

    def __exit__(self, *exc):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()
        return False


def final_reply(port, payload, timeout=10.0):
    """Sends one datagram to 127.0.0.1:port and returns the first final response (bytes) or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.sendto(payload.replace(b"LOCALPORT", str(sock.getsockname()[1]).encode()), ("127.0.0.1", port))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                reply = sock.recvfrom(65535)[0]
            except socket.timeout:
                return None
            if h.status_of(reply) >= 200:
                return reply
    return None


def options_for(host):
    return (f"OPTIONS sip:{host} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:LOCALPORT;branch=z9hG4bK{uuid.uuid4().hex};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:probe@127.0.0.1>;tag={uuid.uuid4().hex[:8]}\r\n"
            f"To: <sip:{host}>\r\n"
            f"Call-ID: {uuid.uuid4().hex}\r\n"
            "CSeq: 1 OPTIONS\r\n"
            "Content-Length: 0\r\n\r\n").encode()


def main():
    args = h.parse_args()
    checks = h.Failures()
    if shutil.which("dnsmasq") is None:
        print("dnsmasq is not installed (scripts/bootstrap.sh installs dnsmasq-base)")
        sys.exit(1)
    with h.temp_dir() as directory:
        sip_port = h.free_port()
        dead_port = h.free_port()
        records = [
            "naptr-record=fail.test.example,10,10,S,SIP+D2T,,_sip._tcp.fail.test.example",
            f"srv-host=_sip._tcp.fail.test.example,server.test.example,{dead_port},1,10",
            f"srv-host=_sip._tcp.fail.test.example,server.test.example,{sip_port},2,10",
            "naptr-record=svc.test.example,10,10,S,SIP+D2T,,_sip._tcp.svc.test.example",
            f"srv-host=_sip._tcp.svc.test.example,server.test.example,{sip_port},1,10",
            "host-record=server.test.example,127.0.0.1",
        ]
        server = h.Osprey(args.osprey, directory, [{"transport": "tcp", "address": "127.0.0.1", "port": sip_port}],
                          domains=("127.0.0.1", "localhost", "svc.test.example", "fail.test.example"))
        with Dnsmasq(directory, records) as dns, server:
            dns_server = f"127.0.0.1:{dns.port}"
            found = h.run([args.osprey, "options", "sip:svc.test.example", "--dns-server", dns_server,
                           "--timeout", "10"], timeout=60)
            checks.expect(found.returncode == 0 and "200" in found.stdout,
                          f"options sip:svc.test.example reaches osprey through NAPTR and SRV "
                          f"(exit {found.returncode}, out {found.stdout!r}, err {found.stderr!r})")

            failover = h.run([args.osprey, "options", "sip:fail.test.example", "--dns-server", dns_server,
                              "--timeout", "10"], timeout=60)
            checks.expect(failover.returncode == 0 and "200" in failover.stdout,
                          f"options sip:fail.test.example skips the dead priority-1 target for the second "
                          f"(exit {failover.returncode}, out {failover.stdout!r}, err {failover.stderr!r})")

            # The same name with an explicit port skips NAPTR and SRV (RFC 3263 §4.2): there
            # is no address record for it, so nothing is reachable.
            direct = h.run([args.osprey, "options", f"sip:svc.test.example:{sip_port}", "--dns-server", dns_server,
                            "--timeout", "5"], timeout=60)
            checks.expect(direct.returncode == 3,
                          f"with an explicit port only A/AAAA are asked, and there are none "
                          f"(exit {direct.returncode}, err {direct.stderr!r})")

            missing = h.run([args.osprey, "options", "sip:nosuch.test.example", "--dns-server", dns_server,
                             "--timeout", "5"], timeout=60)
            checks.expect(missing.returncode == 3 and "no such domain" in missing.stderr,
                          f"a name that does not exist is unreachable (exit {missing.returncode}, "
                          f"err {missing.stderr!r})")

            bad = h.run([args.osprey, "options", "sip:svc.test.example", "--dns-server", "dns.example.com"],
                        timeout=60)
            checks.expect(bad.returncode == 2, f"--dns-server needs an IP address (exit {bad.returncode}, "
                                               f"err {bad.stderr!r})")

            front_directory = os.path.join(directory, "front")
            os.makedirs(front_directory)
            front_port = h.free_port()
            front = h.Osprey(args.osprey, front_directory, h.udp_and_tcp(front_port),
                             extra_toml=f'[dns]\nservers = ["{dns_server}"]\ntimeout_ms = 500\n')
            with front:
                reply = final_reply(front_port, options_for("svc.test.example"))
                checks.expect(reply is not None and h.status_of(reply) == 200,
                              "a server with [dns] servers proxies to the target NAPTR and SRV name: "
                              + (reply.decode(errors="replace").split("\r\n")[0] if reply else "no answer"))
                reply = final_reply(front_port, options_for("fail.test.example"))
                checks.expect(reply is not None and h.status_of(reply) == 200,
                              "the proxy fails over from the dead priority-1 SRV target to the second: "
                              + (reply.decode(errors="replace").split("\r\n")[0] if reply else "no answer"))
            checks.expect(front.exit_code == 0, f"the proxying osprey stopped cleanly (exit {front.exit_code})")
        checks.expect(server.exit_code == 0, f"osprey stopped cleanly (exit {server.exit_code})")
    checks.finish()


if __name__ == "__main__":
    main()
