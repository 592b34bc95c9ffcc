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
from expect import COMMANDS, FIELDS, Expect
from keyname import key_name
from probe_matrix import FLAVORS

# Every memcached Debian ships as source, and 1.6.45 with contrib/'s patch.
FLAVORS_UNDER_TEST = os.environ.get("MCTOP_MEMCACHED_VERSIONS",
                                    " ".join(FLAVORS)).split()
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
    """Text protocol: every command, hits and misses."""
    for i, k in enumerate(TEXT_KEYS):
        v = b"v" * (i + 3)
        assert mc.set(k, v)
        exp.op("text", "set", k, len(v))
        for _ in range(i + 1):                     # distinct counts per key
            assert mc.get(k) == v
            exp.op("text", "get", k, len(v))
    assert mc.get(b"miss:1") is None
    exp.op("text", "get", b"miss:1", -1, hit=False)
    got = mc.get_multi([b"x", b"user:42", b"miss:2"])   # one probe per key
    assert set(got) == {b"x", b"user:42"}
    exp.op("text", "get", b"x", 3)
    exp.op("text", "get", b"user:42", 4)
    exp.op("text", "get", b"miss:2", -1, hit=False)
    value, cas = mc.gets(b"a.b.c")
    exp.op("text", "gets", b"a.b.c", len(value))
    assert mc.cas(b"a.b.c", b"new", cas) == "STORED"
    exp.op("text", "cas", b"a.b.c", 3)
    assert mc.cas(b"a.b.c", b"newer", cas) == "EXISTS"  # fires, with its size
    exp.op("text", "cas", b"a.b.c", 5)
    assert not mc.add(b"x", b"dup")                    # failed store: size -1
    exp.op("text", "add", b"x", -1)
    assert mc.add(b"fresh", b"12345")
    exp.op("text", "add", b"fresh", 5, hit=False)
    assert mc.replace(b"fresh", b"123")
    exp.op("text", "replace", b"fresh", 3)
    assert not mc.replace(b"absent", b"1")
    exp.op("text", "replace", b"absent", -1, hit=False)
    assert mc.append(b"fresh", b"45")
    exp.op("text", "append", b"fresh", 2)
    assert mc.prepend(b"fresh", b"0")
    exp.op("text", "prepend", b"fresh", 1)
    assert mc.set(b"counter", b"10")
    exp.op("text", "set", b"counter", 2)
    assert mc.incr(b"counter", 5) == 15
    exp.op("text", "incr", b"counter")
    assert mc.decr(b"counter", 3) == 12
    exp.op("text", "decr", b"counter")
    assert mc.incr(b"no-counter", 1) is None
    exp.op("text", "incr", b"no-counter", hit=False)
    assert mc.touch(b"x", 100)
    exp.op("text", "touch", b"x", 3)
    assert mc.touch(b"no-touch", 100) is False
    exp.op("text", "touch", b"no-touch", -1, hit=False)
    assert mc.gat(0, b"user:42") is not None
    exp.op("text", "gat", b"user:42", 4)
    assert mc.delete(b"fresh")
    exp.op("text", "delete", b"fresh")
    assert not mc.delete(b"fresh")
    exp.op("text", "delete", b"fresh", hit=False)


def binary_workload(bc, exp):
    """Binary protocol: touch and gat fire command__touch."""
    for i, k in enumerate(BINARY_KEYS):
        v = b"b" * (10 + i)
        assert bc.set(k, v)
        exp.op("binary", "set", k, len(v))
        assert bc.get(k) == v
        exp.op("binary", "get", k, len(v))
    assert bc.get(b"bin-miss") is None
    exp.op("binary", "get", b"bin-miss", -1, hit=False)
    assert not bc.add(BINARY_KEYS[0], b"z")
    exp.op("binary", "add", BINARY_KEYS[0], -1)
    assert bc.touch(BINARY_KEYS[0], 100)
    exp.op("binary", "touch", BINARY_KEYS[0], 10)
    assert bc.gat(BINARY_KEYS[1], 100) == b"b" * 11
    exp.op("binary", "gat", BINARY_KEYS[1], 11)
    assert bc.set(b"bin-n", b"7")
    exp.op("binary", "set", b"bin-n", 1)
    assert bc.incr(b"bin-n", 3) == 10
    exp.op("binary", "incr", b"bin-n")
    assert bc.delete(BINARY_KEYS[1])
    exp.op("binary", "delete", BINARY_KEYS[1])


