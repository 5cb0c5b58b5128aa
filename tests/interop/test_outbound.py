"""RFC 5626 (SIP outbound) against a live osprey, with raw sockets:

  1. bob registers over TCP with +sip.instance, reg-id and Supported: outbound: the 200 says
     Require: outbound and Flow-Timer: 120 (§6, §4.4.1); his UDP phone registers too (no
     outbound: no Require).
  2. bob's TCP connection closes. A MESSAGE to bob reaches his UDP phone (its 200 reaches
     alice); nothing is sent to the TCP Contact (a listener stands there and sees no connection):
     the dead flow's branch was 430 (§5.3) and its binding left the location service, which a
     query REGISTER then shows.
  3. carol's only binding is an outbound TCP flow, now closed: an INVITE to her gets 480 (a 430
     is not for endpoints, §11.5), and no connection reaches her Contact.
  4. A STUN Binding request on the SIP UDP port (RFC 5389, §4.4.2 keep-alive) gets a Binding
     success with the XOR-MAPPED-ADDRESS of the sender; a malformed one gets nothing; the same
     socket's OPTIONS is still answered (the STUN was not taken for broken SIP).
"""

import os
import socket
import struct
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osprey_harness as h  # noqa: E402

INSTANCE = '"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>"'
COOKIE = 0x2112A442


def tcp_register(port, user, checks):
    """Registers `user` with outbound over a new TCP connection; returns (connection, listener)
    where listener is a TCP socket listening at the port the Contact names."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(0.2)
    contact_port = listener.getsockname()[1]
    conn = socket.create_connection(("127.0.0.1", port), timeout=5)
    local_port = conn.getsockname()[1]
    conn.sendall(h.register_request(
        port, user, [f"<sip:{user}@127.0.0.1:{contact_port};transport=tcp>;+sip.instance={INSTANCE};reg-id=1"],
        expires=600, transport="TCP", local_port=local_port, extra_headers=("Supported: outbound, path",)))
    reply, _ = h.read_stream_message(conn)
    checks.expect(h.status_of(reply) == 200, f"{user}'s outbound REGISTER over TCP: 200 ({h.status_of(reply)})")
    checks.expect(h.header(reply, "Require") == "outbound", f"the 200 says Require: outbound ({h.header(reply, 'Require')})")
    checks.expect(h.header(reply, "Flow-Timer") == "120", f"the 200 gives Flow-Timer: 120 ({h.header(reply, 'Flow-Timer')})")
    return conn, listener


def nobody_connects(listener, seconds=1.5):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            sock, _ = listener.accept()
            sock.close()
            return False
        except socket.timeout:
            continue
    return True


def message_request(port, user, local_port):
    return (
        f"MESSAGE sip:{user}@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch=z9hG4bK{uuid.uuid4().hex};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:alice@127.0.0.1>;tag={uuid.uuid4().hex[:8]}\r\n"
        f"To: <sip:{user}@127.0.0.1>\r\n"
        f"Call-ID: {uuid.uuid4().hex}\r\n"
        "CSeq: 1 MESSAGE\r\n"
        "Content-Type: text/plain\r\n"
        "Content-Length: 5\r\n\r\nhello"
    ).encode()


def final_reply(sock, timeout=8.0):
    """The first final response on `sock` (provisionals skipped), or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            data = sock.recvfrom(65535)[0]
        except socket.timeout:
            return None
        status = h.status_of(data)
        if status is not None and status >= 200:
            return data
    return None


def stun_request(transaction_id, attributes=b""):
    return struct.pack("!HHI", 0x0001, len(attributes), COOKIE) + transaction_id + attributes


