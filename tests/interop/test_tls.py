"""TLS (sips:, RFC 3261 §26.2) against a live osprey: sipsak OPTIONS over UDP, TCP and TLS,
openssl s_client handshake checks, and certificate reload without restart: a new connection
sees the new certificate while a connection opened before keeps working."""

import os
import shutil
import signal
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402


def s_client(port, ca_file, extra=()):
    return h.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", ca_file,
                  "-verify_return_error", "-servername", "localhost", *extra], timeout=20, input="")


def subject_seen(port, ca_file):
    result = s_client(port, ca_file)
    for line in result.stdout.splitlines():
        if line.startswith("subject="):
            return line.split("=", 1)[1].strip()
    return None


def tls_options(conn, port):
    request = h.options_request(port, "TLS", conn.getsockname()[1])
    conn.sendall(request)
    data = b""
    deadline = time.monotonic() + 5
    while b"\r\n\r\n" not in data and time.monotonic() < deadline:
        chunk = conn.recv(65535)
        if not chunk:
            break
        data += chunk
    return h.status_of(data)


def install(certs, cert_path, key_path):
    """Replaces the served files the way renewal tools do: write aside, then rename over."""
    for source, target in ((certs["key"], key_path), (certs["cert"], cert_path)):
        shutil.copy(source, target + ".new")
        os.replace(target + ".new", target)


def main():
    args = h.parse_args()
    checks = h.Failures()
    with h.temp_dir() as work:
        ca = h.make_certificates(os.path.join(work, "pki"), "first", subject_cn="osprey-first")
        served_cert = os.path.join(work, "cert.pem")
        served_key = os.path.join(work, "key.pem")
        install(ca, served_cert, served_key)
        port, tls_port = h.free_port(), h.free_port()
        listens = [{"transport": "udp", "address": "127.0.0.1", "port": port},
                   {"transport": "tcp", "address": "127.0.0.1", "port": port},
                   {"transport": "tls", "address": "127.0.0.1", "port": tls_port,
                    "certificate": served_cert, "private_key": served_key}]
        with h.Osprey(args.osprey, work, listens) as server:
            for transport, target_port in (("udp", port), ("tcp", port), ("tls", tls_port)):
                cmd = ["sipsak", "-s", f"sip:127.0.0.1:{target_port}", f"--transport={transport}", "-vv"]
                if transport == "tls":
                    cmd.append(f"--tls-ca-cert={ca['ca_cert']}")
                result = h.run(cmd, timeout=60)
                checks.expect(result.returncode == 0 and "200" in result.stdout,
                              f"sipsak OPTIONS over {transport}: 200 (exit {result.returncode})")
                if result.returncode != 0:
                    print(result.stdout[-1500:], result.stderr[-500:])

            result = s_client(tls_port, ca["ca_cert"], ["-brief"])
            text = result.stdout + result.stderr
            checks.expect(result.returncode == 0 and "Verification: OK" in text,
                          "openssl s_client: handshake verifies against the test CA")
            result = s_client(tls_port, ca["ca_cert"], ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"])
            checks.expect(result.returncode != 0, "TLS 1.1 is refused (TLS 1.2 minimum)")
            checks.expect(subject_seen(tls_port, ca["ca_cert"]) is not None and
                          "osprey-first" in subject_seen(tls_port, ca["ca_cert"]),
                          "the first certificate is served")

            context = ssl.create_default_context(cafile=ca["ca_cert"])
            with socket.create_connection(("127.0.0.1", tls_port), timeout=5) as raw, \
                    context.wrap_socket(raw, server_hostname="localhost") as old_conn:
                checks.expect(tls_options(old_conn, tls_port) == 200, "OPTIONS over a TLS connection: 200")

                # Renewal in place: new files, no signal. The file watcher picks them up.
                second = h.make_certificates(os.path.join(work, "pki"), "second", ca=ca,
                                             subject_cn="osprey-second")
                install(second, served_cert, served_key)
                subject = None
                deadline = time.monotonic() + 15
                while time.monotonic() < deadline:
                    subject = subject_seen(tls_port, ca["ca_cert"])
                    if subject and "osprey-second" in subject:
                        break
                    time.sleep(0.5)
                checks.expect(subject is not None and "osprey-second" in subject,
                              f"after the files change a new connection gets the new certificate ({subject})")
                checks.expect(tls_options(old_conn, tls_port) == 200,
                              "the connection opened before the reload still works")

                # A broken key must not take TLS down: the previous certificate stays.
                with open(served_key, "w") as f:
                    f.write("-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n")
                time.sleep(4)
                subject = subject_seen(tls_port, ca["ca_cert"])
                checks.expect(subject is not None and "osprey-second" in subject,
                              "a broken key file keeps the previous certificate in service")

                # SIGHUP reloads at once.
                third = h.make_certificates(os.path.join(work, "pki"), "third", ca=ca, subject_cn="osprey-third")
                install(third, served_cert, served_key)
                server.process.send_signal(signal.SIGHUP)
                time.sleep(0.5)
                subject = subject_seen(tls_port, ca["ca_cert"])
                checks.expect(subject is not None and "osprey-third" in subject,
                              f"SIGHUP reloads the certificate ({subject})")
                checks.expect(tls_options(old_conn, tls_port) == 200, "the old connection survives SIGHUP too")
            log = server.read_log()
            checks.expect("TLS certificate reloaded" in log, "the reload is logged")
            checks.expect("not reloaded" in log, "the failed reload is logged")
        checks.expect(server.exit_code == 0, f"osprey stopped cleanly (exit {server.exit_code})")
        if server.exit_code != 0:
            print(server.read_log()[-4000:])
    checks.finish()


if __name__ == "__main__":
    main()
