#!/usr/bin/env python3
"""Production lifecycle, for real: memcached restarted under a PIDFile,
a PID that exits, ProcessMatch following processes as they come and go,
collectd without privileges, and a flood of unique keys.  Each check reads
what reached the csv writer or collectd's log.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import mcproto
import mctest

HOST = "mctop-test"
BINARY = mctest.memcached_binary("1.6.18")


def totals(csv, inst, cmd):
    row = mctest.latest(csv, HOST, "mctop-" + inst, "memcached_command", cmd)
    return int(row["value"]) if row else 0


def series(csv, inst, cmd):
    return [int(r["value"]) for r in mctest.read_series(
        csv, HOST, "mctop-" + inst, "memcached_command", cmd)]


def traffic(port, n, prefix):
    """n sets then n gets on n keys; returns (sets, gets)."""
    mc = mcproto.MemcacheClient("127.0.0.1", port)
    for i in range(n):
        assert mc.set(f"{prefix}:{i}", b"v")
    for i in range(n):
        assert mc.get(f"{prefix}:{i}") == b"v"
    mc.close()
    return n, n


def write_pidfile(path, pid):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{pid}\n")
    os.replace(tmp, path)


def restarts(tap, work):
    """PIDFile followed across a restart; PID and ProcessMatch targets."""
    pidfile = os.path.join(work, "memcached.pid")
    m1 = mctest.Memcached(BINARY, threads=2).start()
    write_pidfile(pidfile, m1.pid)
    port2 = mctest.free_port()
    conf = f"""
  <Instance "pf">
    PIDFile "{pidfile}"
  </Instance>
  <Instance "pid">
    PID {m1.pid}
  </Instance>
  <Instance "match">
    ProcessMatch "memcached .*-p {port2}( |$)"
  </Instance>"""
    with mctest.Collectd(os.environ["MCTOP_PLUGIN"], conf) as cd:
        csv = cd.csv_dir
        cd.wait_log(r'instance "pf": tracing', 20)
        sets, gets = traffic(m1.port, 300, "before")
        ok = mctest.wait_until(lambda: totals(csv, "pf", "get") == gets, 15)
        tap.ok(ok, "PIDFile: the first memcached's commands arrive")
        old_pid = m1.pid
        m1.restart()                       # same port, new process
        t_new = time.time()
        write_pidfile(pidfile, m1.pid)
        again = cd.wait_log(rf'instance "pf": tracing memcached PID {m1.pid} '
                            r'\(from PIDFile\)', 10)
        took = time.time() - t_new
        tap.ok(again and took <= 2.5, f"PIDFile: re-attached {took:.1f} s "
               "after the new memcached wrote it (interval 1 s)")
        s2, g2 = traffic(m1.port, 200, "after")
        want = (sets + s2, gets + g2)
        ok = mctest.wait_until(lambda: (totals(csv, "pf", "set"),
                                        totals(csv, "pf", "get")) == want, 15)
        got = (totals(csv, "pf", "set"), totals(csv, "pf", "get"))
        tap.ok(ok, "PIDFile: totals over the restart equal the commands "
               f"sent (want {want}, got {got})")
        # The series spans the restart: it holds the first memcached's
        # total and ends at both's, and no row in it went down.
        gets_series = series(csv, "pf", "get")
        tap.ok(gets in gets_series and gets_series[-1] == want[1] and
               all(a <= b for a, b in zip(gets_series, gets_series[1:])),
               "PIDFile: the get counter never went down "
               f"({len(gets_series)} rows, {gets} before the restart, "
               f"{want[1]} at the end)", str(gets_series))
        gone = re.findall(rf'instance "pid": memcached PID {old_pid} '
                          r'\(from PID\) is gone', cd.log())
        time.sleep(2)
        tap.ok(len(gone) == 1 and cd.log().count(
            f'PID {old_pid} (from PID) is gone') == 1,
            "PID: its exit is said once")
        tap.ok(totals(csv, "pid", "get") == gets,
               "PID: its counts stay in the totals after it exits")
        process_match(tap, cd, port2)
        tap.ok(cd.running(), "collectd kept running through it all")
    m1.stop()


def process_match(tap, cd, port):
    csv = cd.csv_dir
    m2 = mctest.Memcached(BINARY, port=port, threads=1).start()
    found = cd.wait_log(rf'instance "match": tracing memcached PID {m2.pid} '
                        r'\(from ProcessMatch\)', 10)
    tap.ok(found, "ProcessMatch: a matching memcached started later is "
           "attached")
    _, g1 = traffic(port, 50, "m1")
    first = m2.pid
    m2.restart()
    found = cd.wait_log(rf'instance "match": tracing memcached PID {m2.pid} '
                        r'\(from ProcessMatch\)', 10)
    tap.ok(found and f"PID {first} (from ProcessMatch) is gone" in cd.log(),
           "ProcessMatch: detached from the old process, attached to the new")
    _, g2 = traffic(port, 70, "m2")
    ok = mctest.wait_until(lambda: totals(csv, "match", "get") == g1 + g2, 15)
    tap.ok(ok, f"ProcessMatch: counts of both processes add up ({g1 + g2}, "
           f"got {totals(csv, 'match', 'get')})")
    m2.stop()


def container_path(tap):
    """Binary "/proc/PID/root/<path>": how a containerised memcached is
    reached from the host's collectd (here the mount namespace is the
    host's own, so the path leads to the same file)."""
    with mctest.Memcached(BINARY, threads=1) as mcd:
        path = f"/proc/{mcd.pid}/root{BINARY}"
        conf = f'  <Instance "ct">\n    Binary "{path}"\n  </Instance>\n'
        with mctest.Collectd(os.environ["MCTOP_PLUGIN"], conf) as cd:
            cd.wait_log(r'instance "ct": tracing', 15)
            _, gets = traffic(mcd.port, 40, "ct")
            ok = mctest.wait_until(
                lambda: totals(cd.csv_dir, "ct", "get") == gets, 15)
            tap.ok(ok, f"Binary {path}: a binary reached through "
                   "/proc/PID/root is traced", cd.log()[-1000:])


