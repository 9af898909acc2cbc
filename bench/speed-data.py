#!/usr/bin/env python3
"""Deterministic test data for bench/speed-bench.sh (standard library only).

  speed-data.py chat ROWS            COPY text for messages(conversation_id, author, created_at, body)
  speed-data.py files DIR COUNT      COUNT small text files in nested directories under DIR
  speed-data.py change DIR COUNT     rewrite COUNT of DIR's small text files (every n-th, sorted)

Text is natural-language-like: words drawn from a vocabulary of ~1,700 forms (base words with
suffixes) with a Zipf-like skew, sentences with capitals and punctuation, the odd number, name
and URL. It compresses about as much as chat logs do, unlike pgbench's blank padding.
"""
import os
import random
import sys
from datetime import datetime, timedelta, timezone

BASE = """
the be to of and a in that have it for not on with he as you do at this but his by from they we
say her she or an will my one all would there their what so up out if about who get which go me
when make can like time no just him know take people into year your good some could them see other
than then now look only come its over think also back after use two how our work first well way
even new want because any these give day most us model data train loss run batch layer token prompt
answer question user assistant message thread reply chat support ticket order payment refund account
password login error issue bug fix deploy server database backup restore cluster query index table
schema column value result report meeting call email team project plan week month today tomorrow
yesterday morning evening please thanks sorry great sure okay maybe really actually probably still
already again never always often sometimes weather travel flight hotel book read write code test
review merge branch release version update install config file folder upload download share link
image video audio photo music movie game food coffee lunch dinner price cost budget invoice customer
product feature request feedback design page screen button click open close start stop wait help
need try keep let put seem feel leave call ask show tell turn move live believe hold bring happen
provide sit stand lose pay meet include continue set learn change lead understand watch follow
create speak allow add spend grow offer remember love consider appear buy serve die send expect
build stay fall cut reach kill remain suggest raise pass sell require decide return explain hope
develop carry break receive agree support hit produce eat cover catch draw choose cause point
""".split()
SUFFIXES = ["", "", "", "s", "ed", "ing", "er", "ly"]
NAMES = ["Alice", "Bob", "Chen", "Dana", "Emeka", "Farah", "Giulia", "Hiro", "Ines", "Jonas",
         "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq"]


def vocabulary(rng):
    words = sorted({b + s for b in BASE for s in SUFFIXES})
    rng.shuffle(words)
    # Zipf-like: the k-th word is drawn with weight 1/(k+10)
    cum, total = [], 0.0
    for k in range(len(words)):
        total += 1.0 / (k + 10)
        cum.append(total)
    return words, cum


def sentences(rng, words, cum, count):
    picks = rng.choices(words, cum_weights=cum, k=count)
    out, i = [], 0
    while i < count:
        n = min(count - i, rng.randint(3, 14))
        s = picks[i:i + n]
        i += n
        r = rng.random()
        if r < 0.05:
            s.insert(rng.randrange(len(s) + 1), rng.choice(NAMES))
        elif r < 0.08:
            s.append(str(rng.randint(1, 99999)))
        elif r < 0.09:
            s.append("https://example.com/%s/%d" % (rng.choice(words), rng.randint(1, 9999)))
        s[0] = s[0].capitalize()
        out.append(" ".join(s) + rng.choice([".", ".", ".", "?", "!", "...", ","]))
    return " ".join(out)


def chat(rows):
    rng = random.Random(42)
    words, cum = vocabulary(rng)
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    write = sys.stdout.write
    conversation, left = 0, 0
    buf = []
    for i in range(rows):
        if left == 0:
            conversation += 1
            left = rng.randint(5, 80)
        left -= 1
        when = start + timedelta(seconds=i * 1.7)
        author = "user_%d" % rng.randint(1, 5000) if rng.random() < 0.5 else "assistant"
        body = sentences(rng, words, cum, rng.randint(4, 60))
        buf.append("%d\t%s\t%s\t%s\n" % (conversation, author, when.isoformat(), body))
        if len(buf) >= 2000:
            write("".join(buf))
            buf.clear()
    write("".join(buf))


def file_text(rng, words, cum, size):
    lines, n = [], 0
    while n < size:
        line = sentences(rng, words, cum, rng.randint(8, 40))
        lines.append(line)
        n += len(line) + 1
    return "\n".join(lines) + "\n"


def files(root, count):
    rng = random.Random(7)
    words, cum = vocabulary(rng)
    for i in range(count):
        d = os.path.join(root, "text", "d%02d" % (i % 20), "s%02d" % (i // 20 % 10))
        os.makedirs(d, exist_ok=True)
        # 1-14 KiB, about 7 KiB on average: JSON-lines-ish records and prose
        with open(os.path.join(d, "doc-%05d.txt" % i), "w") as f:
            f.write(file_text(rng, words, cum, rng.randint(1024, 14 * 1024)))


def change(root, count):
    rng = random.Random(99)
    words, cum = vocabulary(rng)
    paths = sorted(
        os.path.join(d, f) for d, _, fs in os.walk(os.path.join(root, "text")) for f in fs)
    if not paths:
        sys.exit("speed-data.py: no text files under %s/text" % root)
    step = max(1, len(paths) // count)
    for p in paths[::step][:count]:
        # a new file replaces the old one (so a hard-linked original stays as it was)
        with open(p) as f:
            old = f.read()
        tmp = p + ".new"
        with open(tmp, "w") as f:
            f.write(old[: len(old) // 2] + file_text(rng, words, cum, 512) + old[len(old) // 2:])
        os.replace(tmp, p)


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "chat" and len(sys.argv) == 3:
        chat(int(sys.argv[2]))
    elif cmd == "files" and len(sys.argv) == 4:
        files(sys.argv[2], int(sys.argv[3]))
    elif cmd == "change" and len(sys.argv) == 4:
        change(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)
