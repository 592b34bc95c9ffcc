#!/usr/bin/env python3
"""End to end: the mctop command with --json.

One real memcached 1.6.18 (USDT probes), and at the same time on it: three
mctop commands (plain names; a KeyPattern collapse; hashed names) and a
real collectd loading mctop.so.  A known workload over the text and binary
protocols must come out exactly in each: every key's interval counts summed
over the JSON lines equal what was sent, the totals equal memcached's own
`stats` counters, a collapsed key never shows its raw name, hashed names are
HMAC-SHA256(salt, key).  SIGTERM ends each command with status 0 and every
program, link and map it loaded released (bpftool).  A process that does
not exist: one line naming it and status 1 (the other bad inputs are
test_cli_messages.py's).
"""
import hashlib
import hmac
import os
import subprocess
import sys

import mcproto
import mctest
import mctopcmd
from keyname import key_name

SALT = "cli-test-salt-0123456789"
HOST = "mctop-test"


def workload(port):
    """What is sent, per key: {key: {"gets", "hits", "misses", "sets",
    "deletes"}}."""
    want = {}

    def add(key, **kw):
        k = want.setdefault(key, {"gets": 0, "hits": 0, "misses": 0,
                                  "sets": 0, "deletes": 0})
        for f, n in kw.items():
            k[f] += n

    text = mcproto.MemcacheClient("127.0.0.1", port)
    for _ in range(5):
        text.set(b"page:home", b"x" * 100)
    add(b"page:home", sets=5)
    for _ in range(40):
        text.get(b"page:home")
    add(b"page:home", gets=40, hits=40)
    for _ in range(7):
        text.get(b"absent:1")
    add(b"absent:1", gets=7, misses=7)
    for i in range(12):
        text.set(b"user:%d" % i, b"v")
        text.get(b"user:%d" % i)
        add(b"user:%d" % i, sets=1, gets=1, hits=1)
    text.delete(b"page:home")
    add(b"page:home", deletes=1)
    binary = mcproto.BinaryClient("127.0.0.1", port)
    for _ in range(4):
        binary.set(b"bin:key", b"yy")
    add(b"bin:key", sets=4)
    for _ in range(9):
        binary.get(b"bin:key")
    add(b"bin:key", gets=9, hits=9)
    return want


def collapse(want):
    """The same workload as the collapsing command sees it."""
    out = {}
    for k, v in want.items():
        name = "user:*" if k.startswith(b"user:") else key_name(k)
        acc = out.setdefault(name, dict.fromkeys(v, 0))
        for f, n in v.items():
            acc[f] += n
    return out


def hashed(key):
    return hmac.new(SALT.encode(), key, hashlib.sha256).hexdigest()[:16]


def fields(got, want):
    return {f: got.get(f, 0) for f in want}


def check_view(tap, label, cmd, want_by_name, stats_delta):
    keys, totals = cmd.sums()
    diffs = {n: (fields(keys.get(n, {}), w), w)
             for n, w in want_by_name.items()
             if fields(keys.get(n, {}), w) != w}
    tap.ok(not diffs, f"{label}: every key's counts summed over the JSON "
           f"lines are the workload's ({len(want_by_name)} keys)",
           f"got/want: {diffs}")
    tap.ok(totals.get("get") == stats_delta["cmd_get"] and
           totals.get("set") == stats_delta["cmd_set"] and
           totals.get("hits") == stats_delta["get_hits"] and
           totals.get("misses") == stats_delta["get_misses"],
           f"{label}: the totals equal memcached's own stats "
           f"(get {totals.get('get')}, set {totals.get('set')}, "
           f"hits {totals.get('hits')}, misses {totals.get('misses')})",
           f"stats: {stats_delta}")
    return keys


def stats(port):
    s = mcproto.MemcacheClient("127.0.0.1", port).stats()
    return {k: int(s[k]) for k in ("cmd_get", "cmd_set", "get_hits",
                                   "get_misses")}


