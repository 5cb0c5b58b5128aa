"""Real softphones driven headless against a live osprey: baresip, linphonec and twinkle-console.

Each phone runs in its own pseudo-terminal (they are interactive console programs), in its own
process group and temporary HOME, on its own free ports on 127.0.0.1, with no sound device
(baresip: aubridge; linphonec: no capture/playback card; twinkle: the ALSA null device). A test
reads like a scenario: `alice.call(bob.aor)`, `bob.wait_incoming()`, `bob.answer()`... Every
wait is bounded and returns False (or None) on timeout rather than raising, so a test reports
each failed step. `stop()` ends the whole process group, so nothing outlives a test.

A missing client is a failure, not a skip: `scripts/bootstrap.sh` installs all three.
"""

import ctypes
import os
import pty
import re
import shutil
import signal
import socket
import subprocess
import termios
import threading
import time

import osprey_harness as h

EXAMPLE_CONFIG = os.path.join(h.HERE, "..", "..", "examples", "osprey.toml")

# Terminal control sequences (colours, bracketed paste, cursor moves) the clients print.
_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b[=>]")


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_test():
    """In the child before exec: SIGKILL when the test process dies, even by SIGKILL (a ctest
    timeout), since the phone's own session is out of reach of its process group."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def require(program):
    """The path of `program`, or an exception naming the package that provides it."""
    path = shutil.which(program)
    if path is None:
        raise RuntimeError(f"{program} is not installed (scripts/bootstrap.sh installs it)")
    return path


class Console:
    """A console program on a pseudo-terminal: what it prints is collected (escape sequences
    removed) and can be waited for; lines are typed into it."""

    def __init__(self, argv, cwd, env, log_path):
        master, slave = pty.openpty()
        attributes = termios.tcgetattr(slave)
        attributes[3] &= ~termios.ECHO  # what we type is not output the scenario waits for
        termios.tcsetattr(slave, termios.TCSANOW, attributes)
        self.master = master
        self.log = open(log_path, "a", errors="replace")
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env,
                                        start_new_session=True, close_fds=True, preexec_fn=_die_with_test)
        os.close(slave)
        self.text = ""
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO once the program exited and closed the terminal
                return
            if not chunk:
                return
            text = _ESCAPES.sub("", chunk.decode(errors="replace")).replace("\r", "\n")
            with self.lock:
                self.text += text
            self.log.write(text)
            self.log.flush()

    def type(self, line):
        os.write(self.master, (line + "\n").encode())

    def mark(self):
        """A position in the output: wait_for(..., since=mark) looks only at what comes after."""
        with self.lock:
            return len(self.text)

    def wait_for(self, pattern, timeout=10.0, since=0):
        """The first match of the regular expression `pattern` in the output after `since`,
        waiting at most `timeout` seconds; None if it did not appear."""
        expression = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                found = expression.search(self.text, since)
            if found or time.monotonic() >= deadline or self.process.poll() is not None:
                if not found:  # one last look: the program may have printed it as it exited
                    with self.lock:
                        found = expression.search(self.text, since)
                return found
            time.sleep(0.05)

    def running(self):
        return self.process.poll() is None

    def _signal_group(self, sig):
        try:
            os.killpg(self.process.pid, sig)  # start_new_session: the group's id is the leader's pid
        except ProcessLookupError:
            pass

    def stop(self, quit_line=None, grace=3.0):
        """Asks the program to quit, then ends its process group: SIGTERM, then SIGKILL."""
        if self.process.poll() is None and quit_line is not None:
            try:
                self.type(quit_line)
                self.process.wait(timeout=grace)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                pass
        # Whatever is left of the group (the leader if it ignored SIGTERM, or a child it started).
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=5)
        self.reader.join(timeout=2)
        os.close(self.master)
        self.log.close()


class Phone:
    """What every client offers; a subclass writes the client's configuration and knows its
    commands and what it prints. `server`: dict(host, udp_port, tcp_port, tls_port, ca_file)."""

    client = "phone"
    quit_line = "quit"
    call_failed = None  # what the client prints when its outgoing call gets a final error

    def __init__(self, workdir, user, password, transport, server, sip_port, rtp_port, domain="127.0.0.1"):
        self.user = user
        self.password = password
        self.transport = transport
        self.server = server
        self.sip_port = sip_port
        self.rtp_port = rtp_port
        self.domain = domain
        self.aor = f"sip:{user}@{domain}"
        self.home = os.path.join(workdir, f"{self.client}-{user}")
        os.makedirs(self.home, exist_ok=True)
        self.log_path = os.path.join(self.home, "console.log")
        self.console = None
        self.registered = False  # set by the scenario steps that check registration

    def server_port(self):
        return self.server[f"{self.transport}_port"]

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ASAN", "UBSAN", "LSAN"))}
        env.update(HOME=self.home, TERM="dumb", LANG="C.UTF-8", LC_ALL="C.UTF-8")
        return env

    def start(self):
        """Starts the client (again, after stop(): same configuration, same ports)."""
        self.write_config()
        self.console = Console(self.command(), self.home, self.env(), self.log_path)
        return self

    def stop(self):
        if self.console is not None:
            self.console.stop(self.quit_line)
            self.console = None

    def mark(self):
        return self.console.mark()

    def wait_for(self, pattern, timeout=10.0, since=0):
        return self.console.wait_for(pattern, timeout, since) is not None

    def output(self, since=0):
        return self.console.text[since:] if self.console else ""

    def tail(self, chars=3000):
        """The end of what the client printed (for a failure report)."""
        if not os.path.exists(self.log_path):
            return "(not started)"
        with open(self.log_path, errors="replace") as f:
            return f.read()[-chars:]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


class Baresip(Phone):
    """baresip 1.0 with the stdio menu (commands /dial, /accept, /hangup, /message). TLS is
    supported; it sends no keep-alives on TCP/TLS. `contacts`: the AORs of its contacts file, the
    only ones it can send a MESSAGE to (its /message goes to the current contact)."""

    client = "baresip"
    quit_line = "/quit"
    call_failed = r"session closed: [3-6]\d\d"

    def __init__(self, *args, contacts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.contacts = list(contacts)

    def command(self):
        return [require("baresip"), "-f", self.home]

    def write_config(self):
        lines = [
            f"sip_listen 127.0.0.1:{self.sip_port}",
            f"rtp_ports {self.rtp_port}-{self.rtp_port + 9}",
            "audio_player aubridge,bridge-" + self.user,
            "audio_source aubridge,bridge-" + self.user,
            "audio_alert aubridge,alert-" + self.user,
            "module_path /usr/lib/baresip/modules",
            "module stdio.so",
            "module g711.so",
            "module aubridge.so",
            "module_tmp uuid.so",
            "module_tmp account.so",
            "module_app contact.so",
            "module_app menu.so",
        ]
        if self.server.get("ca_file"):
            lines.append(f"sip_cafile {self.server['ca_file']}")
        with open(os.path.join(self.home, "config"), "w") as f:
            f.write("\n".join(lines) + "\n")
        outbound = f"sip:{self.server['host']}:{self.server_port()};transport={self.transport}"
        with open(os.path.join(self.home, "accounts"), "w") as f:
            f.write(f"<sip:{self.user}@{self.domain};transport={self.transport}>;auth_pass={self.password};"
                    f'outbound="{outbound}";regint=300;answermode=manual\n')
        with open(os.path.join(self.home, "contacts"), "w") as f:
            f.writelines(f"<{aor}>\n" for aor in self.contacts)

    def wait_registered(self, timeout=15.0, since=0):
        return self.wait_for(r"\{0/" + self.transport.upper() + r"/v4\} 200 OK", timeout, since)

    def call(self, uri):
        self.console.type(f"/dial {uri}")

    def wait_incoming(self, timeout=10.0, since=0):
        return self.wait_for(r"Incoming call from", timeout, since)

    def wait_ringing(self, timeout=10.0, since=0):
        return self.wait_for(r"Call ringing|180 Ringing", timeout, since)

    def answer(self):
        self.console.type("/accept")

    def wait_established(self, timeout=10.0, since=0):
        return self.wait_for(r"Call established", timeout, since)

    def hangup(self):
        self.console.type("/hangup")

    # An incoming call hung up before answering is refused with 486 (baresip's call_hangup).
    refuse_busy = hangup

    def wait_ended(self, timeout=10.0, since=0):
        return self.wait_for(r"terminated \(duration|session closed", timeout, since)

    def wait_refused(self, status, timeout=10.0, since=0):
        return self.wait_for(rf"session closed: {status}\b", timeout, since)

    def start(self):
        self.current_contact = 0
        return super().start()

    def send_message(self, uri, text):
        # /message goes to the current contact: step through the contacts list to `uri` first.
        target = self.contacts.index(uri)
        while self.current_contact != target:
            step = "/contact_next" if target > self.current_contact else "/contact_prev"
            self.current_contact += 1 if target > self.current_contact else -1
            mark = self.mark()
            self.console.type(step)
            self.console.wait_for(r"Current contact:", 3.0, mark)
        self.console.type(f"/message {text}")

    def wait_message(self, text, timeout=10.0, since=0):
        return self.wait_for(re.escape(text), timeout, since)


class Linphone(Phone):
    """linphonec 5.1 (liblinphone, belle-sip): `call`, `answer`, `terminate`, `chat`. UDP, TCP and
    TLS; on a stream it listens on its own port too (Contact), and on UDP it has no TCP listener.
    It needs HOME/.local/share/linphone; its SIP log goes to linphone.log."""

    client = "linphone"
    call_failed = r"Call \d+ (with|to) \S+ (error|ended)"

    def command(self):
        return [require("linphonec"), "-c", os.path.join(self.home, "linphonerc"), "-d", "6",
                "-l", os.path.join(self.home, "linphone.log")]

    def write_config(self):
        os.makedirs(os.path.join(self.home, ".local", "share", "linphone"), exist_ok=True)
        with open(os.path.join(self.home, ".asoundrc"), "w") as f:
            f.write("pcm.!default { type null }\nctl.!default { type hw card 0 }\n")
        ports = {"udp": 0, "tcp": 0, "tls": 0}
        ports[self.transport] = self.sip_port
        lines = [
            "[sip]",
            f"sip_port={ports['udp']}",
            f"sip_tcp_port={ports['tcp']}",
            f"sip_tls_port={ports['tls']}",
            "register_only_when_network_is_up=0",
            "default_proxy=0",  # without it, `chat` sends from sip:linphone@unknown-host
            "guess_hostname=0",
            "ipv6_enabled=0",
            "verify_server_certs=1",
        ]
        if self.server.get("ca_file"):
            lines.append(f"root_ca={self.server['ca_file']}")
        lines += [
            "[rtp]",
            f"audio_rtp_port={self.rtp_port}",
            "[net]",
            "mtu=1300",
            "[video]",
            "enabled=0",
            "[proxy_0]",
            f"reg_proxy=<sip:{self.server['host']}:{self.server_port()};transport={self.transport}>",
            f'reg_identity="{self.user}" <{self.aor}>',
            "reg_expires=300",
            "reg_sendregister=1",
            "[auth_info_0]",
            f"username={self.user}",
            f"passwd={self.password}",
            f"realm={self.domain}",
            f"domain={self.domain}",
        ]
        with open(os.path.join(self.home, "linphonerc"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self):
        super().start()
        self.console.type("soundcard use files")  # no sound device: audio from and to files
        return self

    def wait_registered(self, timeout=15.0, since=0):
        # linphonec prints nothing on registration; its proxy list shows the state.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mark = self.mark()
            self.console.type("proxy list")
            if self.console.wait_for(r"registered: (yes|no)", 2.0, mark) and \
                    re.search(r"registered: yes", self.output(mark)):
                return True
            time.sleep(0.5)
        return False

    def call(self, uri):
        self.console.type(f"call {uri}")

    def wait_incoming(self, timeout=10.0, since=0):
        return self.wait_for(r"Receiving new incoming call", timeout, since)

    def wait_ringing(self, timeout=10.0, since=0):
        return self.wait_for(r"[Rr]emote ringing|ringing", timeout, since)

    def answer(self):
        self.console.type("answer")

    def wait_established(self, timeout=10.0, since=0):
        return self.wait_for(r"connected\.", timeout, since)

    def hangup(self):
        self.console.type("terminate")

    def wait_ended(self, timeout=10.0, since=0):
        return self.wait_for(r"[Cc]all \d+ .*(ended|error|declined)|Call ended", timeout, since)

    def wait_refused(self, status, timeout=10.0, since=0):
        # The console says only "error."; the status is in its SIP log.
        if not self.wait_for(r"Call \d+ (with|to) \S+ (error|ended)", timeout, since):
            return False
        with open(os.path.join(self.home, "linphone.log"), errors="replace") as f:
            return re.search(rf"(?m)^SIP/2.0 {status} ", f.read()) is not None

    def send_message(self, uri, text):
        self.console.type(f"chat {uri} {text}")

    def wait_message(self, text, timeout=10.0, since=0):
        return self.wait_for(re.escape(text), timeout, since)


class Twinkle(Phone):
    """twinkle-console 1.10: `call`, `answer`, `bye`, `reject`, `message`. UDP and TCP (no TLS in
    1.10); it listens on its SIP port on both. The profile lives in HOME/.twinkle."""

    client = "twinkle"
    call_failed = r"Line \d: call failed"

    def command(self):
        return [require("twinkle-console"), f"{self.user}.cfg"]

    def write_config(self):
        directory = os.path.join(self.home, ".twinkle")
        os.makedirs(directory, exist_ok=True)
        lock = os.path.join(directory, "twinkle.lck")
        if os.path.exists(lock):  # left by the previous run when it was killed
            os.remove(lock)
        with open(os.path.join(self.home, ".asoundrc"), "w") as f:
            f.write("pcm.!default { type null }\n")
        proxy = f"{self.server['host']}:{self.server_port()}"
        profile = [
            f"user_name={self.user}",
            f"user_domain={self.domain}",
            f"auth_realm={self.domain}",
            f"auth_name={self.user}",
            f"auth_pass={self.password}",
            # twinkle adds the scheme itself: no "sip:" here.
            f"outbound_proxy={proxy};transport={self.transport}",
            "all_requests_to_proxy=yes",
            f"registrar={proxy};transport={self.transport}",
            "register_at_startup=yes",
            "registration_time=300",
            f"sip_transport={self.transport}",
        ]
        with open(os.path.join(directory, f"{self.user}.cfg"), "w") as f:
            f.write("\n".join(profile) + "\n")
        system = [
            "dev_ringtone=alsa:default",
            "dev_speaker=alsa:default",
            "dev_mic=alsa:default",
            "validate_audio_dev=no",
            f"sip_udp_port={self.sip_port}",
            f"sip_port={self.sip_port}",
            f"rtp_port={self.rtp_port}",
        ]
        with open(os.path.join(directory, "twinkle.sys"), "w") as f:
            f.write("\n".join(system) + "\n")

    def wait_registered(self, timeout=15.0, since=0):
        return self.wait_for(r"registration succeeded", timeout, since)

    def call(self, uri):
        self.console.type(f"call {uri}")

    def wait_incoming(self, timeout=10.0, since=0):
        return self.wait_for(r"Line \d: incoming call", timeout, since)

    def wait_ringing(self, timeout=10.0, since=0):
        return self.wait_for(r"received 180 Ringing", timeout, since)

    def answer(self):
        self.console.type("answer")

    def wait_established(self, timeout=10.0, since=0):
        return self.wait_for(r"far end answered call|Line \d: call established", timeout, since)

    def hangup(self):
        self.console.type("bye")

    def wait_ended(self, timeout=10.0, since=0):
        return self.wait_for(r"Line \d: (call ended|far end ended call|far end cancelled call|call failed)",
                             timeout, since)

    def wait_refused(self, status, timeout=10.0, since=0):
        return self.wait_for(rf"call failed\.\s*{status} ", timeout, since)

    def send_message(self, uri, text):
        self.console.type(f"message {uri} {text}")

    def wait_message(self, text, timeout=10.0, since=0):
        return self.wait_for(r"Received message[\s\S]*" + re.escape(text), timeout, since)


def free_port_block(size=4):
    """The first of `size` consecutive UDP ports free on 127.0.0.1, starting at an even port (RTP
    takes an even port and RTCP the next one, RFC 3550 §11)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1] & ~1
        if first + size > 65535:
            continue
        sockets = []
        try:
            for port in range(first, first + size):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no free port block")


