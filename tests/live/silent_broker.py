#!/usr/bin/env python3
"""A broker that answers the AMQP 0-9-1 handshake and nothing after it.

    silent_broker.py PORTFILE COUNTFILE

Listens on a free loopback port (written to PORTFILE), and for each
connection: connection.start, tune and open-ok, then heartbeats every 2 s
and no reply to anything (channel.open included), as a broker still
recovering its queues may leave a client. COUNTFILE holds the number of
connections accepted so far. Runs until killed.
"""
import socket
import struct
import sys
import threading
import time


def frame(kind, channel, payload):
    return struct.pack(">BHI", kind, channel, len(payload)) + payload + b"\xce"


def method(class_id, method_id, args):
    return frame(1, 0, struct.pack(">HH", class_id, method_id) + args)


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
    return head[0], rest[:size]


def serve(conn):
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
                read_frame(conn)          # channel.open and on: unanswered
            except socket.timeout:
                conn.sendall(frame(8, 0, b""))
    except (EOFError, OSError):
        pass
    finally:
        conn.close()


def main():
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
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