def unprivileged(tap):
    """collectd without root: one clear error, idle, no spam, others run."""
    with mctest.Memcached(BINARY, threads=1) as mcd:
        conf = f'  <Instance "np">\n    PID {mcd.pid}\n  </Instance>\n'
        wrapper = ["setpriv", "--reuid=nobody", "--regid=nogroup",
                   "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"]
        with mctest.Collectd(os.environ["MCTOP_PLUGIN"], conf, wrapper=wrapper,
                             extra_plugins=("csv", "logfile", "memory")) as cd:
            err = cd.wait_log(r'instance "np": loading the BPF program failed'
                              r'.*CAP_BPF and CAP_PERFMON', 15)
            tap.ok(err, "no privileges: the log names the capabilities",
                   cd.log()[-2000:])
            time.sleep(4)
            fails = cd.log().count('loading the BPF program failed')
            tap.ok(fails == 1, f"no privileges: retried with back-off, said "
                   f"{fails} time(s) in 5 s")
            row = mctest.latest(cd.csv_dir, HOST, "memory", "memory", "used")
            used = row["value"] if row else 0
            tap.ok(cd.running() and used > 0,
                   "no privileges: collectd and its other plugins keep "
                   f"running (memory used {used:.0f} bytes)")


def map_bytes_of(pid):
    """Kernel memory of the BPF maps the process pid holds (its map fds'
    /proc/PID/fdinfo names their ids)."""
    ids = set()
    for info in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            with open(f"/proc/{pid}/fdinfo/{info}") as f:
                m = re.search(r"^map_id:\s+(\d+)", f.read(), re.M)
        except OSError:
            continue
        if m:
            ids.add(int(m.group(1)))
    out = subprocess.run(["bpftool", "-j", "map", "show"], capture_output=True,
                         text=True).stdout
    return sum(int(m.get("bytes_memlock", 0))
               for m in json.loads(out or "[]") if m["id"] in ids)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def flood(tap):
    """Unique keys without end: maps and RSS stay flat, the drop is said."""
    loadgen = os.path.join(os.environ.get("MCTOP_BUILDDIR", "."), "bench",
                           "loadgen")
    with mctest.Memcached(BINARY, threads=2, extra_args=("-m", "256")) as mcd:
        conf = (f'  <Instance "flood">\n    PID {mcd.pid}\n    MaxKeys 1024\n'
                '  </Instance>\n')
        with mctest.Collectd(os.environ["MCTOP_PLUGIN"], conf) as cd:
            cd.wait_log(r'instance "flood": tracing', 15)
            samples, next_id = [], 0
            for _ in range(4):
                out = subprocess.run(
                    [loadgen, "--port", str(mcd.port), "--unique",
                     "--first-id", str(next_id), "--get-ratio", "0",
                     "--duration", "4", "--value-size", "8"],
                    capture_output=True, text=True, check=True).stdout
                res = dict(kv.split("=", 1) for kv in out.split())
                next_id = int(res["next_id"])
                samples.append((rss_kib(cd.pid), map_bytes_of(cd.pid)))
            rows = mctest.read_series(cd.csv_dir, HOST, "mctop-flood", "gauge",
                                      "tracked_keys")
            missed = mctest.latest(cd.csv_dir, HOST, "mctop-flood", "derive",
                                   "key_slot_misses")
            # The flood fills the table (an event misses only when both its
            # buckets are full): the peak is near MaxKeys, never above.
            peak = max((r["value"] for r in rows), default=0)
            tap.ok(rows and 1024 * 0.75 <= peak <= 1024,
                   f"flood of {next_id} unique keys: tracked keys stay <= "
                   f"MaxKeys (max {peak:.0f} of {len(rows)} rows)",
                   str([r["value"] for r in rows]))
            tap.ok(missed and missed["value"] > 0,
                   "flood: what was not kept per key is counted "
                   f"({missed and int(missed['value'])} events)")
            rss = [s[0] for s in samples]
            maps = {s[1] for s in samples}
            if os.environ.get("MCTOP_COLLECTD_PRELOAD"):
                # ASan keeps freed memory in quarantine, so RSS grows with
                # any allocation churn; leaks are LeakSanitizer's job here.
                tap.skip("flood: collectd's RSS is flat", "under ASan RSS "
                         f"includes its quarantine ({rss} KiB); checked in "
                         "the normal run")
            else:
                tap.ok(rss[-1] - rss[1] < 2048, f"flood: collectd's RSS is "
                       f"flat (KiB over time: {rss})")
            tap.ok(len(maps) == 1 and 0 not in maps,
                   f"flood: kernel map memory is fixed ({maps} bytes)")