def example_config(listens, data_dir, idle_timeout=None):
    """examples/osprey.toml (the config `make run` uses: authentication on, default digest
    algorithms) with only what a test must change: its listens on free ports, a temporary
    data_dir, two workers, debug logging, and perhaps a short connection_idle_timeout."""
    with open(EXAMPLE_CONFIG) as f:
        text = f.read()
    blocks = []
    for listen in listens:
        blocks.append("[[listen]]")
        blocks += [f'{key} = "{value}"' if isinstance(value, str) else f"{key} = {value}"
                   for key, value in listen.items()]
        blocks.append("")
    # The example's own [[listen]] tables sit between the top-level keys and [registrar].
    start = re.search(r"(?m)^\[\[listen\]\]", text).start()
    end = re.search(r"(?m)^\[registrar\]", text).start()
    text = text[:start] + "\n".join(blocks) + "\n" + text[end:]
    replacements = [(r"(?m)^workers = .*$", "workers = 2"),
                    (r"(?m)^log_level = .*$", 'log_level = "debug"'),
                    (r"(?m)^data_dir = .*$", f'data_dir = "{data_dir}"')]
    if idle_timeout is not None:
        replacements.append((r"(?m)^connection_idle_timeout = .*$", f"connection_idle_timeout = {idle_timeout}"))
    for pattern, replacement in replacements:
        text, count = re.subn(pattern, replacement, text)
        assert count == 1, f"examples/osprey.toml has no line for {replacement}"
    return text


