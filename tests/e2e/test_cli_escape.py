#!/usr/bin/env python3
"""End to end: hostile key bytes on mctop's screen and in --json.

A real memcached 1.6.18; a client sends, over the binary protocol (which
takes any byte in a key), keys holding an OSC title sequence with BEL and
a clear-screen CSI, a C1 CSI as UTF-8 (U+009B), a right-to-left override
(U+202E), a CR, and for the columns "café" and a CJK key.  `mctop -p PID`
runs in tmux (UTF-8 locale), its output to the terminal recorded with
pipe-pane: no raw control, C1 or bidi byte may reach the terminal, the pane
title stays, each key shows its escaped name and every row's columns line
up with the header.  Then `mctop --json`: every line is valid UTF-8 with no
raw control, its keys are exactly the names collectd gets (so "é" is "é",
not "Ã©", and two keys never print alike), and percent-decoding a key gives
back the exact bytes sent.
"""
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import json
from urllib.parse import unquote_to_bytes

import mcproto
import mctest
import mctopcmd
from keyname import key_name

SESSION = "mctop-escape-test-%d" % os.getpid()

SCREEN_KEYS = [
    b"esc\x1b]0;PWNED\x07\x1b[2J",  # retitle, BEL, clear screen
    b"c1\xc2\x9b" b"7mrev",          # U+009B: CSI, reverse video
    "bidi\u202eabc".encode(),        # right-to-left override
    b"cr\rline",                     # a carriage return
    "café".encode(),                 # one column, two bytes
    "中文:key".encode(),             # two columns per character
]
JSON_KEYS = SCREEN_KEYS + [
    "é".encode(),                    # printed "\u00c3\u00a9" before
    "Ã©".encode(),                   # ... which decodes to this key's name
    b"bad\xff\xfe\xc3",              # not UTF-8
]
# Never in what mctop writes to a terminal.
RAW = [b"\x1b]", b"\x07", b"\xc2\x9b", b"\xe2\x80\xae", b"\rline",
       b"\x1b[2J"]


def tmux(*args):
    return subprocess.run(["tmux", *args], capture_output=True, text=True)


def pane():
    return tmux("capture-pane", "-p", "-t", SESSION).stdout


def width(text):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in text)


def columns(line, start, end):
    """The characters of line in display columns [start, end)."""
    out, col = "", 0
    for c in line:
        if start <= col < end:
            out += c
        col += width(c)
    return out


