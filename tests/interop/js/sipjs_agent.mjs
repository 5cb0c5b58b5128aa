// A SIP.js user agent in Node, driven by tests/interop/test_websocket_js.py: it registers over
// the given ws:/wss: URL with digest credentials and then obeys commands on stdin (JSON lines):
//   {"cmd": "message", "target": "sip:alice@127.0.0.1", "body": "hi"} -> message_sent / message_failed
//   {"cmd": "call", "target": "sip:dave@127.0.0.1"}  -> call_progress, call_accepted / call_failed
//   {"cmd": "hangup"}                                 -> bye_answered
//   {"cmd": "cancel"}                                 -> CANCEL of a call not answered yet (call_failed 487)
//   {"cmd": "quit"}                                   -> unregistered, exit 0
// With --keepalive N it sends a double CRLF every N seconds or so (frame events with first_line "").
// An INVITE it receives is answered 200 at once (see --answer); its ACK and BYE are reported
// (call_ack, bye_received). Node has no WebRTC: the session description handler is a stub that offers and
// answers one fixed audio SDP, which is all the signalling needs (SIP.js lets the application
// supply it: UserAgentOptions.sessionDescriptionHandlerFactory).

import { Inviter, Messager, Registerer, RegistererState, SessionState, UserAgent } from 'sip.js';
import io from './agent_io.js';

// --keepalive N: a double-CRLF keep-alive every N seconds or so (RFC 5626 §4.4.1, SIP.js's
// keepAliveInterval), as web applications set to keep NAT bindings and proxies' idle timers open.
// --answer ring: an INVITE gets 180 and is never answered (another device of the user answers,
// and osprey cancels this one); --answer-delay MS: answer after MS milliseconds.
const options = io.options({
  keepalive: { type: 'string', default: '0' },
  answer: { type: 'string', default: 'now' },
  'answer-delay': { type: 'string', default: '0' }
});
global.WebSocket = io.TracedWebSocket;

const STATIC_SDP = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 9 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  'a=sendrecv',
  ''
].join('\r\n');

class StaticSessionDescriptionHandler {
  close() {}

  getDescription() {
    return Promise.resolve({ body: STATIC_SDP, contentType: 'application/sdp' });
  }

  hasDescription(contentType) {
    return contentType === 'application/sdp';
  }

  setDescription(sdp) {
    io.emit({ event: 'remote_sdp', sdp });
    return Promise.resolve();
  }

  sendDtmf() {
    return false;
  }
}

const uri = UserAgent.makeURI(options.uri);
if (!uri) {
  process.stderr.write(`bad --uri ${options.uri}\n`);
  process.exit(2);
}

let session = null;

function watch(current) {
  session = current;
  current.stateChange.addListener((state) => io.emit({ event: 'call_state', state }));
  current.delegate = {
    onAck: () => io.emit({ event: 'call_ack' }),
    onBye: (bye) => {
      io.emit({ event: 'bye_received' });
      bye.accept();
    }
  };
}

const userAgent = new UserAgent({
  uri,
  authorizationUsername: uri.user,
  authorizationPassword: options.password,
  transportOptions: { server: options['ws-url'], connectionTimeout: 5, keepAliveInterval: Number(options.keepalive) },
  sessionDescriptionHandlerFactory: () => new StaticSessionDescriptionHandler(),
  logLevel: 'error',
  delegate: {
    onConnect: () => io.emit({ event: 'connected' }),
    onDisconnect: (error) => io.emit({ event: 'disconnected', error: error ? String(error.message) : null }),
    onMessage: (message) => {
      const request = message.request;
      io.emit({
        event: 'message_received',
        from: request.from.uri.toString(),
        to: request.to.uri.toString(),
        content_type: request.getHeader('Content-Type') || null,
        body: request.body
      });
      message.accept();
    },
    onInvite: (invitation) => {
      io.emit({ event: 'call_incoming', from: invitation.remoteIdentity.uri.toString() });
      watch(invitation);
      if (options.answer === 'ring') {
        invitation.progress().catch((error) => io.emit({ event: 'call_failed', cause: String(error) }));
        return;
      }
      setTimeout(() => {
        if (invitation.state !== SessionState.Initial) {
          return;  // cancelled meanwhile
        }
        invitation.accept().catch((error) => io.emit({ event: 'call_failed', cause: String(error) }));
      }, Number(options['answer-delay']));
    }
  }
});