class Lab:
    """osprey on the example config (UDP and TCP on one free port, TLS on another, with a test
    CA whose certificate names 127.0.0.1 as IP and DNS name, as linphone checks the DNS name),
    its user accounts, and the phones a test makes; a context manager that stops them all."""

    def __init__(self, binary, workdir, users, idle_timeout=None):
        self.workdir = workdir
        self.passwords = {user: f"{user}-secret-42" for user in users}
        self.passwords_given = dict(self.passwords)  # what phones are configured with
        port, tls_port = h.free_port(), h.free_port()
        certs = h.make_certificates(os.path.join(workdir, "pki"),
                                    alt_names="IP:127.0.0.1,DNS:127.0.0.1,DNS:localhost")
        listens = h.udp_and_tcp(port) + [{"transport": "tls", "address": "127.0.0.1", "port": tls_port,
                                          "certificate": certs["cert"], "private_key": certs["key"]}]
        self.server_address = dict(host="127.0.0.1", udp_port=port, tcp_port=port, tls_port=tls_port,
                                   ca_file=certs["ca_cert"])
        # The harness writes its own config; this one is replaced by the example's before start.
        self.osprey = h.Osprey(binary, workdir, [], authentication=True)
        with open(self.osprey.config, "w") as f:
            f.write(example_config(listens, os.path.join(workdir, "data"), idle_timeout))
        h.check(h.import_accounts(binary, self.osprey.config,
                                  {f"{user}@127.0.0.1": password for user, password in self.passwords.items()}))
        self.phones = []

    def phone(self, kind, user, transport, **kwargs):
        """A phone (not started) of class `kind` for `user` on free ports."""
        phone = kind(self.workdir, user, self.passwords_given[user], transport, self.server_address,
                     h.free_port(), free_port_block(), **kwargs)
        self.phones.append(phone)
        return phone

    def restart_osprey(self):
        self.osprey.stop()
        self.osprey.__enter__()

    def __enter__(self):
        self.osprey.__enter__()
        return self

    def __exit__(self, *exc):
        for phone in self.phones:
            try:
                phone.stop()
            except Exception as error:  # stop the others whatever happens to one
                print(f"stopping {phone.client} {phone.user}: {error}")
        self.osprey.stop()
        return False

    def report(self, checks):
        """After the test: osprey stopped cleanly; on failure, the end of every log."""
        checks.expect(self.osprey.exit_code == 0, f"osprey stopped cleanly (exit {self.osprey.exit_code})")
        if checks.failed:
            for phone in self.phones:
                print(f"----- {phone.client} {phone.user} ({phone.transport}): end of its console")
                print(phone.tail(2500))
            print("----- osprey: end of its log")
            print(self.osprey.read_log()[-6000:])


