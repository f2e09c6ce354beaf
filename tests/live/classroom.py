#!/usr/bin/env python3
"""Checks a class dashboard's screen against what the students sent.

    classroom.py screen LANG SENT.jsonl CAPTURE...

The captures are one screen of `rabbitlab class URL` (tmux capture-pane)
scrolled to different places. What the screen says must equal the sums of
SENT (each simulated student's events, one JSON object a line, the
figures tests/live/class.sh proves `class --json` prints): the number of
students and events in the title, every student's name on some capture,
the lessons' solve rates, and the current question's answers per choice.
Prints one line per difference and exits 1 if there is any; otherwise
prints a summary of what was compared.
"""
import collections
import json
import re
import sys

WORDS = {
    "en": {
        "title": r"(\d+) students, (\d+) events",
        "question": r"Current question: (\S+), step (\d+): (\d+) answers, "
                    r"(\d+) right",
        "rate": "Solve rate",
        "head": "Student",
    },
    "zh": {
        "title": r"(\d+) 名学生，(\d+) 个事件",
        "question": r"当前问题：(\S+) 第 (\d+) 步：(\d+) 人作答，(\d+) 人答对",
        "rate": "过关率",
        "head": "学生",
    },
}


def expected(sent):
    """Per student events, per question choices, per lesson opened/solved."""
    students = collections.Counter(e["student"] for e in sent)
    choices = collections.defaultdict(collections.Counter)
    opened = collections.defaultdict(set)
    solved = collections.defaultdict(set)
    for e in sent:
        opened[e["lesson"]].add(e["id"].rsplit("-", 1)[0])
        if e["kind"] == "answer":
            # Keyed by the step's number on screen, as the dashboard
            # shows it (a question is never a chained step, so no two
            # questions of a lesson share one).
            choices[(e["lesson"], e.get("number", e["question"] + 1))][
                e["choice"]] += 1
        if e["kind"] == "challenge" and e.get("met"):
            solved[e["lesson"]].add(e["id"].rsplit("-", 1)[0])
    return students, choices, opened, solved


def check_screen(lang, sent, screens):
    w = WORDS[lang]
    students, choices, opened, solved = expected(sent)
    bad = []
    first = screens[0].splitlines()
    m = re.search(w["title"], first[0])
    if not m:
        return ["no title with the counts: %r" % first[0]]
    if int(m.group(1)) != len(students) or int(m.group(2)) != len(sent):
        bad.append("title says %s students, %s events; sent %d, %d" %
                   (m.group(1), m.group(2), len(students), len(sent)))
    text = "\n".join(screens)
    for name in students:
        if name not in text:
            bad.append("student %s is on no screen" % name)
    # Solve rates under the lessons' columns (labels are the lesson
    # numbers or whole ids).
    head = next((l for l in first if l.strip().startswith(w["head"])), None)
    rate = next((l for l in first if l.strip().startswith(w["rate"])), None)
    rates = 0
    if head is None or rate is None:
        bad.append("no lesson heading or solve-rate row")
    else:
        labels = head.split()[2:]
        cells = rate.split()[-len(labels):] if labels else []
        for label, cell in zip(labels, cells):
            ids = [l for l in opened if l == label or l.split("-")[0] == label]
            if len(ids) != 1:
                bad.append("column %s names no one lesson" % label)
                continue
            want = len(solved[ids[0]]) * 100 // len(opened[ids[0]])
            rates += 1
            if cell != "%d%%" % want:
                bad.append("lesson %s: solve rate %s, sent %d%%" %
                           (ids[0], cell, want))
    q = [i for i, l in enumerate(first) if re.search(w["question"], l)]
    if not q:
        return bad + ["no current question on the screen"]
    m = re.search(w["question"], first[q[0]])
    lesson, step = m.group(1), int(m.group(2))
    want = choices.get((lesson, step), collections.Counter())
    have = {}
    for l in first[q[0] + 1:]:
        b = re.match(r"^\s+(\d)\s+(\d+)\s", l + " ")
        if not b:
            break
        if int(b.group(2)):
            have[int(b.group(1)) - 1] = int(b.group(2))
    if have != dict(want):
        bad.append("question %s/%d: screen %s, sent %s" %
                   (lesson, step, have, dict(want)))
    if int(m.group(3)) != sum(want.values()):
        bad.append("question %s/%d: %s answers on screen, %d sent" %
                   (lesson, step, m.group(3), sum(want.values())))
    return bad or ["ok: %d students, %d events, %d solve rates, question "
                   "%s/%d %s" % (len(students), len(sent), rates, lesson,
                                 step, dict(sorted(want.items())))]


def main():
    if len(sys.argv) < 5 or sys.argv[1] != "screen":
        sys.exit(__doc__)
    lang, sent_file = sys.argv[2], sys.argv[3]
    sent = [json.loads(l) for l in open(sent_file, encoding="utf-8")]
    screens = [open(f, encoding="utf-8").read() for f in sys.argv[4:]]
    out = check_screen(lang, sent, screens)
    print("\n".join(out))
    sys.exit(0 if out[0].startswith("ok:") else 1)


main()