def meta_workload(mc, exp):
    """Meta protocol: on 1.6.18, mg fires command__get only on a miss."""
    assert mc.ms(b"meta:1", b"abcdef")
    exp.op("meta", "ms", b"meta:1", 6)
    assert mc.mg(b"meta:1") == b"abcdef"
    exp.op("meta", "mg", b"meta:1", 6)
    assert mc.mg(b"meta:none") is None
    exp.op("meta", "mg", b"meta:none", -1, hit=False)
    assert mc.ms(b"meta:n", b"1")
    exp.op("meta", "ms", b"meta:n", 1)
    assert mc.ma(b"meta:n")
    exp.op("meta", "ma", b"meta:n")
    assert mc.md(b"meta:1")
    exp.op("meta", "md", b"meta:1")


def overflow_workload(mc, exp):
    """More distinct keys than the small instance's MaxKeys."""
    for i in range(OVERFLOW_KEYS):
        k = b"flood:%d" % i
        assert mc.set(k, b"f")
        exp.op("text", "set", k, 1, hit=False)


def totals(csv, inst):
    return mctest.command_totals(csv, HOST, inst, COMMANDS)


def lookups_attached(inst, flavor):
    """exact counts lookups everywhere (Lookups true); small has the default
    ("auto"): only where text commands fire no command probe."""
    return inst == EXACT or flavor == "1.6.45"


def check_totals(tap, csv, inst, exp):
    got = totals(csv, inst)
    tap.ok(got == exp.commands, f"{exp.flavor} {inst}: per-command totals "
           "are exact", f"want {exp.commands}\n got {got}")

    def value(t, ti):
        row = mctest.latest(csv, HOST, "mctop-" + inst, t, ti)
        return int(row["value"]) if row else None
    oct_ = mctest.latest(csv, HOST, "mctop-" + inst, "memcached_octets", "")
    got = (value("memcached_ops", "hits"), value("memcached_ops", "misses"),
           int(oct_["rx"]), int(oct_["tx"]), value("memcached_ops", "lookups"))
    want = (exp.hits, exp.misses, exp.rx, exp.tx,
            exp.lookups if lookups_attached(inst, exp.flavor) else 0)
    tap.ok(got == want, f"{exp.flavor} {inst}: hits, misses, rx and tx "
           "bytes, lookups are exact", f"want {want}, got {got}")


def latest_key(csv, inst, key):
    row = mctest.latest(csv, HOST, "mctop-" + inst, "mctop_key", key_name(key))
    return {f: int(row[f]) for f in FIELDS} if row else None


def check_keys(tap, csv, exp):
    flood = {k: v for k, v in exp.keys.items() if k.startswith(b"flood:")}
    for key, want in sorted(exp.keys.items()):
        if key in flood:
            continue
        got = latest_key(csv, EXACT, key)
        short = key[:40] + (b"..." if len(key) > 40 else b"")
        tap.ok(got == want, f"{exp.flavor} key {short!r} as "
               f"{key_name(key)[:50]!r}: every per-key count exact",
               f"want {want}\n got {got}")
    wrong = [k for k, want in flood.items()
             if latest_key(csv, EXACT, k) != want]
    tap.ok(flood and not wrong, f"{exp.flavor} {len(flood)} flood keys: "
           "every count exact", f"wrong: {wrong[:5]}")
    names = mctest.list_type_instances(csv, HOST, "mctop-" + EXACT, "mctop_key")
    tap.ok("~other" in names, f"{exp.flavor} the \"~other\" series is there")
    names = [n for n in names if n != "~other"]
    safe = all("/" not in n and "." not in n and " " not in n and
               len(n.encode()) <= 127 for n in names)
    tap.ok(safe and len(names) == len(exp.keys),
           f"{exp.flavor} one safe series per key ({len(names)} series, "
           f"{len(exp.keys)} keys)", f"series: {sorted(names)[:10]}")