# Scenario steps: each checks one thing a user would see and records it in `checks`
# (osprey_harness.Failures); each returns whether it worked so a test skips what depends on it.

def who(phone):
    return f"{phone.client} {phone.user} ({phone.transport})"


def expect_registered(checks, phone, timeout=15.0, since=0):
    phone.registered = checks.expect(phone.wait_registered(timeout, since), f"{who(phone)} registers with digest")
    return phone.registered


def expect_all_registered(checks, phones, timeout=15.0):
    """Every phone registers (waited for side by side); the list of those that did."""
    results = {}
    threads = [threading.Thread(target=lambda p=phone: results.__setitem__(p, p.wait_registered(timeout)))
               for phone in phones]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for phone in phones:
        phone.registered = checks.expect(results.get(phone, False), f"{who(phone)} registers with digest")
    return [phone for phone in phones if phone.registered]


def ready(checks, what, *phones):
    """Whether every phone a step needs registered; if not, the step fails at once (and does not
    wait for timeouts) naming the phones that did not."""
    missing = [who(phone) for phone in phones if not phone.registered]
    return not missing or checks.expect(False, f"{what}: not tried, not registered: {', '.join(missing)}")


def expect_message(checks, sender, receiver, text):
    if not ready(checks, f"MESSAGE {who(sender)} -> {who(receiver)}", sender, receiver):
        return False
    mark = receiver.mark()
    sender.send_message(receiver.aor, text)
    return checks.expect(receiver.wait_message(text, 10.0, mark), f"MESSAGE {who(sender)} -> {who(receiver)}")


