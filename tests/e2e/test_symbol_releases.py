#!/usr/bin/env python3
"""Symbol mode across memcached releases, built the way distributions build
them: each release from ../shared/memcached-src (tests/build-memcached-release),
plain (./configure) or with link-time optimisation (Ubuntu's, Fedora's and
RHEL's -flto=auto, which inlines do_item_touch into item_touch and, on 1.5.22,
do_store_item into store_item), or stripped (traced with its debug file in a
DebugDirectory).  For each, the real `mctop --json` traces a
memcached while tests/lib/symload.py's text, binary and (from 1.6.10) meta
workload runs, then real clients' (tests/lib/clientload.py: pymemcache,
libmemcached-tools in the binary protocol, meta commands in the release's own
dialect from 1.5.19): every key's gets, hits, misses, sets, touches and ariths
must be the workload's, and the totals memcached's own `stats` (cmd_get,
get_hits, get_misses, cmd_set, cmd_touch, incr/decr hits and misses); every
key's deletes those that deleted it, and their sum memcached's delete_hits.

The CI sample covers both item layouts and both callers that stand in for an
inlined function: 1.5.14 plain (8-bit it_flags at 39), 1.5.22 lto
(store_item), 1.6.9 plain, 1.6.24 lto (item_touch), 1.6.45 plain.  By hand:
  MCTOP_RELEASES="1.5.0 1.5.1 ..." MCTOP_FLAVOURS="plain lto stripped" \
      make check TESTS=tests/e2e/test_symbol_releases.py
runs every release in every flavour and prints a table at the end.

Then what has no sound site is refused by name: a 1.6.24 LTO build whose
item_touch (or do_store_item) was renamed away.  And what the DWARF decides
(every build here has memcached's default -g, the stripped flavour in its
debug file): a 1.6.24 built from a memcached.h with a byte inserted before
nkey is refused naming that fact; a 1.6.45 whose version string says 1.6.99
(a release past the table) is traced exactly with a notice that its DWARF
confirmed it, and refused by name once stripped of its DWARF.
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
from clientload import (libmemcached_workload, meta_dialect, new_meta_extra,
                        old_meta_workload, pymemcache_workload)
from elffiles import build_id
from keyname import key_name
from symload import SymExpect, binary_workload, meta_workload, text_workload

SAMPLE = [("1.5.14", "plain"), ("1.5.22", "lto"), ("1.6.9", "plain"),
          ("1.6.24", "lto"), ("1.6.45", "plain")]
PER_KEY = ("gets", "hits", "misses", "sets", "touches", "ariths")
STORES = ("set", "add", "replace", "append", "prepend", "cas")


def matrix():
    releases = os.environ.get("MCTOP_RELEASES", "").split()
    if not releases:
        return SAMPLE
    flavours = os.environ.get("MCTOP_FLAVOURS", "plain").split()
    return [(v, f) for v in releases for f in flavours]


def build(version, flavour):
    """The binary's path, or (None, the build's last words)."""
    script = os.path.join(mctest.SRCDIR, "tests", "build-memcached-release")
    p = subprocess.run([script, version, flavour], text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        return None, p.stderr.strip().splitlines()[-1:]
    return p.stdout.strip(), None


def stats(port):
    s = mcproto.MemcacheClient("127.0.0.1", port).stats()
    names = ("cmd_get", "get_hits", "get_misses", "cmd_set", "cmd_touch",
             "incr_hits", "incr_misses", "decr_hits", "decr_misses",
             "delete_hits", "delete_misses")
    return {k: int(s[k]) for k in names}


def from_stats(d):
    """memcached's stats delta as mctop's totals name them."""
    return {"get": d["cmd_get"], "hits": d["get_hits"],
            "misses": d["get_misses"], "sets": d["cmd_set"],
            "touch": d["cmd_touch"],
            "ariths": d["incr_hits"] + d["incr_misses"] + d["decr_hits"] +
            d["decr_misses"]}


def from_totals(t):
    return {"get": t.get("get", 0), "hits": t.get("hits", 0),
            "misses": t.get("misses", 0),
            "sets": sum(t.get(c, 0) for c in STORES),
            "touch": t.get("touch", 0),
            "ariths": t.get("incr", 0) + t.get("decr", 0)}


def workload(port, version):
    """Our own client's text, binary and meta sessions, then real clients':
    pymemcache (text), libmemcached-tools (binary) and meta commands in the
    dialect of the release."""
    e = SymExpect()
    mc = mcproto.MemcacheClient("127.0.0.1", port)
    text_workload(mc, e, version)
    binary_workload(mcproto.BinaryClient("127.0.0.1", port), e)
    pymemcache_workload(port, e)
    libmemcached_workload(port, e)
    dialect = meta_dialect(version)
    if dialect == "1.6.10":
        meta_workload(mc, e)
        new_meta_extra(mc, e)
    elif dialect:
        old_meta_workload(mc, e, dialect)
    return e


def unmangle(name):
    r"""cli/json.c writes each byte of a non-ASCII name as its own \u00XX
    ("caf\u00c3\u00a9" for cafe with an acute e): undo it, so that the name
    compares whether or not that is fixed."""
    try:
        return name.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return name


def refusal(err):
    """The error line of a refused target, if mctop refused it."""
    m = re.search(r'mctop: instance "\S+": (memcached .*)', err)
    return m.group(1) if m else err.strip().splitlines()[-1:]


def run_one(tap, version, flavour):
    """One release in one flavour: its row of the table."""
    label = f"{version} {flavour}"
    binary, why = build(version, flavour)
    if binary is None:
        tap.ok(False, f"{label}: built", str(why))
        return "build failed"
    args = ()
    if flavour == "stripped":
        work = tempfile.mkdtemp(prefix="mctop-debug-")
        args = ("--debug-dir", debug_dir(binary, work))
    try:
        return traced(tap, label, version, flavour, binary, args)[0]
    finally:
        if args:
            shutil.rmtree(work, ignore_errors=True)


def debug_dir(binary, work):
    """A DebugDirectory holding the stripped build's debug file
    (debug/memcached.debug beside it) by build id, as -dbgsym packages
    install it: .build-id/xx/rest.debug."""
    bid = build_id(binary)
    where = os.path.join(work, ".build-id", bid[:2])
    os.makedirs(where)
    shutil.copy(os.path.join(os.path.dirname(binary), "debug",
                             "memcached.debug"),
                os.path.join(where, bid[2:] + ".debug"))
    return work


def traced(tap, label, version, flavour, binary, args):
    """The workload on binary traced by `mctop --json` with args: the
    row's result, and mctop's stderr."""
    with mctest.Memcached(binary, threads=2) as m:
        cmd = mctopcmd.JsonMctop("-p", str(m.pid), "-k", "100", "-v", *args)
        if not cmd.wait_lines(1):
            rc, err = cmd.stop()
            why = refusal(err)
            tap.ok(False, f"{label}: traced (status {rc})", str(why))
            return f"refused: {why}", err
        s0 = stats(m.port)
        e = workload(m.port, version)
        s1 = stats(m.port)
        delta = {k: s1[k] - s0[k] for k in s0}
        want = from_stats(delta)

        def totals():
            return from_totals(cmd.sums()[1])

        mctest.wait_until(lambda: totals() == want, 10)
        n = len(cmd.lines)                  # a key's events may land one
        mctest.wait_until(lambda: len(cmd.lines) > n + 1, 5)  # interval late
        rc, err = cmd.stop()
    said = re.search(r"attached \d+ functions .*symbols from \S+: (.*)", err)
    sites = said.group(1) if said else "(no attached line)"
    keys = {unmangle(n): v for n, v in cmd.sums()[0].items()}
    wrong = {}
    for k, w in e.keys.items():
        got = {f: keys.get(key_name(k), {}).get(f, 0) for f in PER_KEY}
        if got != {f: w[f] for f in PER_KEY}:
            wrong[k] = (got, {f: w[f] for f in PER_KEY})
    tap.ok(not wrong, f"{label}: every key's gets, hits, misses, sets, "
           f"touches, ariths exact ({len(e.keys)} keys; {sites})",
           "\n".join(f"{k!r}: got {g}\n  want {w}"
                     for k, (g, w) in list(wrong.items())[:4]))
    got = totals()
    tap.ok(got == want, f"{label}: totals equal memcached's own stats "
           f"({want})", f"got {got}")
    deletes_exact = check_deletes(tap, label, e, keys, cmd.sums()[1], delta)
    tap.ok(rc == 0, f"{label}: mctop ends with status 0 (got {rc})",
           err[-500:])
    if flavour == "lto":
        tap.ok("item_touch(for inlined do_item_touch)" in sites,
               f"{label}: the log says item_touch stands in for the inlined "
               "do_item_touch", sites)
    # Every build here has memcached's default -g: its DWARF is checked.
    tap.ok("symbol mode (checked against its DWARF)" in err,
           f"{label}: the attach line says the build was checked against "
           "its DWARF", err[-500:])
    exact = not wrong and got == want and deletes_exact
    return ("exact" + (f" ({sites})" if "for inlined" in sites else "")
            if exact else "WRONG"), err


def check_deletes(tap, label, e, keys, totals, delta):
    """Every key's deletes are the deletes that deleted it, no other key has
    any, and they add up to memcached's delete_hits (text, binary and meta
    deletes; a delete of a missing key counts nothing)."""
    deleted = {k: v["deletes"] for k, v in e.keys.items() if v["deletes"]}
    wrong = {k: (keys.get(key_name(k), {}).get("deletes", 0), n)
             for k, n in deleted.items()
             if keys.get(key_name(k), {}).get("deletes", 0) != n}
    named = set(map(key_name, deleted))
    extra = {n: v["deletes"] for n, v in keys.items()
             if v.get("deletes") and n not in named}
    per_key = not wrong and not extra
    tap.ok(per_key, f"{label}: every key's deletes exact "
           f"({len(deleted)} keys deleted)",
           f"got/want {list(wrong.items())[:4]}, unexpected {extra}")
    want = delta["delete_hits"]
    ok = sum(deleted.values()) == want and totals.get("delete", 0) == want
    tap.ok(ok, f"{label}: deletes total equals memcached's delete_hits "
           f"({want}; {delta['delete_misses']} misses count nothing)",
           f"got {totals.get('delete', 0)}, workload "
           f"{sum(deleted.values())}")
    return per_key and ok


def renamed(binary, work, *names):
    """A copy of binary whose symbol table lacks names (renamed), as if
    link-time optimisation had inlined those functions."""
    out = os.path.join(work, "memcached-" + "-".join(names))
    args = [f"--redefine-sym={n}={n}_gone" for n in names]
    subprocess.run(["objcopy", *args, binary, out], check=True)
    return out


def refusals(tap, work):
    """No sound site for a figure: refused by name, nothing counted as
    something else.  1.6.24 LTO without item_touch: touches would be gets;
    without do_store_item: store_item cannot stand in (1.6 also calls
    do_store_item from elsewhere)."""
    binary, why = build("1.6.24", "lto")
    if binary is None:
        tap.ok(False, "1.6.24 lto: built", str(why))
        return
    cases = (
        (("item_touch",), r"memcached 1\.6\.24 at \S+ has no do_item_touch "
         r"and no item_touch \(inlined by link-time optimisation\?\): symbol "
         r"mode would count its commands as something else, so it is not "
         r"traced; rebuild memcached without -flto, or with \./configure "
         r"--enable-dtrace for its USDT probes", "touch"),
        (("do_store_item",), r"memcached 1\.6\.24 at \S+ has no do_store_item "
         r"and no store_item that can stand in for it \(this release also "
         r"calls it from elsewhere\)", "store"),
    )
    for names, rx, what in cases:
        path = renamed(binary, work, *names)
        os.chmod(path, 0o755)
        with mctest.Memcached(path, threads=1) as m:
            rc, out, err = mctopcmd.run("-p", str(m.pid), "--json", "-n", "1")
        lines = [ln for ln in err.splitlines() if ln.strip()]
        tap.ok(rc == 1 and len(lines) == 1 and re.search(rx, lines[0]),
               f"1.6.24 lto without {' and '.join(names)}: no sound {what} "
               f"site, refused in one line naming the version, what is "
               f"missing and the fix (status {rc})", err[-800:])


def refused_line(tap, binary, rx, what):
    """mctop on a memcached running binary refuses it in one line
    matching rx."""
    with mctest.Memcached(binary, threads=1) as m:
        rc, out, err = mctopcmd.run("-p", str(m.pid), "--json", "-n", "1")
    lines = [ln for ln in err.splitlines() if ln.strip()]
    tap.ok(rc == 1 and len(lines) == 1 and re.search(rx, lines[0]),
           f"{what} (status {rc})", err[-800:])


def doctored(tap):
    """A 1.6.24 built from a memcached.h with a byte inserted before nkey:
    reading it as 1.6.24 would take the key length from slabs_clsid's
    neighbour.  Its DWARF says so, and it is refused naming the fact."""
    binary, why = build("1.6.24", "shifted")
    if binary is None:
        tap.ok(False, "1.6.24 shifted: built", str(why))
        return
    refused_line(
        tap, binary,
        r"memcached 1\.6\.24 at \S+: its DWARF says struct _stritem\.nkey "
        r"is at 42, not 41: symbol mode would read the wrong values, so it "
        r"is not traced; rebuild memcached with \./configure --enable-dtrace "
        r"for its USDT probes",
        "1.6.24 with a field inserted before nkey: refused in one line naming "
        "the version, the fact from its DWARF and the fix")


def unknown_release(tap, work):
    """A release past the table: 1.6.45 whose version string says 1.6.99.
    With its DWARF confirming every fact it is traced, exactly, with a
    notice saying so; stripped of its DWARF it is refused by name."""
    binary, why = build("1.6.45", "plain")
    if binary is None:
        tap.ok(False, "1.6.45 plain: built", str(why))
        return
    with open(binary, "rb") as f:
        data = f.read()
    old, new = b"memcached 1.6.45\0", b"memcached 1.6.99\0"
    path = os.path.join(work, "memcached-1.6.99")
    with open(path, "wb") as f:
        f.write(data.replace(old, new))
    os.chmod(path, 0o755)
    row, err = traced(tap, "1.6.99 (1.6.45 renamed)", "1.6.45", "plain", path,
                      ())
    tap.ok(re.search(r"memcached 1\.6\.99 at \S+ is not one of the releases "
                     r"symbol mode was checked on \(1\.5\.0 to 1\.6\.45\), "
                     r"but its DWARF confirms every parameter, item field "
                     r"and STORED it reads, so it is traced", err),
           "1.6.99: the notice says its DWARF confirmed it", err[-800:])
    stripped = path + "-nodwarf"
    subprocess.run(["strip", "-g", "-o", stripped, path], check=True)
    refused_line(
        tap, stripped,
        r"memcached 1\.6\.99 at \S+: symbol mode reads the functions of "
        r"memcached 1\.5\.0 to 1\.6\.45 only",
        "1.6.99 without DWARF: refused by name")
    return row


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    rows = [(v, f, run_one(tap, v, f)) for v, f in matrix()]
    if not os.environ.get("MCTOP_RELEASES"):
        work = tempfile.mkdtemp(prefix="mctop-releases-")
        try:
            refusals(tap, work)
            doctored(tap)
            rows.append(("1.6.99", "plain, renamed 1.6.45",
                         unknown_release(tap, work)))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    tap.diag("| version | flavour | result |")
    for v, f, r in rows:
        tap.diag(f"| {v} | {f} | {r} |")
    sys.exit(tap.done())


if __name__ == "__main__":
    main()