def check_outbound(port, checks):
    bob_tcp, bob_contact = tcp_register(port, "bob", checks)
    # bob's UDP phone: an ordinary registration.
    phone_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    phone_sock.bind(("127.0.0.1", 0))
    phone_port = phone_sock.getsockname()[1]
    reply = h.udp_exchange(port, h.register_request(port, "bob", [f"<sip:bob@127.0.0.1:{phone_port}>"], expires=600,
                                                    local_port=phone_port), sock=phone_sock)
    checks.expect(h.status_of(reply) == 200, "bob's UDP phone registers")
    checks.expect(h.header(reply or b"", "Require") is None, "no Require: outbound without a reg-id")
    phone = h.UdpRecorder(sock=phone_sock, answer=200, requests_only=True)

    bob_tcp.close()
    time.sleep(0.5)
    alice = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    alice.bind(("127.0.0.1", 0))
    alice.sendto(message_request(port, "bob", alice.getsockname()[1]), ("127.0.0.1", port))
    answer = final_reply(alice)
    checks.expect(h.status_of(answer) == 200, f"the MESSAGE to bob is answered 200 by his UDP phone ({h.status_of(answer)})")
    checks.expect(any(m.startswith(b"MESSAGE ") for m in phone.wait_for(1)), "bob's UDP phone got the MESSAGE")
    checks.expect(nobody_connects(bob_contact), "nothing went to the closed flow's Contact (430 for that branch)")
    query = h.udp_exchange(port, h.register_request(port, "bob", local_port=5999))
    contacts = [uri for uri, _ in h.contacts_of(query)]
    checks.expect(contacts == [f"sip:bob@127.0.0.1:{phone_port}"],
                  f"the failed flow's binding is gone, the phone's stays ({contacts})")
    phone.close()

    carol_tcp, carol_contact = tcp_register(port, "carol", checks)
    carol_tcp.close()
    time.sleep(0.5)
    alice.sendto(h.invite_request(port, "carol", alice.getsockname()[1]), ("127.0.0.1", port))
    answer = final_reply(alice)
    checks.expect(h.status_of(answer) == 480, f"an INVITE to carol, whose only flow failed, gets 480 ({h.status_of(answer)})")
    checks.expect(nobody_connects(carol_contact, 0.5), "nothing went to carol's Contact")
    alice.close()
    bob_contact.close()
    carol_contact.close()


def check_stun(port, checks):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2.0)
    transaction_id = os.urandom(12)
    sock.sendto(stun_request(transaction_id), ("127.0.0.1", port))
    try:
        reply = sock.recvfrom(2048)[0]
    except socket.timeout:
        reply = b""
    ok = len(reply) == 32
    checks.expect(ok, f"a STUN Binding request is answered ({len(reply)} bytes)")
    if ok:
        kind, length, cookie = struct.unpack("!HHI", reply[:8])
        checks.expect((kind, length, cookie) == (0x0101, 12, COOKIE), "a Binding success response")
        checks.expect(reply[8:20] == transaction_id, "with the request's transaction id")
        attr, attr_len, _, family, xport = struct.unpack("!HHBBH", reply[20:28])
        address = bytes(b ^ c for b, c in zip(reply[28:32], struct.pack("!I", COOKIE)))
        mapped = (socket.inet_ntoa(address), xport ^ (COOKIE >> 16))
        checks.expect((attr, attr_len, family) == (0x0020, 8, 1), "carrying an IPv4 XOR-MAPPED-ADDRESS")
        checks.expect(mapped == sock.getsockname(), f"naming the sender {sock.getsockname()} ({mapped})")
    sock.sendto(stun_request(os.urandom(12))[:-2], ("127.0.0.1", port))  # malformed: truncated
    sock.settimeout(1.0)
    try:
        extra = sock.recvfrom(2048)[0]
    except socket.timeout:
        extra = None
    checks.expect(extra is None, "a malformed STUN message gets nothing")
    reply = h.udp_exchange(port, h.options_request(port, local_port=sock.getsockname()[1]), sock=sock)
    checks.expect(h.status_of(reply) == 200, "the same socket's OPTIONS is answered (not taken for bad SIP)")
    sock.close()


def main():
    args = h.parse_args()
    checks = h.Failures()
    port = h.free_port()
    with h.temp_dir() as workdir:
        server = h.Osprey(args.osprey, workdir, h.udp_and_tcp(port))
        with server:
            check_outbound(port, checks)
            check_stun(port, checks)
        h.expect_clean_stop(checks, server)
    checks.finish()


if __name__ == "__main__":
    main()
