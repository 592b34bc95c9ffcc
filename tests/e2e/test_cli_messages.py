#!/usr/bin/env python3
"""End to end: what the mctop command says when it is given something wrong,
and that -s takes every sort its screen offers.

Each bad input is run as a newcomer would type it, and its message is
checked whole (stderr, line by line, and the exit status):
- a mistyped flag names the nearest one (--josn: did you mean --json?),
  long or short, and points to --help in one line, not the usage;
- a bad value names the option, the fix, and the option's flag;
- a target that is not memcached (/usr/bin/sleep as -b, or its PID as -p)
  says so and names the flags to check, where it used to ask for debug
  symbols; a stripped memcached without its debug file names where the
  file belongs, in one short line with the fixes;
- every line starts with "mctop: " whatever argv[0], and none says
  `instance "mctop"` (collectd's word), with -v too;
- no privileges: one line naming the capabilities.
Then every sort of the screen is a -s value, and the keys are ranked by it:
on a real memcached 1.6.18, a burst made so that each figure has another
leader, `-s WHAT -k 1 --json` shows that leader with the count sent
(memcached's own stats agreeing for hits).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import mcproto
import mctest
import mctopcmd
from elffiles import build_id, split_debug

HELP = "mctop: mctop --help lists every flag"
NOT_MEMCACHED = ("is not memcached (no memcached version string, functions "
                 "or USDT probes in it): check -p, --pidfile, -b or --match")


def lines_of(err):
    return err.rstrip("\n").split("\n") if err else []


def says(tap, argv, rc_want, want_lines, what):
    rc, out, err = mctopcmd.run(*argv)
    got = lines_of(err)
    tap.ok(rc == rc_want and got == want_lines,
           f"{what}: status {rc_want}, exactly {len(want_lines)} line(s)",
           f"status {rc}\nwant: {want_lines}\ngot:  {got}")
    return err


def flags(tap):
    for given, near in (("--josn", "--json"), ("-json", "--json"),
                        ("--top-key", "--top-keys"), ("--intervall",
                                                      "--interval"),
                        ("--p", "-p"), ("-P", "-p")):
        says(tap, [given, "1"], 2,
             [f"mctop: unknown flag {given} (did you mean {near}?)", HELP],
             f"{given}: did you mean {near}")
    says(tap, ["-x"], 2, ["mctop: unknown flag -x", HELP],
         "-x: unknown, nothing near, no usage")
    says(tap, ["-p", "1", "extra"], 2,
         ['mctop: unexpected argument "extra": every value follows its flag',
          HELP], "a stray argument")
    # argv[0] is not the prefix: one word for the command wherever it is.
    with tempfile.TemporaryDirectory() as d:
        exe = os.path.join(d, "build", "mctop")
        os.makedirs(os.path.dirname(exe))
        os.symlink(mctopcmd.command(), exe)
        p = subprocess.run([exe, "--josn"], capture_output=True, text=True,
                           timeout=30)
    tap.ok(lines_of(p.stderr) == [
        "mctop: unknown flag --josn (did you mean --json?)", HELP],
        "run as .../build/mctop, the prefix is still mctop:", p.stderr)
    rc, out, err = mctopcmd.run("--help")
    tap.ok(rc == 0 and out.startswith("usage: mctop [-p PID]") and
           "hits, misses, sets, out, in, size" in out and
           "-s, --sort key" in out,
           "--help: the usage on stdout, every sort named", out[:2000])


def values(tap):
    says(tap, ["-p", "1", "-k", "5000"], 2,
         ["mctop: TopKeys 5000 is out of range: use a whole number from 0 "
          "to 1000",
          "mctop: TopKeys is -k or --top-keys; mctop --help lists every "
          "flag"], "a bad value: the option's message and its flag")
    says(tap, ["-p", "1", "-s", "hit"], 2,
         ['mctop: SortBy "hit" is unknown: use "calls", "gets", "hits", '
          '"misses", "sets", "out", "in", "size", "latency", "bytes" or '
          '"lookups"',
          "mctop: SortBy is -s or --sort; mctop --help lists every flag"],
         "a bad sort: every one allowed, and the flag")
    says(tap, ["-i", "2"], 2,
         ["mctop: nothing to trace: give at least one of -p, --pidfile, -b "
          "or --match", HELP], "no target: the flags to give")
    says(tap, ["-p", "1", "--privacy", "hash"], 2,
         ['mctop: KeyPrivacy "hash" needs KeySalt: add KeySalt "<at least 16 '
          'secret characters>" (without a secret salt, anyone could hash '
          'guessed keys and compare)',
          "mctop: KeyPrivacy is --privacy; KeySalt is --salt; mctop --help "
          "lists every flag"], "two options named: both flags")


def not_memcached(tap, work):
    sleep = shutil.which("sleep")
    says(tap, ["-b", sleep, "--json", "-n", "1"], 1,
         [f"mctop: {sleep} {NOT_MEMCACHED}"],
         "-b /usr/bin/sleep: not memcached, the flags to check")
    p = subprocess.Popen([sleep, "60"])
    try:
        says(tap, ["-p", str(p.pid), "--json", "-n", "1"], 1,
             [f"mctop: PID {p.pid} ({sleep}) {NOT_MEMCACHED}"],
             "-p of a sleep: the PID and what it runs, not memcached")
    finally:
        p.kill()
        p.wait()
    rc, out, err = mctopcmd.run("-b", sleep, "--json", "-n", "1", "-v")
    bad = [line for line in lines_of(err) if not line.startswith("mctop: ")
           or 'instance "' in line or "Instance" in line]
    tap.ok(rc == 1 and NOT_MEMCACHED in err and not bad,
           "-v: every line starts mctop:, none names an instance",
           "\n".join(bad) or err[-1500:])
    # A real memcached, stripped, its debug file nowhere: short, the fixes.
    plain = subprocess.run(
        [os.path.join(mctest.SRCDIR, "tests", "build-memcached"), "1.6.18",
         "--plain"], check=True, text=True, stdout=subprocess.PIPE
    ).stdout.strip()
    stripped, debug = split_debug(plain, work, "memcached")
    os.unlink(debug)  # linked, by build id and by name, and nowhere
    bid = build_id(stripped)
    env = {k: v for k, v in os.environ.items() if k != "DEBUGINFOD_URLS"}
    p = subprocess.run([mctopcmd.command(), "-b", stripped, "--json", "-n",
                        "1"], capture_output=True, text=True, timeout=30,
                       env=env, stdin=subprocess.DEVNULL)
    want = re.compile(
        re.escape(f"mctop: {stripped} has no memcached USDT probes and no "
                  f"symbols (no debug file at /usr/lib/debug/.build-id/"
                  f"{bid[:2]}/{bid[2:]}.debug nor at 3 other places; "
                  f"debuginfod: ") +
        r"(DEBUGINFOD_URLS is not set|debuginfod support is not built in "
        r"\(mctop was configured without libdebuginfod\))" +
        re.escape("): install the memcached debug symbols (Debian: "
                  "memcached-dbgsym) or say where they are (DebugDirectory, "
                  "DEBUGINFOD_URLS), or rebuild memcached with ./configure "
                  "--enable-dtrace"))
    got = lines_of(p.stderr)
    tap.ok(p.returncode == 1 and len(got) == 1 and want.fullmatch(got[0]),
           "a stripped memcached: where its debug file belongs, how many "
           "other places were looked at, and the fixes, in one line",
           f"status {p.returncode}\n{p.stderr}")


def no_privileges(tap):
    # Nobody must be able to run the binary, wherever the build tree is.
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        exe = os.path.join(d, "mctop")
        shutil.copy(mctopcmd.command(), exe)
        os.chmod(exe, 0o755)
        p = subprocess.run(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
             "--inh-caps=-all", "--bounding-set=-all", exe, "-p", "1",
             "--json", "-n", "1"], capture_output=True, text=True, timeout=30)
    lines = lines_of(p.stderr)
    tap.ok(p.returncode == 1 and len(lines) == 1 and
           lines[0].startswith("mctop: ") and
           "CAP_BPF and CAP_PERFMON" in lines[0],
           f"no privileges: one line naming the capabilities, status 1 (got "
           f"{p.returncode})", p.stderr[-800:])


# Each figure has its own leader in the burst: (sort, key, figure, count).
LEADERS = [
    ("calls", b"many:sets", "calls", 32),
    ("gets", b"many:hits", "gets", 20),
    ("hits", b"many:hits", "hits", 20),
    ("misses", b"miss:key", "misses", 10),
    ("sets", b"many:sets", "sets", 30),
    ("out", b"big:value", "tx", 5000),
    ("in", b"many:sets", "rx", 30 * 500),
    ("size", b"big:value", "objsize", 5000),
]


def burst(port):
    mc = mcproto.MemcacheClient("127.0.0.1", port)
    for _ in range(30):
        mc.set(b"many:sets", b"s" * 500)
    for _ in range(2):
        mc.get(b"many:sets")
    mc.set(b"many:hits", b"h" * 10)
    for _ in range(20):
        mc.get(b"many:hits")
    mc.set(b"big:value", b"b" * 5000)
    mc.get(b"big:value")
    for _ in range(10):
        mc.get(b"miss:key")


def stats(port):
    s = mcproto.MemcacheClient("127.0.0.1", port).stats()
    return int(s["get_hits"])


def ranked_by(tap, port, pid, sort, key, field, count):
    """mctop -s sort -k 1: the burst, right after an interval ends, lands in
    the next one, whose one key must be the leader."""
    cmd = mctopcmd.JsonMctop("-p", str(pid), "-k", "1", "-s", sort,
                             interval="1")
    try:
        if not cmd.wait_lines(1):
            tap.ok(False, f"-s {sort}: mctop runs", cmd.stop()[1][-800:])
            return
        n = len(cmd.lines)
        hits0 = stats(port)
        burst(port)
        hits = stats(port) - hits0
        ok = cmd.wait_lines(n + 1)
        line = cmd.lines[n] if ok else {"keys": []}
        shown = [(k["key"], k.get(field)) for k in line["keys"]]
        want = [(key.decode(), count)]
        tap.ok(shown == want, f"-s {sort}: the one key shown is the "
               f"{field} leader with {count}", f"shown {shown}")
        if sort == "hits":
            tap.ok(line.get("totals", {}).get("hits") == hits == 23,
                   f"-s hits: the totals' hits are memcached's own "
                   f"get_hits ({hits})", str(line.get("totals")))
    finally:
        rc, err = cmd.stop()
    tap.ok(rc == 0 and not cmd.bad, f"-s {sort}: SIGTERM ends it, status 0",
           err[-500:])


def sorts(tap):
    binary = mctest.memcached_binary("1.6.18")
    with mctest.Memcached(binary, threads=2) as mcd:
        for sort, key, field, count in LEADERS:
            ranked_by(tap, mcd.port, mcd.pid, sort, key, field, count)
        # The two the burst has no leader for: accepted, and run.
        for argv in (["-s", "key"], ["-s", "latency", "--latency"]):
            rc, out, err = mctopcmd.run("-p", str(mcd.pid), "--json", "-i",
                                        "0.2", "-n", "1", *argv)
            tap.ok(rc == 0 and out.startswith('{"time"'),
                   f"{' '.join(argv)}: accepted, one JSON line", err[-800:])


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    before = mctopcmd.bpf_objects()
    flags(tap)
    values(tap)
    with tempfile.TemporaryDirectory() as work:
        not_memcached(tap, work)
    no_privileges(tap)
    sorts(tap)
    left = mctopcmd.leftovers(before)
    tap.ok(not left, "every program and map of the commands is released",
           "\n".join(left[:10]))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
