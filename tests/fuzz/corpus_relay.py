#!/usr/bin/env python3
"""Writes the seed corpus of tests/fuzz/fuzz_relay.c into corpus_relay/.

Each seed is a short, valid AMQP 0-9-1 conversation in the fuzzer's record
form: a control byte (bit 7: 1 the broker sends, 0 the client; bits 0-6:
length 1-127) and that many bytes. Run it from anywhere; it rewrites the
files in place.
"""
import os
import struct

HEADER = b"AMQP\x00\x00\x09\x01"


def frame(ftype, channel, payload):
    return struct.pack(">BHI", ftype, channel, len(payload)) + payload + b"\xce"


def method(channel, cls, meth, args=b""):
    return frame(1, channel, struct.pack(">HH", cls, meth) + args)


def shortstr(s):
    return bytes([len(s)]) + s


def longstr(s):
    return struct.pack(">I", len(s)) + s


def table(items):
    body = b""
    for key, kind, value in items:
        body += shortstr(key) + kind + value
    return struct.pack(">I", len(body)) + body


def content_header(channel, size, flags=0, props=b""):
    return frame(2, channel, struct.pack(">HHQH", 60, 0, size, flags) + props)


def body(channel, data):
    return frame(3, channel, data)


def heartbeat():
    return frame(8, 0, b"")


def records(conversation):
    """conversation: (who, bytes) pairs, who 'c' or 'b'."""
    out = b""
    for who, data in conversation:
        for i in range(0, len(data), 127):
            chunk = data[i:i + 127]
            out += bytes([(0x80 if who == "b" else 0) | len(chunk)]) + chunk
    return out


def seeds():
    start = method(0, 10, 10, bytes([0, 9]) + table([
        (b"product", b"S", longstr(b"RabbitMQ")),
        (b"version", b"S", longstr(b"3.12.1")),
        (b"capabilities", b"F", table([
            (b"publisher_confirms", b"t", b"\x01"),
            (b"consumer_cancel_notify", b"t", b"\x01")])),
    ]) + longstr(b"AMQPLAIN PLAIN") + longstr(b"en_US"))
    start_ok = method(0, 10, 11, table([
        (b"product", b"S", longstr(b"rabbitmq-c"))]) + shortstr(b"PLAIN") +
        longstr(b"\x00guest\x00guest") + shortstr(b"en_US"))
    tune = method(0, 10, 30, struct.pack(">HIH", 2047, 131072, 60))
    tune_ok = method(0, 10, 31, struct.pack(">HIH", 2047, 131072, 60))
    conn_open = method(0, 10, 40, shortstr(b"/") + shortstr(b"") + b"\x00")
    open_ok = method(0, 10, 41, shortstr(b""))
    yield "handshake", [("c", HEADER), ("b", start), ("c", start_ok),
                        ("b", tune), ("c", tune_ok), ("c", conn_open),
                        ("b", open_ok)]

    ch_open = method(1, 20, 10, shortstr(b""))
    ch_open_ok = method(1, 20, 11, longstr(b""))
    select = method(1, 85, 10, b"\x00")
    publish = method(1, 60, 40, struct.pack(">H", 0) + shortstr(b"x") +
                     shortstr(b"k") + b"\x01")
    props = shortstr(b"m1.1")  # message-id
    ack = method(1, 60, 80, struct.pack(">Q", 1) + b"\x00")
    yield "publish", [("c", HEADER + ch_open + select), ("b", ch_open_ok),
                      ("c", publish + content_header(1, 5, 0x0080, props) +
                       body(1, b"hello")), ("b", ack)]

    deliver = method(1, 60, 60, shortstr(b"ctag") + struct.pack(">Q", 7) +
                     b"\x01" + shortstr(b"x") + shortstr(b"k"))
    dprops = table([(b"x-delivery-count", b"l", struct.pack(">q", 2))]) + \
        shortstr(b"m1.2")
    yield "deliver", [("c", HEADER),
                      ("b", deliver + content_header(1, 3, 0x2080, dprops) +
                       body(1, b"abc")),
                      ("c", method(1, 60, 80, struct.pack(">Q", 7) + b"\x00"))]

    yield "heartbeat", [("c", HEADER + heartbeat()), ("b", heartbeat()),
                        ("c", heartbeat())]

    # A broker that refuses the version answers with its own header.
    yield "refused", [("c", HEADER), ("b", HEADER)]


def write(dirname, conversations):
    """Writes each (name, conversation) of conversations, in record form,
    to DIRNAME/NAME.bin beside this script, replacing what was there."""
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), dirname)
    os.makedirs(out, exist_ok=True)
    for name, conversation in conversations:
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(records(conversation))


if __name__ == "__main__":
    write("corpus_relay", seeds())