const registerer = new Registerer(userAgent, { expires: Number(options.expires) });

// The requestDelegate sees the answers to the first REGISTER only: when SIP.js registers again
// by itself (after a 423 with Min-Expires, RFC 3261 §10.2.8), only the state change tells, and
// only a 2xx makes it Registered.
let registeredReported = false;
registerer.stateChange.addListener((state) => {
  if (state === RegistererState.Registered && !registeredReported) {
    registeredReported = true;
    io.emit({ event: 'registered', status: 200, contact: null, seen_as: 'state' });
  }
});

function register() {
  registerer.register({
    requestDelegate: {
      onAccept: (response) => {
        if (registeredReported) {
          return;
        }
        registeredReported = true;
        io.emit({
          event: 'registered',
          status: response.message.statusCode,
          contact: response.message.getHeader('Contact') || null
        });
      },
      onReject: (response) => io.emit({
        event: 'registration_failed',
        status: response.message.statusCode,
        cause: response.message.reasonPhrase
      })
    }
  }).catch((error) => io.emit({ event: 'registration_failed', status: null, cause: String(error) }));
}

function sendMessage(command) {
  const target = UserAgent.makeURI(command.target);
  const messager = new Messager(userAgent, target, command.body, 'text/plain');
  messager.message({
    requestDelegate: {
      onAccept: (response) => io.emit({ event: 'message_sent', id: command.id, status: response.message.statusCode }),
      onReject: (response) => io.emit({
        event: 'message_failed',
        id: command.id,
        status: response.message.statusCode,
        cause: response.message.reasonPhrase
      })
    }
  }).catch((error) => io.emit({ event: 'message_failed', id: command.id, status: null, cause: String(error) }));
}

function call(command) {
  const inviter = new Inviter(userAgent, UserAgent.makeURI(command.target));
  watch(inviter);
  inviter.invite({
    requestDelegate: {
      onProgress: (response) => io.emit({ event: 'call_progress', status: response.message.statusCode }),
      // SIP.js sends the ACK for the 2xx itself (RFC 3261 §13.2.2.4); the frame events show it.
      onAccept: (response) => io.emit({ event: 'call_accepted', status: response.message.statusCode }),
      onReject: (response) => io.emit({ event: 'call_failed', status: response.message.statusCode })
    }
  }).catch((error) => io.emit({ event: 'call_failed', status: null, cause: String(error) }));
}

function hangup() {
  if (!session || session.state !== SessionState.Established) {
    io.emit({ event: 'hangup_refused', state: session ? session.state : null });
    return;
  }
  session.bye({
    requestDelegate: {
      onAccept: (response) => io.emit({ event: 'bye_answered', status: response.message.statusCode }),
      onReject: (response) => io.emit({ event: 'bye_answered', status: response.message.statusCode })
    }
  }).catch((error) => io.emit({ event: 'bye_failed', cause: String(error) }));
}

function cancel() {
  if (!(session instanceof Inviter) || session.state !== SessionState.Establishing) {
    io.emit({ event: 'cancel_refused', state: session ? session.state : null });
    return;
  }
  session.cancel().catch((error) => io.emit({ event: 'cancel_failed', cause: String(error) }));
}

async function quit() {
  const timer = setTimeout(() => process.exit(0), 4000);
  try {
    // Unregister and wait for its answer (at most 2 s), then close the WebSocket.
    await new Promise((resolve) => {
      setTimeout(resolve, 2000);
      const answered = (response) => {
        io.emit({ event: 'unregistered', status: response.message.statusCode });
        resolve();
      };
      registerer
        .unregister({ requestDelegate: { onAccept: answered, onReject: answered } })
        .catch(resolve);
    });
    await userAgent.stop();
  } finally {
    clearTimeout(timer);
    process.exit(0);
  }
}

io.serve((command) => {
  switch (command.cmd) {
    case 'message':
      return sendMessage(command);
    case 'call':
      return call(command);
    case 'hangup':
      return hangup();
    case 'cancel':
      return cancel();
    case 'quit':
      return quit();
    default:
      return io.emit({ event: 'bad_command', cmd: command.cmd });
  }
}, options.lifetime);

userAgent
  .start()
  .then(register)
  .catch((error) => io.emit({ event: 'registration_failed', status: null, cause: `connect: ${error}` }));