def check_overflow(tap, csv, exp):
    def latest(t, ti):
        row = mctest.latest(csv, HOST, "mctop-" + SMALL, t, ti)
        return row and int(row["value"])
    # The overflow workload's 200 keys fill the small table (MaxKeys 16),
    # and the table never holds more: the peak is MaxKeys exactly.  The
    # latest may be lower, once idle keys are evicted.
    tracked = [int(r["value"]) for r in mctest.read_series(
        csv, HOST, "mctop-" + SMALL, "gauge", "tracked_keys")]
    missed = latest("derive", "key_slot_misses")
    tap.ok(tracked and max(tracked) == SMALL_MAXKEYS,
           f"{exp.flavor} small: tracked keys bounded by MaxKeys "
           f"{SMALL_MAXKEYS} (peak {max(tracked, default=None)})",
           str(tracked))
    tap.ok(missed and missed > 0, f"{exp.flavor} small: events that found "
           f"no key slot are reported ({missed})")
    with_lookups = lookups_attached(SMALL, exp.flavor)
    # Every event reached a key's series or "~other": a key can go (one
    # that knocked its way into a bucket's reserve, and the key that did
    # least gave up its slot) and come back, its series then going on, so
    # each series' rises are summed, a fall being a new start.  Events
    # that found no slot are in "~other" (missed <= other); so are events
    # a key counted in an interval it was not picked in (a key admitted by
    # its knocks mid-interval, its counted event maybe not of the SortBy
    # figure), so per-key + missed is every event only up to those.
    per_key = 0
    for name in mctest.list_type_instances(csv, HOST, "mctop-" + SMALL,
                                           "mctop_key"):
        prev = 0
        for row in mctest.read_series(csv, HOST, "mctop-" + SMALL,
                                      "mctop_key", name):
            now = int(row["calls"]) + int(row["lookups"])
            if name == "~other":
                continue
            per_key += now - prev if now >= prev else now
            prev = now
    other = mctest.latest(csv, HOST, "mctop-" + SMALL, "mctop_key", "~other")
    other = other and int(other["calls"]) + int(other["lookups"])
    events = exp.total_events + (exp.lookups if with_lookups else 0)
    tap.ok(other is not None and per_key + other == events and
           (missed or 0) <= other,
           f"{exp.flavor} small: per-key events + \"~other\" = every event "
           f"({per_key} + {other} = {events}), and the missed ones are in "
           f"\"~other\" ({missed} <= {other})")


def check_errors(tap, cd, flavor):
    log = cd.log()
    tap.ok(re.search(r'instance "nousdt": /bin/true is not memcached '
                     r'\(no memcached version string, functions or USDT '
                     r'probes in it\): check PID, PIDFile, Binary or '
                     r'ProcessMatch$', log, re.M),
           f"{flavor}: a binary that is not memcached is said to be, with "
           f"the options to check")
    tap.ok('instance "nopid": PID 4000000' in log,
           f"{flavor}: a PID that does not exist is named")
    tap.ok(re.search(r'instance "typo": unknown option "TopKey"', log),
           f"{flavor}: a bad option is named")
    notice = re.search(r'instance "small": memcached 1\.6\.45 .* fires no '
                       r'command probes for text', log)
    tap.ok(bool(notice) == (flavor == "1.6.45"),
           f"{flavor}: the log says whether text commands fire probes")
    tap.ok(cd.running(), f"{flavor}: collectd keeps running")
    row = mctest.latest(cd.csv_dir, HOST, "memory", "memory", "used")
    tap.ok(row and row["value"] > 0, f"{flavor}: other plugins keep "
           f"reporting (memory used {row and row['value']})")