def no_such_process(tap):
    rc, out, err = mctopcmd.run("-p", "4194303", "--json", "-n", "1")
    lines = err.strip().splitlines()
    tap.ok(rc == 1 and lines == ["mctop: PID 4194303 does not exist (is "
                                 "memcached running?)"],
           f"no such process: one line naming it and status 1 (got {rc})",
           err[-500:])


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    no_such_process(tap)
    before = mctopcmd.bpf_objects()
    binary = mctest.memcached_binary("1.6.18")
    with mctest.Memcached(binary, threads=2) as mcd:
        pid = str(mcd.pid)
        conf = (f'  <Instance "cli">\n    PID {pid}\n    TopKeys 50\n'
                '  </Instance>\n')
        with mctest.Collectd(os.environ["MCTOP_PLUGIN"], conf,
                             extra_plugins=("csv", "logfile")) as cd:
            cmds = {
                "plain": mctopcmd.JsonMctop("-p", pid, "-k", "50"),
                "collapsed": mctopcmd.JsonMctop(
                    "-p", pid, "-k", "50",
                    "--key-pattern", "^user:[0-9]+$=user:*"),
                "hashed": mctopcmd.JsonMctop(
                    "-p", pid, "-k", "50", "--privacy", "hash",
                    "--salt", SALT),
            }
            started = all(c.wait_lines(1) for c in cmds.values())
            attached = cd.wait_log(r'instance "cli": tracing', 20)
            tap.ok(started and attached, "three commands and collectd trace "
                   "the same memcached at once",
                   str({n: (c.proc.poll(), c.argv) for n, c in cmds.items()}))
            if not (started and attached):
                for c in cmds.values():
                    tap.diag(str(c.stop()))
                return tap.done()
            s0 = stats(mcd.port)
            want = workload(mcd.port)
            s1 = stats(mcd.port)
            delta = {k: s1[k] - s0[k] for k in s0}
            total_gets = delta["cmd_get"]

            def settled(c):
                return sum(d["totals"]["get"] for d in c.lines) >= total_gets

            mctest.wait_until(lambda: all(settled(c) for c in cmds.values()),
                              10)
            # one more interval: a key's events land in the interval after
            # the totals' at most
            n = {k: len(c.lines) for k, c in cmds.items()}
            mctest.wait_until(lambda: all(len(c.lines) > n[k] + 1
                                          for k, c in cmds.items()), 5)
            plain = {key_name(k): v for k, v in want.items()}
            keys = check_view(tap, "plain", cmds["plain"], plain, delta)
            tap.ok(keys.get("~other", {}).get("calls", 0) == 0,
                   "plain: every key fitted -k 50: ~other counted nothing",
                   str(keys.get("~other")))
            ckeys = check_view(tap, "collapsed", cmds["collapsed"],
                               collapse(want), delta)
            raw = [k for k in ckeys if k.startswith("user:") and k != "user:*"]
            tap.ok(not raw, "collapsed: no user:N key shows under its own "
                   "name", str(raw[:5]))
            hkeys = check_view(tap, "hashed", cmds["hashed"],
                               {hashed(k): v for k, v in want.items()}, delta)
            texty = [k for k in hkeys if k != "~other" and
                     (len(k) != 16 or any(c not in "0123456789abcdef"
                                          for c in k))]
            tap.ok(not texty, "hashed: every name is 16 hex digits of "
                   "HMAC-SHA256(salt, key)", str(texty[:5]))
            def plugin_gets():
                row = mctest.latest(cd.csv_dir, HOST, "mctop-cli",
                                    "mctop_key", key_name(b"page:home"))
                return int(float(row["gets"])) if row else None

            tap.ok(mctest.wait_until(lambda: plugin_gets() == 40, 10),
                   "collectd's plugin, beside them, counted the same key "
                   f"exactly ({plugin_gets()} gets of page:home)")
            for name, c in cmds.items():
                rc, err = c.stop()
                tap.ok(rc == 0 and not c.bad, f"{name}: SIGTERM ends it "
                       f"with status 0 (got {rc})", err[-500:])
            cd.stop()
    left = mctopcmd.leftovers(before)
    tap.ok(not left, "every program and map of the commands and collectd "
           "is released", "\n".join(left[:10]))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
