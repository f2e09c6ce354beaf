#!/usr/bin/env python3
"""Writes the seed corpus of tests/fuzz/fuzz_watch.c into corpus_watch/.

Each seed is a short AMQP 0-9-1 conversation of the kind the watch
follows, in the record form the relay's fuzzer uses (its frame helpers
are imported from corpus_relay.py): confirms and returns, a consumer's
deliveries with acks, nacks and rejects, a channel closed by a 404, the
topology an application declares. Run it from anywhere; it rewrites the
files in place.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corpus_relay import (HEADER, body, content_header, longstr,  # noqa: E402
                          method, seeds as relay_seeds, shortstr, table,
                          write)

MID = 0x0080  # basic properties: message-id
DMODE = 0x1000  # delivery-mode


def content(ch, data, mid):
    """A persistent message's header and body, with message-id mid if any."""
    flags, props = DMODE, b"\x02"
    if mid:
        flags |= MID
        props += shortstr(mid)
    return content_header(ch, len(data), flags, props) + body(ch, data)


def publish(ch, exchange, key, data, mandatory=0, mid=None):
    return (method(ch, 60, 40, struct.pack(">H", 0) + shortstr(exchange) +
                   shortstr(key) + bytes([mandatory])) +
            content(ch, data, mid))


def deliver(ch, tag, dtag, key, data, redelivered=0, mid=None):
    return (method(ch, 60, 60, shortstr(tag) + struct.pack(">Q", dtag) +
                   bytes([redelivered]) + shortstr(b"x") + shortstr(key)) +
            content(ch, data, mid))


def seeds():
    handshake = dict(relay_seeds())["handshake"]
    start_ok = method(0, 10, 11, table([
        (b"product", b"S", longstr(b"pika")),
        (b"connection_name", b"S", longstr(b"orders-app"))]) +
        shortstr(b"PLAIN") + longstr(b"\x00guest\x00guest") +
        shortstr(b"en_US"))
    hs = [(w, start_ok if w == "c" and d.startswith(b"\x01\x00\x00") and
           d[7:11] == b"\x00\x0a\x00\x0b" else d) for w, d in handshake]
    ch_open = method(1, 20, 10, shortstr(b""))
    select = method(1, 85, 10, b"\x00")
    declare = method(1, 50, 10, struct.pack(">H", 0) + shortstr(b"q") +
                     b"\x08" + table([
                         (b"x-dead-letter-exchange", b"S", longstr(b"dlx")),
                         (b"x-message-ttl", b"I", struct.pack(">i", 500))]))
    bind = method(1, 50, 20, struct.pack(">H", 0) + shortstr(b"q") +
                  shortstr(b"x") + shortstr(b"k") + b"\x00" + table([]))
    consume = method(1, 60, 20, struct.pack(">H", 0) + shortstr(b"q") +
                     shortstr(b"") + b"\x00" + table([]))
    consume_ok = method(1, 60, 21, shortstr(b"ctag"))
    ack = lambda tag, multiple=0: method(
        1, 60, 80, struct.pack(">Q", tag) + bytes([multiple]))
    yield "confirms", hs + [
        ("c", ch_open + select + declare + bind),
        ("c", publish(1, b"x", b"k", b"one", 1, b"id-1")),
        ("c", publish(1, b"x", b"nowhere", b"two", 1)),
        ("b", method(1, 60, 50, struct.pack(">H", 312) +
                     shortstr(b"NO_ROUTE") + shortstr(b"x") +
                     shortstr(b"nowhere")) +
         content_header(1, 3) + body(1, b"two")),
        ("b", ack(2, 1)),
        ("b", method(1, 60, 120, struct.pack(">Q", 3) + b"\x00"))]
    yield "consumer", hs + [
        ("c", ch_open + declare + consume), ("b", consume_ok),
        ("c", publish(1, b"x", b"k", b"a", 0, b"id-a")),
        ("c", publish(1, b"x", b"k", b"b")),
        ("b", deliver(1, b"ctag", 1, b"k", b"a", 0, b"id-a") +
         deliver(1, b"ctag", 2, b"k", b"b")),
        ("c", method(1, 60, 120, struct.pack(">Q", 1) + b"\x01")),
        ("b", deliver(1, b"ctag", 3, b"k", b"a", 1, b"id-a")),
        ("c", method(1, 60, 90, struct.pack(">Q", 2) + b"\x00")),
        ("c", ack(3, 1))]
    yield "closed404", hs + [
        ("c", ch_open + select),
        ("c", publish(1, b"gone", b"k", b"lost")),
        ("c", publish(1, b"gone", b"k", b"after")),
        ("b", method(1, 20, 40, struct.pack(">H", 404) + shortstr(
            b"NOT_FOUND - no exchange 'gone' in vhost '/'") +
            struct.pack(">HH", 60, 40))),
        ("c", method(1, 20, 41)),
        ("b", method(0, 10, 60, shortstr(b"low on memory"))),
        ("c", method(0, 10, 50, struct.pack(">H", 200) + shortstr(b"bye") +
                     struct.pack(">HH", 0, 0))),
        ("b", method(0, 10, 51))]
    yield "not-amqp", [("c", b"GET / HTTP/1.1\r\n\r\n")]


if __name__ == "__main__":
    write("corpus_watch", seeds())
