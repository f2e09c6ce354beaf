#!/usr/bin/env python3
"""A broker that answers the AMQP 0-9-1 handshake and nothing after it.

    silent_broker.py PORTFILE COUNTFILE [consume]

Listens on a free loopback port (written to PORTFILE), and for each
connection: connection.start, tune and open-ok, then heartbeats every 2 s
and no reply to anything (channel.open included), as a broker still
recovering its queues may leave a client. With "consume" it answers the
channel's set-up (channel.open, confirm.select, exchange.declare,
queue.declare, queue.bind, basic.qos) and leaves basic.consume alone, as a
quorum queue without a leader does. COUNTFILE holds the number of
connections accepted so far. Runs until killed.
"""
import socket
import struct
import sys
import threading
import time


def frame(kind, channel, payload):
    return struct.pack(">BHI", kind, channel, len(payload)) + payload + b"\xce"


def method(class_id, method_id, args, channel=0):
    return frame(1, channel, struct.pack(">HH", class_id, method_id) + args)


# The set-up methods answered in "consume" mode: (class, method) -> reply.
SETUP_REPLIES = {(20, 10): (20, 11), (85, 10): (85, 11), (40, 10): (40, 11),
                 (50, 10): (50, 11), (50, 20): (50, 21), (60, 10): (60, 11)}


def setup_reply(channel, payload):
    """The reply to a set-up method, or None (basic.consume and the rest)."""
    if len(payload) < 4 or channel == 0:
        return None
    key = struct.unpack(">HH", payload[:4])
    if key not in SETUP_REPLIES:
        return None
    args = b""
    if key == (20, 10):
        args = longstr(b"")
    elif key == (50, 10):   # reserved short, then the queue's shortstr
        n = payload[6] if len(payload) > 6 else 0
        args = bytes([n]) + payload[7:7 + n] + struct.pack(">II", 0, 0)
    return method(*SETUP_REPLIES[key], args, channel=channel)


def longstr(b):
    return struct.pack(">I", len(b)) + b


def read_frame(conn):
    head = b""
    while len(head) < 7:
        got = conn.recv(7 - len(head))
        if not got:
            raise EOFError
        head += got
    size = struct.unpack(">I", head[3:7])[0]
    rest = b""
    while len(rest) < size + 1:
        got = conn.recv(size + 1 - len(rest))
        if not got:
            raise EOFError
        rest += got
    return head[0], struct.unpack(">H", head[1:3])[0], rest[:size]


def serve(conn, answer_setup):
    try:
        if conn.recv(8)[:4] != b"AMQP":
            return
        # connection.start: 0-9, no server properties, PLAIN, en_US
        conn.sendall(method(10, 10, b"\x00\x09" + struct.pack(">I", 0) +
                            longstr(b"PLAIN") + longstr(b"en_US")))
        read_frame(conn)                  # start-ok
        conn.sendall(method(10, 30, struct.pack(">HIH", 2047, 131072, 4)))
        read_frame(conn)                  # tune-ok
        read_frame(conn)                  # connection.open
        conn.sendall(method(10, 41, b"\x00"))
        conn.settimeout(2.0)
        while True:
            try:
                kind, channel, payload = read_frame(conn)
                reply = setup_reply(channel, payload) \
                    if answer_setup and kind == 1 else None
                if reply:
                    conn.sendall(reply)
            except socket.timeout:
                conn.sendall(frame(8, 0, b""))
    except (EOFError, OSError):
        pass
    finally:
        conn.close()


def main():
    answer_setup = len(sys.argv) > 3 and sys.argv[3] == "consume"
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(8)
    with open(sys.argv[1], "w") as f:
        f.write("%d\n" % lst.getsockname()[1])
    count = 0
    while True:
        conn, _ = lst.accept()
        count += 1
        with open(sys.argv[2], "w") as f:
            f.write("%d\n" % count)
        threading.Thread(target=serve, args=(conn, answer_setup),
                         daemon=True).start()


if __name__ == "__main__":
    main()
