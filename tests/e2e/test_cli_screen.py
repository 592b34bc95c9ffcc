#!/usr/bin/env python3
"""End to end: mctop's full-screen view, in a real terminal (tmux).

A real memcached 1.6.18 under a steady skewed load (one hot key read ten
times as often as a warm one, and a key that is only set); `mctop -p PID`
runs in a detached tmux session and the pane is read with capture-pane.
The hot key must be the first row within two intervals; `s` sorts by sets
(the setter first); `/war` + Enter filters to the warm key, and the footer
shows the filter quoted; `r` resets sort and filter; a resize redraws; `q`
quits with status 0.  Then `mctop -p PID -s hits`: the screen opens sorted
by hits (that column marked), and the keys are ranked by hits (the key that
is only set has none: it is not a row).  Every program and map is released.
"""
import os
import shlex
import subprocess
import sys
import threading
import time

import mcproto
import mctest
import mctopcmd

SESSION = "mctop-screen-test-%d" % os.getpid()


def tmux(*args):
    return subprocess.run(["tmux", *args], capture_output=True, text=True)


def pane():
    return tmux("capture-pane", "-p", "-t", SESSION).stdout


def rows(text):
    """The key column of the rows under the column header."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.lstrip("*").startswith("key") and "calls/s" in line:
            return [r.split()[0] for r in lines[i + 1:]
                    if r.strip() and not r.startswith("sort:") and
                    not r.startswith("filter:")]
    return []


def footer(text):
    """The help line at the bottom."""
    lines = [line for line in text.splitlines() if line.startswith("sort:")]
    return lines[-1].rstrip() if lines else ""


def sort_hits(tap, pid, status):
    """mctop -s hits: opened sorted, and ranked, by hits."""
    cmd = (f"{shlex.quote(mctopcmd.command())} -p {pid} -i 0.5 -s hits; "
           f"echo $? > {status}; sleep 30")
    tmux("new-session", "-d", "-s", SESSION, "-x", "150", "-y", "30", cmd)
    try:
        tap.ok(first_row("hot:key", 5) and
               mctest.wait_until(lambda: rows(pane()) ==
                                 ["hot:key", "warm:key", "~other"], 3, 0.1),
               "-s hits: the keys with hits, the hot key first; the key "
               "that is only set is no row", pane())
        head = [line for line in pane().splitlines() if "calls/s" in line]
        tap.ok(head and "*hits/s" in head[0] and head[0].count("*") == 1,
               "-s hits: the screen opens sorted by hits, that column "
               "marked", pane())
        tmux("send-keys", "-t", SESSION, "q")
        tap.ok(mctest.wait_until(lambda: os.path.exists(status), 10),
               "-s hits: q quits", pane())
    finally:
        tmux("kill-session", "-t", SESSION)
        if os.path.exists(status):
            os.unlink(status)


def first_row(want, timeout):
    return mctest.wait_until(lambda: rows(pane())[:1] == [want], timeout,
                             interval=0.1)


def load(port, stop):
    mc = mcproto.MemcacheClient("127.0.0.1", port)
    mc.set(b"hot:key", b"h" * 50)
    mc.set(b"warm:key", b"w" * 20)
    while not stop.is_set():
        for _ in range(10):
            mc.get(b"hot:key")
        mc.get(b"warm:key")
        for _ in range(3):
            mc.set(b"set:only", b"s")
        time.sleep(0.005)


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    if subprocess.run(["which", "tmux"], capture_output=True).returncode:
        tap.bail("tmux is not installed (scripts/install-deps installs it)")
    before = mctopcmd.bpf_objects()
    binary = mctest.memcached_binary("1.6.18")
    with mctest.Memcached(binary, threads=2) as mcd:
        stop = threading.Event()
        loader = threading.Thread(target=load, args=(mcd.port, stop),
                                  daemon=True)
        loader.start()
        status = f"/tmp/{SESSION}.status"
        cmd = (f"{shlex.quote(mctopcmd.command())} -p {mcd.pid} -i 1; "
               f"echo $? > {status}; sleep 30")
        tmux("kill-session", "-t", SESSION)
        r = tmux("new-session", "-d", "-s", SESSION, "-x", "150", "-y", "30",
                 cmd)
        tap.ok(r.returncode == 0, "mctop started in tmux", r.stderr)
        try:
            t0 = time.monotonic()
            hot = first_row("hot:key", 5)
            tap.ok(hot and time.monotonic() - t0 < 3.5,
                   f"the hot key is the first row within two intervals "
                   f"({time.monotonic() - t0:.1f} s)", pane())
            text = pane()
            tap.ok("memcached 1.6.18" in text and "requests/s" in text and
                   "hit ratio" in text and "~other" in text,
                   "the header shows the version, requests, hit ratio; "
                   "~other is the last row", text)
            # Each sort key and its word, from the screen's column table
            # (no Latency in this run: no l latency).
            tap.eq(footer(text).split(" | ")[0],
                   "sort: k key c calls g gets h hits m misses s sets o out "
                   "i in z size", "the footer names every sort key")
            tmux("send-keys", "-t", SESSION, "s")
            tap.ok(first_row("set:only", 3), "s sorts by sets: the key that "
                   "is only set comes first", pane())
            tmux("send-keys", "-t", SESSION, "/", "w", "a", "r", "Enter")
            tap.ok(mctest.wait_until(
                lambda: rows(pane()) == ["warm:key", "~other"], 3, 0.1),
                "/war filters the rows to the warm key (and ~other)", pane())
            foot = footer(pane())
            tap.ok(foot.endswith('| p pause / filter "war"  r reset q quit')
                   and "[" not in foot,
                   "the footer shows the filter quoted, no lone [", foot)
            tmux("send-keys", "-t", SESSION, "r")
            tap.ok(first_row("hot:key", 3) and
                   footer(pane()).endswith("| p pause / filter r reset q quit")
                   and "*calls/s" in pane(),
                   "r: back to calls, no filter", pane())
            tmux("send-keys", "-t", SESSION, "/", "w", "a", "r", "Enter")
            mctest.wait_until(lambda: rows(pane()) == ["warm:key", "~other"],
                              3, 0.1)
            tmux("resize-window", "-t", SESSION, "-x", "100", "-y", "20")
            tap.ok(mctest.wait_until(lambda: all(
                len(line) <= 100 for line in pane().splitlines())
                and "warm:key" in pane(), 3, 0.1),
                "a resized terminal is redrawn to its width", pane())
            tmux("send-keys", "-t", SESSION, "q")
            quit_ok = mctest.wait_until(lambda: os.path.exists(status), 10)
            with open(status) if quit_ok else open(os.devnull) as f:
                code = f.read().strip()
            tap.ok(quit_ok and code == "0", f"q quits, status 0 ({code!r})",
                   pane())
        finally:
            tmux("kill-session", "-t", SESSION)
            if os.path.exists(status):
                os.unlink(status)
        try:
            sort_hits(tap, mcd.pid, status)
        finally:
            stop.set()
            loader.join(5)
    left = mctopcmd.leftovers(before)
    tap.ok(not left, "every program and map is released after q",
           "\n".join(left[:10]))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
