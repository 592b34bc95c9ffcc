#!/usr/bin/env python3
"""Symbol mode, for real: memcached built as distributions build it (plain
./configure, no USDT probes), traced through its own functions with no
option set.  For memcached 1.6.18, 1.6.38 and 1.6.45, one collectd follows
two processes of the same build: one running the binary as `make install`
leaves it (.symtab and DWARF), one running a stripped copy whose debug file
is found by build id under a DebugDirectory of the test's own (each checked
against its DWARF: the attach line says so; 1.6.18 adds a third,
found by .gnu_debuglink next to the binary, and a fourth built with
-fcf-protection, whose functions start with endbr64).  The text, binary and meta
workload of tests/lib/symload.py runs against each, and every figure symbol mode promises
(README "Symbol mode") must arrive exactly in the csv writer.

Then: the system's own /usr/lib/debug is searched when no DebugDirectory
is given; a debug file installed while mctop runs is found at its next look
(after 10 s); Debian's own stripped memcached without its debug file is named
with every fix; a version symbol mode does not know (1.6.46) and no DWARF
confirms is refused by name;
Probes "symbols" with Latency true is refused at config time; and on
memcached 1.6.45 with USDT probes, `Lookups true` ranks SortBy "calls" by
lookups, where its text commands fire no command probe.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

import mcproto
import mctest
from elffiles import build_id
from expect import COMMANDS, FIELDS
from keyname import key_name
from symload import SymExpect, binary_workload, meta_workload, text_workload

HOST = "mctop-test"
VERSIONS = os.environ.get("MCTOP_SYMBOL_VERSIONS",
                          "1.6.18 1.6.38 1.6.45").split()
def plain_binary(version, *extra):
    script = os.path.join(mctest.SRCDIR, "tests", "build-memcached")
    return subprocess.run([script, version, "--plain", *extra], check=True,
                          text=True, stdout=subprocess.PIPE).stdout.strip()


def key_values(csv, inst, key):
    row = mctest.latest(csv, HOST, "mctop-" + inst, "mctop_key", key_name(key))
    return {f: int(row[f]) for f in FIELDS} if row else None


def totals(csv, inst):
    return mctest.command_totals(csv, HOST, inst, COMMANDS)


def other_totals(csv, inst):
    def value(t, ti):
        row = mctest.latest(csv, HOST, "mctop-" + inst, t, ti)
        return int(row["value"]) if row else None
    octets = mctest.latest(csv, HOST, "mctop-" + inst, "memcached_octets", "")
    return (value("memcached_ops", "hits"), value("memcached_ops", "misses"),
            octets and int(octets["rx"]), octets and int(octets["tx"]),
            value("memcached_ops", "lookups"))


def check_instance(tap, csv, label, inst, e):
    arrived = mctest.wait_until(lambda: totals(csv, inst) == e.commands, 20)
    tap.ok(arrived, f"{label}: per-command totals exact, deletes included",
           f"want {e.commands}\n got {totals(csv, inst)}")
    mctest.wait_until(lambda: False, 2.2)    # no extras arrive later
    want = (e.hits, e.misses, e.rx, e.tx, e.lookups)
    tap.eq(other_totals(csv, inst), want, f"{label}: hits, misses, bytes "
           "stored and served, lookups exact")
    wrong = {k: (key_values(csv, inst, k), v) for k, v in e.keys.items()
             if key_values(csv, inst, k) != v}
    tap.ok(not wrong, f"{label}: every per-key figure of {len(e.keys)} keys "
           "exact", "\n".join(f"{k!r}: got {g}\n  want {w}"
                              for k, (g, w) in list(wrong.items())[:4]))


def strip_with_debug(binary, work, how):
    """A stripped copy of binary and its debug file, placed by build id
    under work/debug, or (how="link") by .gnu_debuglink in .debug/ beside
    it.  Returns (stripped binary, debug dir)."""
    d = os.path.join(work, how)
    os.makedirs(os.path.join(d, "bin", ".debug"), exist_ok=True)
    stripped = os.path.join(d, "bin", "memcached")
    debug = os.path.join(d, "memcached.debug")
    subprocess.run(["objcopy", "--only-keep-debug", binary, debug], check=True)
    subprocess.run(["strip", "--strip-all", "-o", stripped, binary], check=True)
    subprocess.run(["objcopy", f"--add-gnu-debuglink={debug}", stripped],
                   check=True)
    debug_dir = os.path.join(d, "debug")
    if how == "link":
        shutil.move(debug, os.path.join(d, "bin", ".debug", "memcached.debug"))
    else:
        bid = build_id(binary)
        dest = os.path.join(debug_dir, ".build-id", bid[:2], bid[2:] + ".debug")
        os.makedirs(os.path.dirname(dest))
        shutil.move(debug, dest)
    return stripped, debug_dir


def run_version(tap, version, work):
    binary = plain_binary(version)
    stripped, debug_dir = strip_with_debug(binary, work + version, "id")
    procs = {"plain": mctest.Memcached(binary, threads=2).start(),
             "stripped": mctest.Memcached(stripped, threads=2).start()}
    # Where each instance must say its symbols came from (a prefix).
    want = {"plain": f"/proc/{procs['plain'].pid}/exe",
            "stripped": f"/proc/{procs['stripped'].pid}/root{debug_dir}"
                        "/.build-id/"}
    conf = (f'  <Instance "plain">\n    PID {procs["plain"].pid}\n'
            f'    TopKeys 1000\n  </Instance>\n'
            f'  <Instance "stripped">\n    PID {procs["stripped"].pid}\n'
            f'    DebugDirectory "{debug_dir}"\n    TopKeys 1000\n'
            f'  </Instance>\n')
    if version == "1.6.18":
        linked, _ = strip_with_debug(binary, work + version, "link")
        procs["linked"] = mctest.Memcached(linked, threads=2).start()
        want["linked"] = (f"/proc/{procs['linked'].pid}/root"
                          f"{os.path.dirname(linked)}/.debug/memcached.debug")
        # -fcf-protection: every function starts with endbr64.
        cfp = plain_binary(version, "--cf-protection")
        procs["cfp"] = mctest.Memcached(cfp, threads=2).start()
        want["cfp"] = f"/proc/{procs['cfp'].pid}/exe"
        conf += (f'  <Instance "cfp">\n    PID {procs["cfp"].pid}\n'
                 f'    TopKeys 1000\n  </Instance>\n')
        conf += (f'  <Instance "linked">\n    PID {procs["linked"].pid}\n'
                 f'    TopKeys 1000\n  </Instance>\n')
    with mctest.Collectd(os.environ["MCTOP_PLUGIN"], conf) as cd:
        for inst in procs:
            said = cd.wait_log(rf'instance "{inst}": attached 6 functions '
                               rf'\(\d+ sites, uprobe_multi links\) to '
                               rf'memcached {version} .*symbol mode '
                               r'\(checked against its DWARF\), symbols '
                               r'from (\S+): do_item_get do_item_touch '
                               'do_store_item do_add_delta do_item_unlink '
                               'item_unlink', 20)
            where = said.group(1) if said else None
            tap.ok(where and where.startswith(want[inst]),
                   f"{version} {inst}: symbol mode with no option set, "
                   f"checked against the DWARF of {where}",
                   cd.log()[-2000:])
        tap.ok("single-steps" not in cd.log(), f"{version}: every function is "
               "entered at an instruction the kernel emulates (after endbr64 "
               "in the cf-protection build)", cd.log()[-1500:])
        tap.ok(re.search(r'instance "plain": symbol mode gives no latency',
                         cd.log()),
               f"{version}: the log says what symbol mode cannot give")
        for inst, m in procs.items():
            e = SymExpect()
            mc = mcproto.MemcacheClient("127.0.0.1", m.port)
            text_workload(mc, e)
            binary_workload(mcproto.BinaryClient("127.0.0.1", m.port), e)
            meta_workload(mc, e)
            check_instance(tap, cd.csv_dir, f"{version} {inst}", inst, e)
        tap.eq(cd.sanitizer_reports(), [], f"{version}: no sanitizer report")
    for m in procs.values():
        m.stop()


def system_debug_dir(tap, work):
    """No DebugDirectory: the debug file under /usr/lib/debug is found."""
    binary = plain_binary("1.6.38")
    stripped, debug_dir = strip_with_debug(binary, work + "sys", "id")
    bid = build_id(binary)
    rel = os.path.join(".build-id", bid[:2], bid[2:] + ".debug")
    dest = os.path.join("/usr/lib/debug", rel)
    created = not os.path.exists(dest)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.copy(os.path.join(debug_dir, rel), dest)
    try:
        with mctest.Memcached(stripped, threads=1) as m:
            conf = f'  <Instance "sys">\n    PID {m.pid}\n  </Instance>\n'
            with mctest.Collectd(os.environ["MCTOP_PLUGIN"], conf) as cd:
                said = cd.wait_log(r'instance "sys": attached 6 functions .*'
                                   r'symbols from /proc/\d+/root/usr/lib/debug/'
                                   + re.escape(rel), 20)
                tap.ok(said, "the system's /usr/lib/debug is searched by "
                       "default", cd.log()[-1500:])
    finally:
        if created:
            os.remove(dest)


def retry_after_install(tap, work):
    """Debug symbols installed while mctop waits: the instance looks again
    after 10 s and traces."""
    binary = plain_binary("1.6.18")
    stripped, debug_dir = strip_with_debug(binary, work + "late", "id")
    later = debug_dir + ".later"
    os.rename(debug_dir, later)
    with mctest.Memcached(stripped, threads=1) as m:
        conf = (f'  <Instance "late">\n    Binary "{stripped}"\n'
                f'    DebugDirectory "{debug_dir}"\n  </Instance>\n')
        with mctest.Collectd(os.environ["MCTOP_PLUGIN"], conf) as cd:
            first = cd.wait_log(r'instance "late": \S+ has no memcached USDT '
                                r'probes and no symbols', 15)
            again = cd.wait_log(r'instance "late": looking at \S+ again in '
                                r'10 s', 5)
            os.rename(later, debug_dir)
            traced = cd.wait_log(r'instance "late": tracing \S+ now', 20)
            tap.ok(first and again and traced, "symbols installed later: "
                   "looked at again after 10 s, then traced", cd.log()[-1500:])
            e = SymExpect()
            mc = mcproto.MemcacheClient("127.0.0.1", m.port)
            assert mc.set(b"late:1", b"abc")
            e.store("set", b"late:1", 3)
            assert mc.get(b"late:1") == b"abc"
            e.get(b"late:1", 3)
            ok = mctest.wait_until(lambda: key_values(
                cd.csv_dir, "late", b"late:1") == e.keys[b"late:1"], 15)
            tap.ok(ok, "symbols installed later: counts exact")


def refusals(tap, work):
    """Debian's own memcached without its debug file; an unknown version;
    Latency with Probes "symbols"."""
    deb = os.path.join(work, "deb")
    os.makedirs(deb, exist_ok=True)
    got = subprocess.run(["apt-get", "download", "memcached"], cwd=deb,
                         capture_output=True, text=True)
    debs = glob.glob(os.path.join(deb, "memcached_*.deb"))
    if got.returncode != 0 or not debs:
        if os.environ.get("CI") == "true":
            tap.ok(False, "apt-get download memcached", got.stderr)
        else:
            tap.skip("Debian's memcached", "apt-get download failed")
        debian = None
    else:
        subprocess.run(["dpkg-deb", "-x", debs[0], deb], check=True)
        debian = os.path.join(deb, "usr", "bin", "memcached")
    fake = os.path.join(work, "memcached-1.6.46")
    with open(plain_binary("1.6.18"), "rb") as f:
        data = f.read()
    assert data.count(b"memcached 1.6.18\0") >= 1
    with open(fake, "wb") as f:
        f.write(data.replace(b"memcached 1.6.18\0", b"memcached 1.6.46\0"))
    # Without its DWARF: with it, a release past the table is checked and
    # traced (test_symbol_releases.py).
    subprocess.run(["strip", "-g", fake], check=True)
    os.chmod(fake, 0o755)
    conf = f'  <Instance "unknown">\n    Binary "{fake}"\n  </Instance>\n'
    conf += ('  <Instance "lat">\n    Binary "/bin/true"\n    Probes "symbols"'
             '\n    Latency true\n  </Instance>\n')
    if debian:
        conf += (f'  <Instance "debian">\n    Binary "{debian}"\n'
                 '  </Instance>\n')
    with mctest.Collectd(os.environ["MCTOP_PLUGIN"], conf,
                         extra_plugins=("csv", "logfile", "memory")) as cd:
        ok = cd.wait_log(r'instance "unknown": memcached 1\.6\.46 at \S+: '
                         r'symbol mode reads the functions of memcached '
                         r'1\.5\.0 to 1\.6\.45 only', 15)
        tap.ok(ok, "an unknown version is refused by name", cd.log()[-1500:])
        tap.ok(re.search(r'instance "lat": Latency true needs memcached\'s '
                         r'USDT probes', cd.log()),
               "Latency with Probes \"symbols\" is refused at config time")
        if debian:
            said = cd.wait_log(r'instance "debian": \S+ has no memcached USDT '
                               r'probes and no symbols \(.*\): install the '
                               r'memcached debug symbols \(Debian: '
                               r'memcached-dbgsym\) or say where they are '
                               r'\(DebugDirectory, DEBUGINFOD_URLS\), or '
                               r'rebuild memcached with ./configure '
                               r'--enable-dtrace$', 15)
            tap.ok(said, "Debian's stripped memcached: every fix is named",
                   cd.log()[-1500:])
        tap.ok(mctest.wait_until(lambda: mctest.latest(
            cd.csv_dir, HOST, "memory", "memory", "used"), 10) and
            cd.running(), "collectd and its other plugins keep running")


def lookups_rank_calls(tap):
    """memcached 1.6.45 (USDT): text gets fire no command probe; with
    Lookups true, SortBy "calls" must rank by lookups, so three keys read
    only by text gets are all dispatched."""
    with mctest.Memcached(mctest.memcached_binary("1.6.45"), threads=1) as m:
        conf = (f'  <Instance "lk">\n    PID {m.pid}\n    Lookups true\n'
                '    TopKeys 50\n  </Instance>\n')
        with mctest.Collectd(os.environ["MCTOP_PLUGIN"], conf) as cd:
            cd.wait_log(r'instance "lk": tracing', 15)
            mc = mcproto.MemcacheClient("127.0.0.1", m.port)
            for n, k in ((5, b"lk:a"), (3, b"lk:b"), (1, b"lk:c")):
                for _ in range(n):
                    mc.get(k)
            seen = mctest.wait_until(lambda: all(
                (key_values(cd.csv_dir, "lk", k) or {}).get("lookups") == n
                for n, k in ((5, b"lk:a"), (3, b"lk:b"), (1, b"lk:c"))), 15)
            tap.ok(seen, "1.6.45, Lookups true: keys seen only through "
                   "lookups are dispatched (SortBy calls ranks by lookups)")


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    work = tempfile.mkdtemp(prefix="mctop-symbols-")
    try:
        for v in VERSIONS:
            run_version(tap, v, work)
        system_debug_dir(tap, work)
        retry_after_install(tap, work)
        refusals(tap, work)
        lookups_rank_calls(tap)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(tap.done())


if __name__ == "__main__":
    main()