ODD_PROBES = r"""
#include <sys/sdt.h>
int main(int argc, char **argv) {
    /* A memcached:command__get with two arguments instead of five. */
    DTRACE_PROBE2(memcached, command__get, argc, argv);
    DTRACE_PROBE3(memcached, command__delete, argc, argv, argc);
    return 0;
}
"""


def bad_targets(tap, work):
    """Targets mctop cannot use: each named, with the reason, once."""
    src, odd = os.path.join(work, "odd.c"), os.path.join(work, "odd")
    with open(src, "w") as f:
        f.write(ODD_PROBES)
    subprocess.run(["cc", "-o", odd, src], check=True)
    with open(os.path.join(work, "text"), "w") as f:
        f.write("not a program\n")
    conf = f"""
  <Instance "odd">
    Binary "{odd}"
  </Instance>
  <Instance "text">
    Binary "{work}/text"
  </Instance>
  <Instance "missing">
    Binary "{work}/no-such-memcached"
  </Instance>
  <Instance "text">
    Binary "{odd}"
  </Instance>"""
    with mctest.Collectd(os.environ["MCTOP_PLUGIN"], conf) as cd:
        cd.wait_log(r'instance "missing"', 15)
        time.sleep(3)
        log = cd.log()
        tap.ok(re.search(r'memcached:command__get in \S+odd takes 2 arguments '
                         r'where memcached 1.6 has 5', log) and
               re.search(r'instance "odd": attached 1 probes', log),
               "probes whose arguments differ are named and left alone; the "
               "others attach", log[-1500:])
        tap.ok(f"{work}/text is not an ELF executable" in log,
               "a Binary that is not an ELF file is named")
        tap.ok(log.count(f"Binary {work}/no-such-memcached: No such file") == 1,
               "a missing Binary is named once, and looked for again quietly")
        tap.ok('<Instance "text"> is defined twice' in log,
               "duplicate Instance names are rejected")
        tap.ok(cd.running(), "collectd keeps running")


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    with tempfile.TemporaryDirectory(prefix="mctop-lifecycle-") as work:
        restarts(tap, work)
        bad_targets(tap, work)
    container_path(tap)
    unprivileged(tap)
    flood(tap)
    sys.exit(tap.done())


if __name__ == "__main__":
    main()
