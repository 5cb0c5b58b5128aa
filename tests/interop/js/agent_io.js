'use strict';
// What the JsSIP and SIP.js agents share: their options, the line protocol with the Python test
// (commands as JSON lines on stdin, events as JSON lines on stdout), a bounded lifetime, and the
// WebSocket class both libraries construct.
//
// Node has no WebSocket of its own (before Node 22), and both libraries call the browser's
// `new WebSocket(url, 'sip')` (RFC 7118 §4: the client offers the "sip" subprotocol). The `ws`
// package provides that class; TracedWebSocket adds one event per SIP message sent or received
// (its first line) and the whole message on stderr, so a failing test shows the exchange.
// For wss:, Node's TLS trusts the certificates in NODE_EXTRA_CA_CERTS (the test CA).

const readline = require('readline');
const { parseArgs } = require('util');
const WebSocket = require('ws');

function options(extra = {}) {
  const { values } = parseArgs({
    options: {
      'ws-url': { type: 'string' },
      uri: { type: 'string' },
      password: { type: 'string' },
      // The agent exits by itself after this many seconds, whatever happens.
      lifetime: { type: 'string', default: '60' },
      // The registration's Expires the library asks for.
      expires: { type: 'string', default: '600' },
      ...extra
    }
  });
  for (const required of ['ws-url', 'uri', 'password']) {
    if (!values[required]) {
      process.stderr.write(`missing --${required}\n`);
      process.exit(2);
    }
  }
  return values;
}

function emit(event) {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function trace(direction, data) {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString();
  process.stderr.write(`${new Date().toISOString()} ${direction}\n${text}\n`);
  const firstLine = text.split('\r\n', 1)[0];
  emit({ event: 'frame', direction: direction === '>>>' ? 'out' : 'in', first_line: firstLine });
}

class TracedWebSocket extends WebSocket {
  constructor(url, protocols, wsOptions) {
    super(url, protocols, wsOptions);
    this.on('open', () => emit({ event: 'ws_open', url, protocol: this.protocol }));
    this.on('close', (code) => emit({ event: 'ws_close', code }));
    this.on('error', (error) => emit({ event: 'ws_error', message: String(error && error.message) }));
    this.on('message', (data) => trace('<<<', data));
  }

  send(data, ...rest) {
    trace('>>>', data);
    return super.send(data, ...rest);
  }
}

// Runs `handler(command)` for each JSON line on stdin; exits 3 once `lifetimeSeconds` passed
// (the test waits for bounded times too, but an agent must never outlive it).
function serve(handler, lifetimeSeconds) {
  setTimeout(() => {
    emit({ event: 'lifetime_over' });
    process.exit(3);
  }, Number(lifetimeSeconds) * 1000);
  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (!line.trim()) {
      return;
    }
    let command;
    try {
      command = JSON.parse(line);
    } catch (error) {
      emit({ event: 'bad_command', line });
      return;
    }
    Promise.resolve()
      .then(() => handler(command))
      .catch((error) => emit({ event: 'command_error', cmd: command.cmd, message: String(error && error.stack) }));
  });
  // The test closed our stdin: it is gone, so are we.
  lines.on('close', () => process.exit(0));
}

module.exports = { options, emit, serve, TracedWebSocket };
