#!/usr/bin/env python3
"""End to end, for real: memcached with USDT probes, collectd loading the
built mctop.so, BPF in the kernel, the csv writer.  Drives every command of
the text, binary and meta protocols with known keys and checks the exact
per-key and per-command counts that reach the csv files; then checks that a
bounded key map reports what it could not hold, and that bad targets are
logged while collectd and its other plugins keep running.
"""
import os
import re
import subprocess
import sys

import mcproto
import mctest
from expect import FIELDS, Expect
from keyname import key_name

VERSION = os.environ.get("MCTOP_MEMCACHED_VERSION", "1.6.18")
HOST = "mctop-test"
EXACT, SMALL = "exact", "small"
SMALL_MAXKEYS = 16
OVERFLOW_KEYS = 200

# Keys chosen to break naive naming: separators, '/', UTF-8, 1 and 250 bytes,
# and two long keys that differ only after byte 200.
TEXT_KEYS = [b"x", b"user:42", b"a.b.c", b"path/to/obj", "caf\u00e9".encode(),
             b"L" * 250, b"P" * 220 + b"A" * 30, b"P" * 220 + b"B" * 30]
BINARY_KEYS = [b"bin key\x00z", b"bin/\xff\xfe"]


def text_workload(mc, exp):
    """Text protocol, memcached 1.6.18: which probe each command fires."""
    for i, k in enumerate(TEXT_KEYS):
        v = b"v" * (i + 3)
        assert mc.set(k, v)
        exp.probe("set", k, len(v))
        for _ in range(i + 1):                     # distinct counts per key
            assert mc.get(k) == v
            exp.probe("get", k, len(v))
    assert mc.get(b"miss:1") is None
    exp.probe("get", b"miss:1", -1)
    got = mc.get_multi([b"x", b"user:42", b"miss:2"])   # one probe per key
    assert set(got) == {b"x", b"user:42"}
    exp.probe("get", b"x", 3)
    exp.probe("get", b"user:42", 4)
    exp.probe("get", b"miss:2", -1)
    value, cas = mc.gets(b"a.b.c")
    exp.probe("get", b"a.b.c", len(value))
    assert mc.cas(b"a.b.c", b"new", cas) == "STORED"
    exp.probe("cas", b"a.b.c", 3)
    assert mc.cas(b"a.b.c", b"newer", cas) == "EXISTS"  # fires, with its size
    exp.probe("cas", b"a.b.c", 5)
    assert not mc.add(b"x", b"dup")                    # failed store: size -1
    exp.probe("add", b"x", -1)
    assert mc.add(b"fresh", b"12345")
    exp.probe("add", b"fresh", 5)
    assert mc.replace(b"fresh", b"123")
    exp.probe("replace", b"fresh", 3)
    assert not mc.replace(b"absent", b"1")
    exp.probe("replace", b"absent", -1)
    assert mc.append(b"fresh", b"45")
    exp.probe("append", b"fresh", 2)
    assert mc.prepend(b"fresh", b"0")
    exp.probe("prepend", b"fresh", 1)
    assert mc.set(b"counter", b"10")
    exp.probe("set", b"counter", 2)
    assert mc.incr(b"counter", 5) == 15
    exp.probe("incr", b"counter")
    assert mc.decr(b"counter", 3) == 12
    exp.probe("decr", b"counter")
    assert mc.incr(b"no-counter", 1) is None          # miss: no probe
    assert mc.touch(b"x", 100)                        # text touch: no probe
    assert mc.gat(0, b"user:42") is not None          # gat: a get probe
    exp.probe("get", b"user:42", 4)
    assert mc.delete(b"fresh")
    exp.probe("delete", b"fresh")
    assert not mc.delete(b"fresh")                    # miss: no probe


