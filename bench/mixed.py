#!/usr/bin/env python3
"""Turns a generated Master.csv into a mixed good/bad file: about one line in
ten broken the ways real files break (cut short, a stray quote, a NUL byte,
invalid UTF-8, a duration of i64::MAX, a line of 70 KB, a blank line, CRLF).
Usage: mixed.py IN OUT [SEED]"""
import random
import sys

src, dst = sys.argv[1], sys.argv[2]
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)


def broken(line: bytes) -> bytes:
    k = rng.randrange(8)
    if k == 0:
        return line[: rng.randrange(1, max(2, len(line)))]
    if k == 1:
        i = rng.randrange(len(line))
        return line[:i] + b'"' + line[i:]
    if k == 2:
        i = rng.randrange(len(line))
        return line[:i] + b"\x00" + line[i:]
    if k == 3:
        i = rng.randrange(len(line))
        return line[:i] + b"\xff\xfe" + line[i:]
    if k == 4:
        parts = line.split(b",")
        if len(parts) > 12:
            parts[12] = b"9223372036854775807"
        return b",".join(parts)
    if k == 5:
        return b"x" * 70_000
    if k == 6:
        return b""
    return line + b"\r"


with open(src, "rb") as f, open(dst, "wb") as out:
    for line in f:
        line = line.rstrip(b"\n")
        if rng.random() < 0.1:
            line = broken(line)
        out.write(line + b"\n")
