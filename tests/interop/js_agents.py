"""The JavaScript SIP libraries of tests/interop/js (JsSIP, SIP.js) as user agents a test drives.

Each agent is one Node process (js/jssip_agent.js or js/sipjs_agent.mjs): it registers over a
ws: or wss: URL with digest credentials, takes commands as JSON lines on stdin and reports
events as JSON lines on stdout (registered, message_received, call_accepted, one `frame` event
per SIP message sent or received...). Every SIP message it sent or received is also on its
stderr, kept in a file that dump() prints when a check failed. Every wait is bounded, and an
agent exits by itself after its lifetime even if the test died.

scripts/bootstrap.sh installs Node and runs `npm ci` in tests/interop/js.
"""

import json
import os
import shutil
import subprocess
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
JS_DIR = os.path.join(HERE, "js")
SCRIPTS = {"jssip": "jssip_agent.js", "sipjs": "sipjs_agent.mjs"}
LIBRARIES = {"jssip": "JsSIP", "sipjs": "SIP.js"}


def missing_prerequisites():
    """Why the agents cannot run here (None when they can): no node, or no `npm ci` yet."""
    if shutil.which("node") is None:
        return "node is not installed (scripts/bootstrap.sh installs it)"
    for package in ("jssip", "sip.js", "ws"):
        if not os.path.isdir(os.path.join(JS_DIR, "node_modules", package)):
            return f"tests/interop/js/node_modules/{package} is missing (run scripts/bootstrap.sh)"
    return None


def node_env(ca_file=None):
    env = dict(os.environ)
    # wss: Node's TLS trusts the test CA on top of the system's (read at Node's start).
    if ca_file:
        env["NODE_EXTRA_CA_CERTS"] = ca_file
    # The libraries' own debug output stays off: the agents trace the SIP messages themselves.
    env.pop("DEBUG", None)
    return env


class Agent:
    """One running JsSIP or SIP.js user agent; use as a context manager (stops it on exit)."""

    def __init__(self, work, name, library, ws_url, uri, password, ca_file=None, lifetime=90, extra_args=()):
        self.name = name  # names the trace file; `user` is the user part of `uri`
        self.user = uri.split(":", 1)[1].split("@", 1)[0]
        self.library = library
        self.trace_path = os.path.join(work, f"{name}.trace")
        self.trace = open(self.trace_path, "w")
        self.events = []
        self.lock = threading.Condition()
        self.process = subprocess.Popen(
            ["node", SCRIPTS[library], "--ws-url", ws_url, "--uri", uri, "--password", password,
             "--lifetime", str(lifetime), *extra_args],
            cwd=JS_DIR, env=node_env(ca_file), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.trace, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def _read(self):
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                event = {"event": "unparsed", "line": line.rstrip("\n")}
            with self.lock:
                self.events.append(event)
                self.lock.notify_all()
        with self.lock:
            self.lock.notify_all()

    def send(self, **command):
        try:
            self.process.stdin.write(json.dumps(command) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass

    def wait_for(self, name, timeout=10.0, **fields):
        """The first event called `name` whose fields include `fields`, waiting up to `timeout`
        seconds for it; None if it does not come (or the agent exited)."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for event in self.events:
                    if event.get("event") == name and all(event.get(k) == v for k, v in fields.items()):
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.process.poll() is not None and not self.reader.is_alive()):
                    return None
                self.lock.wait(min(remaining, 0.2))

    def first_of(self, names, timeout=10.0):
        """The first event whose name is one of `names` (e.g. registered or registration_failed)."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for event in self.events:
                    if event.get("event") in names:
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.process.poll() is not None and not self.reader.is_alive()):
                    return None
                self.lock.wait(min(remaining, 0.2))

    def frames(self, direction):
        """The first lines of the SIP messages sent ("out") or received ("in"), in order."""
        with self.lock:
            return [e["first_line"] for e in self.events
                    if e.get("event") == "frame" and e.get("direction") == direction]

    def named(self, name):
        with self.lock:
            return [e for e in self.events if e.get("event") == name]

    def stop(self, timeout=6.0):
        """Unregisters and exits (quit), killed if it does not within `timeout`. Returns the exit code."""
        if self.process.poll() is None:
            self.send(cmd="quit")
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        try:
            self.process.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        self.reader.join(timeout=5)
        self.trace.close()
        return self.process.returncode

    def dump(self, tail=6000):
        print(f"--- {self.name} ({LIBRARIES[self.library]}): exit {self.process.poll()}, events:")
        with self.lock:
            for event in self.events:
                if event.get("event") != "frame":
                    print("   ", json.dumps(event)[:400])
        if not self.trace.closed:
            self.trace.flush()
        with open(self.trace_path, errors="replace") as f:
            print(f"--- {self.name}: SIP messages (tail)\n" + f.read()[-tail:])
