#!/usr/bin/env python3
"""Deletes in symbol mode: a delete that deleted (USDT mode's
command__delete, memcached's delete_hits) is counted on its key, and every
other way an item leaves memcached's hash table is not a delete.

mctop counts the do_item_unlink of the item the thread's last do_item_get
returned without do_update, outside a store or arithmetic; item_unlink, the
locking wrapper, tells a failed set's unlink apart from 1.5.14 on (before,
deletes call it too).  Each release below is traced by the real `mctop
--json` while one session sends what unlinks items:

- text, binary and meta deletes of present keys (deletes) and of missing
  keys (not: a miss);
- a set over a present key, and an incr that outgrows its item (both
  replace the item: do_item_unlink of the old one, not a delete);
- a delete of an expired key and of one flush_all flushed (do_item_get
  unlinks it itself and answers NOT_FOUND);
- a binary delete whose CAS does not match, and a meta delete with I
  (marks stale, unlinks nothing);
- a text set too large for the cache over a present key (memcached unlinks
  the stale value through item_unlink; from 1.5.14 on, not a delete);
- then deletes from four connections at once.

Then a 1.6.45 without do_item_unlink, or without item_unlink, as if a
build had inlined it: deletes are not counted at all, one warning says so.

Every key's deletes must be the session's, and their sum memcached's own
delete_hits.  1.5.0 covers deletes through item_unlink, 1.5.22 LTO and
1.6.45 plain the two builds of do_item_unlink's entry (endbr64 or not)
where the probe goes to the unlinking body (logic/fn_entry.c).
"""
import collections
import os
import re
import shutil
import subprocess
import tempfile
import sys
import threading
import time

import mcproto
import mctest
import mctopcmd
from keyname import key_name

SAMPLE = [("1.5.0", "plain"), ("1.5.22", "lto"), ("1.6.45", "plain")]