def bpf_objects():
    """{id: line} of mctop's programs and maps in the kernel now."""
    found = {}
    for kind, rx in (("prog", r"name mctop_"),
                     ("map", r"name (keys|names|scratch_key|inflight|latency|"
                             r"mctop_bp\.(bss|rodata))\b")):
        out = subprocess.run(["bpftool", kind, "show"], capture_output=True,
                             text=True).stdout
        for line in out.splitlines():
            m = re.match(r"(\d+): ", line)
            if m and re.search(rx, line):
                found[(kind, int(m.group(1)))] = line
    return found


def bpf_leftovers(before):
    """mctop objects created since `before` that are still there: another
    mctop on the machine (a stray collectd) does not count."""
    return [line for key, line in bpf_objects().items() if key not in before]


def conf(pid, flavor):
    return f"""
  <Instance "{EXACT}">
    PID {pid}
    TopKeys 1000
    MaxKeys 4096
    Lookups true
    # Every command looks its key up once: every key touched ranks.
    SortBy "lookups"
  </Instance>
  <Instance "{SMALL}">
    PID {pid}
    # Twice MaxKeys, ranked by what every event of theirs counts in: in an
    # interval a key can knock its way into a bucket's reserved slot beside
    # the MaxKeys keys (a binary key here takes 8 events in a row), its one
    # counted event maybe a lookup, and every live key must be picked for
    # per-key + missed to be every event.
    TopKeys {2 * SMALL_MAXKEYS}
    SortBy "{'lookups' if lookups_attached(SMALL, flavor) else 'calls'}"
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


def run_flavor(tap, flavor):
    binary = mctest.memcached_binary(flavor)
    exp = Expect(flavor)
    before = bpf_objects()
    with mctest.Memcached(binary, threads=4) as mcd, \
            mctest.Collectd(os.environ["MCTOP_PLUGIN"], conf(mcd.pid, flavor),
                            extra_plugins=("csv", "logfile", "memory")) as cd:
        csv = cd.csv_dir
        ready = cd.wait_log(rf'instance "{SMALL}": tracing', 20)
        tap.ok(ready and cd.wait_log(rf'instance "{EXACT}": tracing', 5),
               f"mctop attached to memcached {flavor}", cd.log()[-3000:])
        if not ready:
            return
        mc = mcproto.MemcacheClient("127.0.0.1", mcd.port)
        text_workload(mc, exp)
        binary_workload(mcproto.BinaryClient("127.0.0.1", mcd.port), exp)
        meta_workload(mc, exp)
        overflow_workload(mc, exp)
        arrived = mctest.wait_until(
            lambda: totals(csv, EXACT) == exp.commands and
            totals(csv, SMALL) == exp.commands, 20)
        tap.ok(arrived, f"{flavor}: the totals reached the csv writer")
        mctest.wait_until(lambda: False, 2.5)   # two more intervals: no extras
        check_totals(tap, csv, EXACT, exp)
        check_totals(tap, csv, SMALL, exp)
        check_keys(tap, csv, exp)
        check_overflow(tap, csv, exp)
        check_errors(tap, cd, flavor)
        cd.stop()
        reports = cd.sanitizer_reports()
        tap.ok(not reports, f"{flavor}: no sanitizer reports from collectd",
               "\n".join(reports[:20]))
    # The kernel frees a program and its maps after a grace period once
    # the last link and descriptor are gone (for uprobe_multi programs an
    # RCU tasks-trace one), not at the moment collectd exits: give it 5 s.
    mctest.wait_until(lambda: not bpf_leftovers(before), 5)
    left = bpf_leftovers(before)
    tap.ok(not left, f"{flavor}: no mctop BPF program or map left after "
           "collectd stops", "\n".join(left))


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    for flavor in FLAVORS_UNDER_TEST:
        run_flavor(tap, flavor)
    sys.exit(tap.done())


if __name__ == "__main__":
    main()