def table(text):
    """(header, rows) under the column header."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.lstrip("*").startswith("key") and "calls/s" in line:
            return line, [r for r in lines[i + 1:] if r.strip() and
                          not r.startswith(("sort:", "filter:"))]
    return "", []


def load(port, keys, stop):
    mc = mcproto.BinaryClient("127.0.0.1", port)
    for k in keys:
        mc.set(k, b"v")
    while not stop.is_set():
        for k in keys:
            mc.get(k)
        time.sleep(0.01)


def screen(tap, mcd):
    names = [key_name(k) for k in SCREEN_KEYS]
    raw_log = tempfile.NamedTemporaryFile(prefix="mctop-pane-", delete=False)
    raw_log.close()
    status = f"/tmp/{SESSION}.status"
    cmd = (f"sleep 0.5; LC_ALL=C.UTF-8 {shlex.quote(mctopcmd.command())} "
           f"-p {mcd.pid} -i 1; echo $? > {status}; sleep 30")
    tmux("kill-session", "-t", SESSION)
    r = tmux("-u", "new-session", "-d", "-s", SESSION, "-x", "150", "-y",
             "30", cmd)
    tap.ok(r.returncode == 0, "mctop started in tmux", r.stderr)
    tmux("pipe-pane", "-o", "-t", SESSION, "cat >> " + raw_log.name)
    title = tmux("display-message", "-p", "-t", SESSION,
                 "#{pane_title}").stdout
    try:
        shown = mctest.wait_until(
            lambda: set(names) <= {r.split()[0] for r in table(pane())[1]},
            8, 0.1)
        text = pane()
        tap.ok(shown, "every key shows its escaped name: " +
               ", ".join(names), text)
        header, rows = table(text)
        edge = header.index("calls/s") + len("calls/s")
        bad = [r for r in rows
               if not columns(r, edge - 1, edge + 1)[:1].strip() or
               columns(r, edge, edge + 1).strip()]
        tap.ok(rows and not bad, "each row's calls/s ends in the header's "
               f"column {edge} (wide and accented keys measured in columns)",
               "\n".join([header] + bad))
        tap.ok("\u202e" not in text and "\u009b" not in text and
               "PWNED" not in tmux("display-message", "-p", "-t", SESSION,
                                   "#{pane_title}").stdout,
               "no override or C1 in the pane, the title is unchanged "
               f"({title.strip()!r})", text)
        tmux("send-keys", "-t", SESSION, "q")
        quit_ok = mctest.wait_until(lambda: os.path.exists(status), 10)
        tap.ok(quit_ok, "q quits", pane())
    finally:
        tmux("kill-session", "-t", SESSION)
        if os.path.exists(status):
            os.unlink(status)
    with open(raw_log.name, "rb") as f:
        raw = f.read()
    os.unlink(raw_log.name)
    found = [s for s in RAW if s in raw]
    tap.ok(len(raw) > 1000 and not found,
           f"the {len(raw)} bytes mctop wrote to the terminal hold no raw "
           "OSC, BEL, CSI, C1, bidi override or CR from a key",
           f"found: {found}")
    try:
        raw.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError as e:
        utf8 = e
    tap.ok(utf8 is True, "and are valid UTF-8", str(utf8))


def json_lines(tap, mcd):
    proc = subprocess.Popen([mctopcmd.command(), "--json", "-i", "0.5", "-p",
                             str(mcd.pid)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout),
                              daemon=True)
    reader.start()
    mctest.wait_until(lambda: len(lines) >= 1, 10, 0.05)
    mc = mcproto.BinaryClient("127.0.0.1", mcd.port)
    for i, k in enumerate(JSON_KEYS):
        for _ in range(i + 2):
            mc.get(k)
    mctest.wait_until(lambda: len(lines) >= 4, 10, 0.05)
    proc.send_signal(signal.SIGTERM)
    proc.wait(15)
    reader.join(5)
    got, errors = {}, []
    for raw in lines:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            errors.append(f"not UTF-8: {e}: {raw!r}")
            continue
        if any(ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f or
               c in "\u202e\u2028\u2029" for c in text.rstrip("\n")):
            errors.append(f"a raw control or bidi character: {raw!r}")
        for k in json.loads(text)["keys"]:
            got[k["key"]] = got.get(k["key"], 0) + k["gets"]
    tap.ok(lines and not errors, f"{len(lines)} JSON lines, each valid "
           "UTF-8 without a raw control, C1 or bidi character",
           "\n".join(errors))
    want = {key_name(k): i + 2 for i, k in enumerate(JSON_KEYS)}
    tap.ok(got == want, "the keys are exactly the names collectd gets, "
           "each with its gets (\"é\" as \"é\", \"Ã©\" apart)",
           f"got {got!r}\nwant {want!r}")
    back = sorted(unquote_to_bytes(k) for k in got)
    tap.ok(back == sorted(JSON_KEYS), "percent-decoding the JSON keys gives "
           "back the exact bytes sent", f"{back!r}")


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    if subprocess.run(["which", "tmux"], capture_output=True).returncode:
        tap.bail("tmux is not installed (scripts/install-deps installs it)")
    before = mctopcmd.bpf_objects()
    with mctest.Memcached(mctest.memcached_binary("1.6.18"), threads=2) as mcd:
        stop = threading.Event()
        loader = threading.Thread(target=load, daemon=True,
                                  args=(mcd.port, SCREEN_KEYS, stop))
        loader.start()
        try:
            screen(tap, mcd)
        finally:
            stop.set()
            loader.join(5)
        json_lines(tap, mcd)
    left = mctopcmd.leftovers(before)
    tap.ok(not left, "every program and map is released",
           "\n".join(left[:10]))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
