'use strict';
// A JsSIP user agent in Node, driven by tests/interop/test_websocket_js.py: it registers over
// the given ws:/wss: URL with digest credentials and then obeys commands on stdin (JSON lines):
//   {"cmd": "message", "target": "sip:bob@127.0.0.1", "body": "hi"}  -> message_sent / message_failed
//   {"cmd": "quit"}                                                 -> unregistered, exit 0
// Events on stdout (JSON lines): ws_open (with the negotiated subprotocol), registered,
// registration_failed, message_received, frame (each SIP message sent or received), ...
// JsSIP's calls need WebRTC, which Node lacks: calls are the SIP.js agent's part.

const JsSIP = require('jssip');
const io = require('./agent_io');

// --recovery N: after the connection is lost, JsSIP connects again (and registers again) after
// N seconds or so (its connection_recovery_min/max_interval).
const options = io.options({ recovery: { type: 'string', default: '30' } });
global.WebSocket = io.TracedWebSocket;

const socket = new JsSIP.WebSocketInterface(options['ws-url']);
const ua = new JsSIP.UA({
  sockets: [socket],
  uri: options.uri,
  password: options.password,
  register: true,
  register_expires: Number(options.expires),
  session_timers: false,
  connection_recovery_min_interval: Number(options.recovery),
  connection_recovery_max_interval: Number(options.recovery)
});

ua.on('connected', () => io.emit({ event: 'connected' }));
ua.on('disconnected', (e) => io.emit({ event: 'disconnected', error: Boolean(e && e.error) }));
ua.on('registered', (e) => io.emit({
  event: 'registered',
  status: e.response.status_code,
  contact: e.response.getHeader('Contact') || null
}));
ua.on('registrationFailed', (e) => io.emit({
  event: 'registration_failed',
  status: e.response ? e.response.status_code : null,
  cause: e.cause
}));
ua.on('unregistered', (e) => io.emit({
  event: 'unregistered',
  status: e && e.response ? e.response.status_code : null,
  cause: e ? e.cause || null : null
}));
ua.on('newMessage', (e) => {
  if (e.originator !== 'remote') {
    return;
  }
  // JsSIP answers 200 itself once the handlers ran (Message.init_incoming).
  io.emit({
    event: 'message_received',
    from: e.request.from.uri.toString(),
    to: e.request.to.uri.toString(),
    content_type: e.request.getHeader('Content-Type') || null,
    body: e.request.body
  });
});

function sendMessage(command) {
  ua.sendMessage(command.target, command.body, {
    contentType: 'text/plain',
    eventHandlers: {
      succeeded: (e) => io.emit({ event: 'message_sent', id: command.id, status: e.response.status_code }),
      failed: (e) => io.emit({
        event: 'message_failed',
        id: command.id,
        status: e.response ? e.response.status_code : null,
        cause: e.cause
      })
    }
  });
}

function quit() {
  const finish = () => {
    ua.stop();
    setTimeout(() => process.exit(0), 300);
  };
  if (!ua.isRegistered()) {
    finish();
    return;
  }
  ua.once('unregistered', finish);
  ua.unregister();
  setTimeout(finish, 3000);
}

io.serve((command) => {
  if (command.cmd === 'message') {
    sendMessage(command);
  } else if (command.cmd === 'quit') {
    quit();
  } else {
    io.emit({ event: 'bad_command', cmd: command.cmd });
  }
}, options.lifetime);

ua.start();
