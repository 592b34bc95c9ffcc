#!/usr/bin/env python3
"""End to end: the kernel's key table and the names ring under a burst.

One real memcached (1.6.18, USDT), one real collectd loading mctop.so with
MaxKeys 262144: its names ring holds 8 bytes a slot (2 MiB), about 37,000
name records.  100,000 new keys are stored in well under one interval, so
the ring fills and most keys cannot send their names when they are
claimed.  Then three of them, among the first, the middle and the last of
the burst, are read a known number of times: each must be named at its
next event after the plugin read the ring, and arrive in the csv writer
with every count exact (its set, in the burst's interval, went to
"~other" with the rest of the burst).  The totals must equal the burst, the
tracked keys must hold the burst, and collectd keeps running.  The table is
38 % full, so no key finds both its buckets full (the hash is keyed afresh
at every load, bpf/key_hash.h); under the linear-probing table before,
at 76 % (MaxKeys 131072) about one key in 300 found no slot, now and then
one of the three read.
"""
import os
import socket
import sys

import mcproto
import mctest
from keyname import key_name

HOST = "mctop-test"
INST = "table"
BURST = 100000
READS = {0: 300, BURST // 2: 200, BURST - 1: 100}


def key(i):
    # 40 bytes: a name record of 56 bytes, so the burst is ~5.6 MB of them
    return b"burst:%08d:" % i + b"x" * 25


def store_burst(port):
    """BURST noreply sets in pipelined batches: a fraction of a second."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        for start in range(0, BURST, 5000):
            s.sendall(b"".join(b"set %s 0 0 1 noreply\r\nv\r\n" % key(i)
                               for i in range(start, min(start + 5000,
                                                         BURST))))
        s.sendall(b"version\r\n")  # answered once every set is done
        buf = b""
        while not buf.endswith(b"\r\n"):
            buf += s.recv(4096)


def latest(csv, type_, ti, field="value"):
    row = mctest.latest(csv, HOST, "mctop-" + INST, type_, ti)
    return int(row[field]) if row else None


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    binary = mctest.memcached_binary("1.6.18")
    with mctest.Memcached(binary, threads=2, extra_args=("-m", "512")) as mcd:
        conf = (f'  <Instance "{INST}">\n    PID {mcd.pid}\n'
                '    MaxKeys 262144\n    TopKeys 10\n  </Instance>\n')
        with mctest.Collectd(os.environ["MCTOP_PLUGIN"], conf,
                             extra_plugins=("csv", "logfile")) as cd:
            csv = cd.csv_dir
            if not tap.ok(cd.wait_log(rf'instance "{INST}": tracing', 20),
                          "mctop attached", cd.log()[-2000:]):
                return tap.done()
            store_burst(mcd.port)
            stored = mctest.wait_until(
                lambda: latest(csv, "memcached_command", "set") == BURST, 15)
            tap.ok(stored, f"the {BURST} sets reached the totals exactly "
                   f"({latest(csv, 'memcached_command', 'set')})")
            tracked = latest(csv, "gauge", "tracked_keys") or 0
            missed = latest(csv, "derive", "key_slot_misses") or 0
            tap.ok(tracked + missed >= BURST and tracked >= BURST * 0.99,
                   f"the table holds the burst: {tracked} keys tracked, "
                   f"{missed} events found no slot")
            mc = mcproto.MemcacheClient("127.0.0.1", mcd.port)
            for i, n in READS.items():
                for _ in range(n):
                    mc.get(key(i))
            # A key's cumulative values start at its first dispatch: its set
            # was in an interval where 100,000 keys ranked level and the
            # picks were others, so that set is in "~other" (README,
            # "Counters, the top N and keys that come and go").
            want = {i: {"gets": n, "hits": n, "sets": 0, "tx": n}
                    for i, n in READS.items()}

            def got(i):
                row = mctest.latest(csv, HOST, "mctop-" + INST, "mctop_key",
                                    key_name(key(i)))
                return row and {f: int(row[f]) for f in want[i]}
            arrived = mctest.wait_until(
                lambda: all(got(i) == want[i] for i in READS), 15)
            tap.ok(arrived, "keys of the burst whose names did not fit the "
                   "ring are named at their next events, every count exact",
                   f"want {want}\n got { {i: got(i) for i in READS} }")
            tap.ok(cd.running(), "collectd kept running")
            cd.stop()
            reports = cd.sanitizer_reports()
            tap.ok(not reports, "no sanitizer reports from collectd",
                   "\n".join(reports[:20]))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
