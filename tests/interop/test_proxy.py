"""The stateful proxy (RFC 3261 §16) against a live osprey: bob registers a contact (a raw
REGISTER sent from the port SIPp's UAS then listens on, with that port as its Contact: osprey
sends requests for a binding to its Contact, registrar/binding_hop.hpp), a SIPp UAS answers at that port and a SIPp UAC calls
sip:bob@127.0.0.1 through osprey (INVITE, 180, 200 with Record-Route, ACK and BYE routed back
through osprey): every call must succeed. Also: an unregistered user gets 480, and OPTIONS to
osprey itself is still answered 200 by osprey."""

import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402

UAS_SCENARIO = os.path.join(h.HERE, "scenarios", "call_uas.xml")
UAC_SCENARIO = os.path.join(h.HERE, "scenarios", "call_uac.xml")
CALLS = 20


def final_reply(sock, timeout=3.0):
    """The first final response on sock (provisional ones skipped), or None."""
    sock.settimeout(timeout)
    try:
        while True:
            reply = sock.recvfrom(65535)[0]
            status = h.status_of(reply)
            if status is not None and status >= 200:
                return reply
    except socket.timeout:
        return None


def register_bob(port, uas_port, checks):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(("127.0.0.1", uas_port))
        request = h.register_request(port, "bob", f"<sip:bob@127.0.0.1:{uas_port}>", 600, local_port=uas_port)
        reply = h.udp_exchange(port, request, sock=sock)
        return checks.expect(h.status_of(reply) == 200, f"REGISTER bob from the UAS port: 200 ({h.status_of(reply)})")
    finally:
        sock.close()


def raw_checks(port, checks):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(("127.0.0.1", 0))
        local_port = sock.getsockname()[1]
        sock.sendto(h.invite_request(port, "nobody", local_port), ("127.0.0.1", port))
        reply = final_reply(sock)
        checks.expect(h.status_of(reply) == 480, f"INVITE to an unregistered user: 480 ({h.status_of(reply)})")
        reply = h.udp_exchange(port, h.options_request(port, local_port=local_port), sock=sock)
        checks.expect(h.status_of(reply) == 200, f"OPTIONS to osprey itself: 200 ({h.status_of(reply)})")
    finally:
        sock.close()


def sipp_calls(port, uas_port, work, checks):
    uas = subprocess.Popen(
        ["sipp", "-sf", UAS_SCENARIO, "-i", "127.0.0.1", "-p", str(uas_port), "-m", str(CALLS), "-t", "u1",
         "-nostdin", "-trace_err", "-error_file", os.path.join(work, "uas_errors.log")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=work)
    try:
        uac = h.run(["sipp", f"127.0.0.1:{port}", "-sf", UAC_SCENARIO, "-s", "bob", "-i", "127.0.0.1", "-p", "0",
                     "-m", str(CALLS), "-r", "10", "-t", "u1", "-nostdin", "-timeout", "60s", "-timeout_error",
                     "-trace_err", "-error_file", os.path.join(work, "uac_errors.log")],
                    timeout=90, cwd=work)
        checks.expect(uac.returncode == 0, f"SIPp UAC: {CALLS} calls to bob through osprey succeed "
                                           f"(exit {uac.returncode})")
        if uac.returncode != 0:
            print(uac.stdout[-3000:], uac.stderr[-2000:])
            for name in ("uac_errors.log", "uas_errors.log"):
                path = os.path.join(work, name)
                if os.path.exists(path):
                    with open(path, errors="replace") as f:
                        print(name, f.read()[-3000:])
        try:
            uas.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        checks.expect(uas.returncode == 0, f"SIPp UAS answered {CALLS} calls (exit {uas.returncode})")
    finally:
        if uas.poll() is None:
            uas.kill()
            uas.wait(timeout=10)


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        port = h.free_port()
        uas_port = h.free_port()
        # Two workers: SO_REUSEPORT may hand a response to the worker that did not send the
        # request; it must reach the one holding the client transaction (branch prefix).
        server = h.Osprey(args.osprey, work, h.udp_and_tcp(port), workers=2)
        with server:
            raw_checks(port, checks)
            if register_bob(port, uas_port, checks):
                sipp_calls(port, uas_port, work, checks)
        h.expect_clean_stop(checks, server)
    checks.finish()


if __name__ == "__main__":
    main()