def binary_workload(bc, exp):
    """Binary protocol: touch and gat fire command__touch."""
    for i, k in enumerate(BINARY_KEYS):
        v = b"b" * (10 + i)
        assert bc.set(k, v)
        exp.probe("set", k, len(v))
        assert bc.get(k) == v
        exp.probe("get", k, len(v))
    assert bc.get(b"bin-miss") is None
    exp.probe("get", b"bin-miss", -1)
    assert not bc.add(BINARY_KEYS[0], b"z")
    exp.probe("add", BINARY_KEYS[0], -1)
    assert bc.touch(BINARY_KEYS[0], 100)
    exp.probe("touch", BINARY_KEYS[0], 10)
    assert bc.gat(BINARY_KEYS[1], 100) == b"b" * 11
    exp.probe("touch", BINARY_KEYS[1], 11)
    assert bc.set(b"bin-n", b"7")
    exp.probe("set", b"bin-n", 1)
    assert bc.incr(b"bin-n", 3) == 10
    exp.probe("incr", b"bin-n")
    assert bc.delete(BINARY_KEYS[1])
    exp.probe("delete", BINARY_KEYS[1])


def meta_workload(mc, exp):
    """Meta protocol: mg fires command__get only on a miss."""
    assert mc.ms(b"meta:1", b"abcdef")
    exp.probe("set", b"meta:1", 6)
    assert mc.mg(b"meta:1") == b"abcdef"              # hit: no command probe
    assert mc.mg(b"meta:none") is None
    exp.probe("get", b"meta:none", -1)
    assert mc.ms(b"meta:n", b"1")
    exp.probe("set", b"meta:n", 1)
    assert mc.ma(b"meta:n")
    exp.probe("incr", b"meta:n")
    assert mc.md(b"meta:1")
    exp.probe("delete", b"meta:1")


def overflow_workload(mc, exp):
    """More distinct keys than the small instance's MaxKeys."""
    for i in range(OVERFLOW_KEYS):
        k = b"flood:%d" % i
        assert mc.set(k, b"f")
        exp.probe("set", k, 1)


def totals(inst):
    got = {}
    for cmd in ("get", "set", "add", "replace", "append", "prepend", "cas",
                "incr", "decr", "delete", "touch"):
        row = mctest.latest(csv, HOST, "mctop-" + inst, "memcached_command", cmd)
        got[cmd] = int(row["value"]) if row else 0
    return got


def check_totals(tap, inst, exp):
    got = totals(inst)
    tap.ok(got == exp.commands, f"{inst}: per-command totals are exact",
           f"want {exp.commands}\n got {got}")
    ops = {t: mctest.latest(csv, HOST, "mctop-" + inst, "memcached_ops", t)
           for t in ("hits", "misses")}
    oct_ = mctest.latest(csv, HOST, "mctop-" + inst, "memcached_octets", "")
    got = (int(ops["hits"]["value"]), int(ops["misses"]["value"]),
           int(oct_["rx"]), int(oct_["tx"]))
    want = (exp.hits, exp.misses, exp.rx, exp.tx)
    tap.ok(got == want, f"{inst}: hits, misses, rx and tx bytes are exact",
           f"want {want}, got {got}")


def latest_key(inst, key):
    row = mctest.latest(csv, HOST, "mctop-" + inst, "mctop_key", key_name(key))
    return {f: int(row[f]) for f in FIELDS} if row else None


def check_keys(tap, exp):
    flood = {k: v for k, v in exp.keys.items() if k.startswith(b"flood:")}
    for key, want in sorted(exp.keys.items()):
        if key in flood:
            continue
        got = latest_key(EXACT, key)
        short = key[:40] + (b"..." if len(key) > 40 else b"")
        tap.ok(got == want, f"key {short!r} as {key_name(key)[:50]!r}: "
               "every per-key count exact", f"want {want}\n got {got}")
    wrong = [k for k, want in flood.items() if latest_key(EXACT, k) != want]
    tap.ok(flood and not wrong, f"{len(flood)} flood keys: every count exact",
           f"wrong: {wrong[:5]}")
    names = mctest.list_type_instances(csv, HOST, "mctop-" + EXACT, "mctop_key")
    safe = all("/" not in n and len(n.encode()) <= 127 for n in names)
    tap.ok(safe and len(names) == len(exp.keys),
           f"one safe series per key ({len(names)} series, "
           f"{len(exp.keys)} keys)", f"series: {sorted(names)[:10]}")