def build(version, flavour):
    script = os.path.join(mctest.SRCDIR, "tests", "build-memcached-release")
    p = subprocess.run([script, version, flavour], text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return (p.stdout.strip(), None) if p.returncode == 0 else \
        (None, p.stderr.strip().splitlines()[-1:])


def delete_hits(port):
    return int(mcproto.MemcacheClient("127.0.0.1", port).stats()["delete_hits"])


def release(version):
    return tuple(int(p) for p in version.split("."))


def has_meta(version):
    return release(version) >= (1, 6, 10)


def wrapper_probed(version):
    """From 1.5.14 deletes call do_item_unlink and item_unlink serves only
    what is no delete (logic/symbol_sites.c)."""
    return release(version) >= (1, 5, 14)


def session(port, version, want):
    """The unlinks; want[key] += 1 for each delete that deleted."""
    mc = mcproto.MemcacheClient("127.0.0.1", port)
    bc = mcproto.BinaryClient("127.0.0.1", port)
    for k in (b"del:text", b"del:twice"):
        assert mc.set(k, b"v")
    assert mc.delete(b"del:text")
    want[b"del:text"] += 1
    assert mc.delete(b"del:twice")
    want[b"del:twice"] += 1
    assert not mc.delete(b"del:twice")            # missing: no delete
    assert not mc.delete(b"del:never")

    assert mc.set(b"over", b"1") and mc.set(b"over", b"22")  # replaced
    assert mc.set(b"grow", b"9") and mc.incr(b"grow", 1) == 10  # outgrown

    assert mc.set(b"expiring", b"x", exptime=1)
    time.sleep(2.1)                               # memcached's clock: 1 s
    assert not mc.delete(b"expiring")             # unlinked by do_item_get
    assert mc.set(b"flushed", b"x")
    mc.flush_all()
    time.sleep(1.1)       # flush_all marks items older than this second
    assert not mc.delete(b"flushed")

    assert bc.set(b"bin:del", b"b")
    st = bc.request("delete", b"bin:del", cas=12345)[0]
    assert st == mcproto.ST_EXISTS, st            # CAS mismatch: kept
    assert bc.delete(b"bin:del")
    want[b"bin:del"] += 1
    assert not bc.delete(b"bin:del")

    if has_meta(version):
        assert mc.ms(b"meta:del", b"m")
        assert mc.md(b"meta:del", "I")            # stale, not unlinked
        assert mc.md(b"meta:del")
        want[b"meta:del"] += 1
        assert not mc.md(b"meta:del")

    assert mc.set(b"too:big", b"small")
    try:
        mc.set(b"too:big", b"L" * (2 << 20))      # above -I 1m
    except mcproto.ServerError:
        pass
    assert mc.get(b"too:big") is None, "memcached kept the stale value"
    if not wrapper_probed(version):
        want[b"too:big"] += 1                     # README, Limits

    def deleter(n):
        c = mcproto.MemcacheClient("127.0.0.1", port)
        for i in range(50):
            k = b"many:%d:%d" % (n, i % 10)
            assert c.set(k, b"z")
            assert c.delete(k)
    threads = [threading.Thread(target=deleter, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n in range(4):
        for i in range(10):
            want[b"many:%d:%d" % (n, i)] += 5


def run_one(tap, version, flavour):
    label = f"{version} {flavour}"
    binary, why = build(version, flavour)
    if binary is None:
        tap.ok(False, f"{label}: built", str(why))
        return
    with mctest.Memcached(binary, threads=4) as m:
        cmd = mctopcmd.JsonMctop("-p", str(m.pid), "-k", "200", "-v")
        if not cmd.wait_lines(1):
            rc, err = cmd.stop()
            tap.ok(False, f"{label}: traced (status {rc})", err[-800:])
            return
        before = delete_hits(m.port)
        want = collections.defaultdict(int)
        session(m.port, version, want)
        hits = delete_hits(m.port) - before

        def total():
            return cmd.sums()[1].get("delete", 0)
        mctest.wait_until(lambda: total() == hits, 10)
        n = len(cmd.lines)
        mctest.wait_until(lambda: len(cmd.lines) > n + 1, 5)
        rc, err = cmd.stop()
    keys = cmd.sums()[0]
    expected_hits = sum(v for k, v in want.items() if k != b"too:big")
    tap.eq(hits, expected_hits, f"{label}: memcached's delete_hits are the "
           "session's deletes (the ground truth agrees with the model)")
    tap.eq(total(), sum(want.values()), f"{label}: mctop's delete total is "
           f"the session's ({sum(want.values())})")
    wrong = {k: (keys.get(key_name(k), {}).get("deletes", 0), v)
             for k, v in want.items()
             if keys.get(key_name(k), {}).get("deletes", 0) != v}
    others = {n: v.get("deletes", 0) for n, v in keys.items()
              if v.get("deletes", 0) and
              n not in {key_name(k) for k in want}}
    tap.ok(not wrong and not others, f"{label}: every key's deletes exact "
           f"({len(want)} keys deleted; replaced, outgrown, expired, "
           "flushed, CAS-mismatched and stale-marked keys none)",
           f"wrong (got, want): {list(wrong.items())[:4]}; "
           f"deletes on other keys: {list(others.items())[:4]}")
    tap.ok(rc == 0 and "single-steps" not in err,
           f"{label}: mctop ends with status 0 and no probe is single-"
           "stepped (do_item_unlink probed past its it_flags test)",
           err[-800:])
    said = re.search(r"symbols from \S+: (.*)", err)
    sites = said.group(1) if said else ""
    wrapper = wrapper_probed(version)
    tap.ok(("do_item_unlink" in sites) and
           (("item_unlink" in sites.replace("do_item_unlink", "")) ==
            wrapper),
           f"{label}: do_item_unlink attached"
           + (", and item_unlink to tell a failed set's unlink apart"
              if wrapper else " (deletes call item_unlink here)"), sites)


def without(tap, name):
    """A 1.6.45 whose name is renamed away, as if inlined: its deletes are
    not counted (never a wrong count), one warning says so, and the other
    commands still are."""
    binary, why = build("1.6.45", "plain")
    if binary is None:
        tap.ok(False, "1.6.45 plain: built", str(why))
        return
    work = tempfile.mkdtemp(prefix="mctop-deletes-")
    try:
        path = os.path.join(work, "memcached-no-" + name)
        subprocess.run(["objcopy", f"--redefine-sym={name}={name}_gone",
                        binary, path], check=True)
        os.chmod(path, 0o755)
        with mctest.Memcached(path, threads=2) as m:
            cmd = mctopcmd.JsonMctop("-p", str(m.pid), "-k", "50")
            traced = cmd.wait_lines(1)
            mc = mcproto.MemcacheClient("127.0.0.1", m.port)
            for i in range(5):
                assert mc.set(b"k%d" % i, b"v") and mc.get(b"k%d" % i)
                assert mc.delete(b"k%d" % i)
            mctest.wait_until(lambda: cmd.sums()[1].get("get", 0) == 5, 10)
            n = len(cmd.lines)
            mctest.wait_until(lambda: len(cmd.lines) > n + 1, 5)
            rc, err = cmd.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    t = cmd.sums()[1]
    warned = re.findall(r"memcached 1\.6\.45 at \S+ has no " + name +
                        r" \(inlined by link-time optimisation\?\): its "
                        r"deletes are not counted \(gauge-probe-do_item_unlink "
                        r"is 0\); the other commands are; rebuild memcached "
                        r"without -flto, or with \./configure --enable-dtrace "
                        r"for its USDT probes, to count them", err)
    tap.ok(traced and rc == 0 and len(warned) == 1,
           f"1.6.45 without {name}: traced, and one warning says deletes are "
           "not counted and the fix", err[-800:])
    tap.ok(t.get("delete", 0) == 0 and t.get("get", 0) == 5 and
           t.get("set", 0) == 5,
           f"1.6.45 without {name}: no delete counted, gets and sets are",
           str(t))


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    for v, f in SAMPLE:
        run_one(tap, v, f)
    for name in ("do_item_unlink", "item_unlink"):
        without(tap, name)
    sys.exit(tap.done())


if __name__ == "__main__":
    main()
