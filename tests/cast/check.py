#!/usr/bin/python3
"""Checks an asciicast written by `rabbitlab --cast` (tests/run.sh).

    check.py CAST TRANSCRIPT COLS ROWS LANG

CAST must be asciicast v2: every line JSON, a header object with version 2
and the size asked for, then [time, "o", text] events whose times never go
back and whose text is UTF-8 on its own. Its output is then played into a
terminal emulator (pyte) of that size, and the ledger scoreboard of the
last screen must show the figures the replay's transcript printed under
"== ledger". Prints what it found; exits 1 naming the first difference.
With TRANSCRIPT "-" the format is checked and the last screen printed.
"""
import glob
import json
import re
import sys

import pyte

# The board's counters in the order ui/board.c lays them out, and how the
# transcript's summary (ledger_print_summary) names each.
BOARD = [
    ("published", r"published (\d+)"),
    ("confirmed", r"confirmed (\d+)"),
    ("returned", r"returned (\d+)"),
    ("nacked", r"nacked (\d+)"),
    ("processed", r"processed once (\d+)"),
    ("duplicated", r"duplicated (\d+)"),
    ("dead_lettered", r"dead-lettered (\d+)"),
    ("lost_silent", r"silently (\d+)"),
    ("lost_notified", r"producer told (\d+)"),
    ("inconsistent", r"orders paid but shown unpaid (\d+)"),
]
BOARD_CELL = 16


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def read_cast(path, cols, rows):
    """The header and the events, each line checked as asciicast v2."""
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        fail("%s is not UTF-8: %s" % (path, e))
    lines = text.split("\n")
    if lines[-1] != "":
        fail("%s does not end with a newline" % path)
    lines.pop()
    header = json.loads(lines[0])
    if not isinstance(header, dict) or header.get("version") != 2:
        fail("header is not a version 2 object: %r" % lines[0][:200])
    if header.get("width") != cols or header.get("height") != rows:
        fail("header size %sx%s, wanted %dx%d" % (
            header.get("width"), header.get("height"), cols, rows))
    for key, kind in (("title", str), ("env", dict), ("timestamp", int)):
        if key in header and not isinstance(header[key], kind):
            fail("header %s is not a %s" % (key, kind.__name__))
    events, last = [], 0.0
    for n, line in enumerate(lines[1:], start=2):
        ev = json.loads(line)
        if (not isinstance(ev, list) or len(ev) != 3 or
                not isinstance(ev[0], (int, float)) or ev[1] != "o" or
                not isinstance(ev[2], str)):
            fail("line %d is not [time, \"o\", text]: %r" % (n, line[:120]))
        if ev[0] < last:
            fail("line %d goes back in time: %s after %s" % (n, ev[0], last))
        try:
            ev[2].encode("utf-8")
        except UnicodeEncodeError:
            fail("line %d holds half a character (a lone surrogate)" % n)
        last = ev[0]
        events.append(ev)
    if not events:
        fail("no events")
    return header, events


def label(lang, msgid):
    """The screen's label for `msgid` in `lang`, from the catalogue."""
    if lang != "zh":
        return msgid
    for po in sorted(glob.glob("assets/po/zh_CN*.po")):
        with open(po, encoding="utf-8") as f:
            m = re.search(r'^msgid "%s"\nmsgstr "(.+)"$' % re.escape(msgid),
                          f.read(), re.M)
        if m:
            return m.group(1)
    fail("no zh label for %s" % msgid)


def board_figures(screen, cols, lang):
    """The ten counters of the ledger board on the emulator's screen."""
    grid = [[screen.buffer[y][x].data for x in range(cols)]
            for y in range(screen.lines)]
    first = label(lang, "published")
    top = [y for y in range(screen.lines)
           if "".join(grid[y]).startswith(first)]
    if len(top) != 1:
        fail("the board's first row (%s) is on %d lines of the last screen"
             % (first, len(top)))
    per_row = max(1, min(cols // BOARD_CELL, len(BOARD)))
    cell = cols // per_row
    got = {}
    for i, (name, _) in enumerate(BOARD):
        y, x = top[0] + i // per_row, (i % per_row) * cell
        text = "".join(grid[y][x:x + cell])
        m = re.search(r"(\d+)\s*$", text)
        if m is None:
            fail("no figure for %s in %r" % (name, text))
        got[name] = int(m.group(1))
    return got


def transcript_figures(path):
    """The figures the replay printed under "== ledger"."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    at = text.find("== ledger\n")
    if at < 0:
        fail("no '== ledger' in %s" % path)
    text = text[at:]
    want = {}
    for name, pattern in BOARD:
        m = re.search(pattern, text)
        if m is None:
            fail("the transcript has no %s" % pattern)
        want[name] = int(m.group(1))
    return want


def main():
    path, transcript, cols, rows, lang = sys.argv[1:6]
    cols, rows = int(cols), int(rows)
    header, events = read_cast(path, cols, rows)
    screen = pyte.Screen(cols, rows)
    stream = pyte.Stream(screen)
    for ev in events:
        stream.feed(ev[2])
    if transcript == "-":
        # No replay to compare with: the last screen, for the caller.
        print("%d events over %.1f s" % (len(events), events[-1][0]))
        print("\n".join(screen.display))
        return
    got = board_figures(screen, cols, lang)
    want = transcript_figures(transcript)
    if got != want:
        fail("last frame's ledger %s, the replay printed %s" % (got, want))
    print("%d events over %.1f s; ledger %s" % (
        len(events), events[-1][0],
        " ".join("%s=%d" % (k, v) for k, v in got.items())))


if __name__ == "__main__":
    main()