def check_overflow(tap, exp):
    def latest(t, ti):
        row = mctest.latest(csv, HOST, "mctop-" + SMALL, t, ti)
        return row and int(row["value"])
    tracked = latest("gauge", "tracked_keys")
    missed = latest("derive", "key_slot_misses")
    tap.ok(tracked is not None and tracked <= SMALL_MAXKEYS,
           f"small: tracked keys bounded by MaxKeys {SMALL_MAXKEYS} ({tracked})")
    tap.ok(missed and missed > 0,
           f"small: events that found no key slot are reported ({missed})")
    per_key = 0
    for name in mctest.list_type_instances(csv, HOST, "mctop-" + SMALL, "mctop_key"):
        per_key += int(mctest.latest(csv, HOST, "mctop-" + SMALL, "mctop_key", name)["calls"])
    tap.ok(per_key + (missed or 0) == exp.total_events,
           "small: per-key calls + missed events = every event "
           f"({per_key} + {missed} = {exp.total_events})")


def check_errors(tap, cd):
    log = cd.log()
    tap.ok(re.search(r'instance "nousdt": /bin/true has no memcached USDT '
                     r'probes.*--enable-dtrace', log),
           "a binary without probes is named, with the fix")
    tap.ok('instance "nopid": PID 4000000' in log,
           "a PID that does not exist is named")
    tap.ok(re.search(r'Instance "typo": unknown option "TopKey"', log),
           "a bad option is named")
    tap.ok(cd.running(), "collectd keeps running")
    tap.ok(mctest.latest(csv, HOST, "memory", "memory", "used") is not None,
           "other plugins keep reporting")


def bpf_leftovers():
    out = subprocess.run(["bpftool", "prog", "show"], capture_output=True,
                         text=True).stdout
    return [line for line in out.splitlines() if "mctop_" in line]


def conf(pid):
    return f"""
  <Instance "{EXACT}">
    PID {pid}
    TopKeys 1000
    MaxKeys 4096
  </Instance>
  <Instance "{SMALL}">
    PID {pid}
    TopKeys {SMALL_MAXKEYS}
    MaxKeys {SMALL_MAXKEYS}
  </Instance>
  <Instance "nousdt">
    Binary "/bin/true"
  </Instance>
  <Instance "nopid">
    PID 4000000
  </Instance>
  <Instance "typo">
    PID {pid}
    TopKey 3
  </Instance>
"""


def main():
    global csv
    tap = mctest.Tap()
    mctest.require_root(tap)
    binary = mctest.memcached_binary(VERSION)
    exp = Expect()
    with mctest.Memcached(binary, threads=4) as mcd, \
            mctest.Collectd(os.environ["MCTOP_PLUGIN"], conf(mcd.pid),
                            extra_plugins=("csv", "logfile", "memory")) as cd:
        csv = cd.csv_dir
        ready = cd.wait_log(rf'instance "{SMALL}": tracing', 20)
        tap.ok(ready and cd.wait_log(rf'instance "{EXACT}": tracing', 5),
               f"mctop attached to memcached {VERSION}", cd.log()[-3000:])
        if not ready:
            sys.exit(tap.done())
        mc = mcproto.MemcacheClient("127.0.0.1", mcd.port)
        text_workload(mc, exp)
        binary_workload(mcproto.BinaryClient("127.0.0.1", mcd.port), exp)
        meta_workload(mc, exp)
        overflow_workload(mc, exp)
        arrived = mctest.wait_until(lambda: totals(EXACT) == exp.commands and
                                    totals(SMALL) == exp.commands, 20)
        tap.ok(arrived, "the totals reached the csv writer")
        mctest.wait_until(lambda: False, 2.5)   # two more intervals: no extras
        check_totals(tap, EXACT, exp)
        check_totals(tap, SMALL, exp)
        check_keys(tap, exp)
        check_overflow(tap, exp)
        check_errors(tap, cd)
        cd.stop()
        reports = cd.sanitizer_reports()
        tap.ok(not reports, "no sanitizer reports from collectd",
               "\n".join(reports[:20]))
    left = bpf_leftovers()
    tap.ok(not left, "no mctop BPF program left after collectd stops",
           "\n".join(left))
    sys.exit(tap.done())


if __name__ == "__main__":
    main()