def ring(checks, caller, callee, what):
    """caller dials callee; the callee rings and the caller hears it ringing."""
    caller_mark, callee_mark = caller.mark(), callee.mark()
    caller.call(callee.aor)
    incoming = False
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline and not incoming:
        incoming = callee.wait_incoming(0.2, callee_mark)
        if not incoming and caller.wait_for(caller.call_failed, 0.0, caller_mark):
            break  # a final error answer came back: no need to wait any longer
    ringing = incoming and caller.wait_ringing(5.0, caller_mark)
    return checks.expect(incoming and ringing,
                         f"{what}: {who(callee)} rings ({incoming}), {who(caller)} hears 180 ({ringing})")


def expect_call(checks, caller, callee, hangup_by):
    """A call that is answered, then hung up by `hangup_by` (caller or callee); both ends see it end."""
    what = f"call {who(caller)} -> {who(callee)}"
    if not ready(checks, what, caller, callee) or not ring(checks, caller, callee, what):
        caller.hangup()
        time.sleep(0.5)
        return False
    caller_mark, callee_mark = caller.mark(), callee.mark()
    callee.answer()
    established = callee.wait_established(10.0, callee_mark) and caller.wait_established(10.0, caller_mark)
    if not checks.expect(established, f"{what}: answered, both ends connected"):
        caller.hangup()
        callee.hangup()
        time.sleep(0.5)
        return False
    time.sleep(0.5)  # the ACK reaches the callee before the BYE
    other = callee if hangup_by is caller else caller
    other_mark = other.mark()
    hangup_by.hangup()
    return checks.expect(other.wait_ended(10.0, other_mark),
                         f"{what}: hung up by {hangup_by.user}, {who(other)} sees the call end")


def expect_cancelled(checks, caller, callee):
    """The caller gives up while the callee rings: CANCEL, and the callee stops ringing."""
    what = f"cancelled call {who(caller)} -> {who(callee)}"
    if not ready(checks, what, caller, callee) or not ring(checks, caller, callee, what):
        caller.hangup()
        return False
    callee_mark = callee.mark()
    caller.hangup()
    return checks.expect(callee.wait_ended(10.0, callee_mark), f"{what}: {who(callee)} stops ringing")


def expect_busy(checks, caller, callee):
    """The callee refuses with 486 Busy Here; the caller sees 486."""
    what = f"refused call {who(caller)} -> {who(callee)}"
    if not ready(checks, what, caller, callee) or not ring(checks, caller, callee, what):
        caller.hangup()
        return False
    caller_mark = caller.mark()
    callee.refuse_busy()
    return checks.expect(caller.wait_refused(486, 10.0, caller_mark), f"{what}: {who(caller)} sees 486")
