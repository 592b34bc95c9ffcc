#!/usr/bin/env python3
"""End to end: option Latency with a real memcached (-t 4) under concurrent
load from several connections.

Each connection drives one class of commands whose latency we control:
  slow keys   sets of keys S0..S3, each on its own connection, whose value
              arrives 5 ms after the command line (memcached's latency runs
              from parsing the command to queueing the reply, so it waits)
  fast keys   small sets and gets of keys F0..F3, each on its own
              connection, which shares its memcached thread with S<i>'s
  multi-get   `get m0 .. m99` (100 keys, one command probe each) on a fifth
  every type  one of each other command type, and `version`/`stats`, which
              fire no command probe
all at once, for several collectd intervals.  Then the csv files must show:
the big-set keys slower than the fast keys, whose mean stays low although
slow commands ran concurrently on other connections and threads (no latency
charged to a key another connection touched); a multi-get's time split
among its keys rather than charged to each in full; percentiles for every
command type driven, ordered p50 <= p90 <= p99 <= max.

On memcached 1.6.45 (no process__command__start for text commands) the
plugin must say so once, time binary-protocol commands and leave text
commands' keys without latency.
"""
import math
import os
import re
import socket
import statistics
import sys
import threading
import time

import mcproto
import mctest

HOST = "mctop-test"
INST = "lat"
PLUGIN_DIR = f"mctop-{INST}"
BYTIME = "bytime"  # ranks keys by the time charged to them
FULL = os.environ.get("MCTOP_LATENCY_VERSIONS", "1.6.18 1.6.45+patch").split()
SLOW_DATA_DELAY = 0.005
SMALL = b"s" * 10
MULTI = [b"m%d" % i for i in range(100)]
PCTS = ("p50", "p90", "p99", "max")
RUN_SECONDS = 5
THREADS = 4


def conf(pid):
    return f"""
  <Instance "{INST}">
    PID {pid}
    Latency true
    LatencyPercentiles 50 90 99 100
    TopKeys 1000
    MaxKeys 4096
  </Instance>
  <Instance "{BYTIME}">
    PID {pid}
    Latency true
    SortBy "latency"
    TopKeys {THREADS}
  </Instance>
"""


def loop(stop, errors, fn):
    """Runs fn until stop is set; an exception is kept for the report."""
    try:
        while not stop.is_set():
            fn()
    except Exception as e:  # noqa: BLE001 - reported as a test failure
        errors.append(repr(e))


def slow_key(port, key):
    """A set whose value is sent SLOW_DATA_DELAY after its command line."""
    sock = socket.create_connection(("127.0.0.1", port), 5)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reply = sock.makefile("rb")

    def step():
        sock.sendall(b"set %s 0 0 %d\r\n" % (key, len(SMALL)))
        time.sleep(SLOW_DATA_DELAY)
        sock.sendall(SMALL + b"\r\n")
        line = reply.readline()
        if line != b"STORED\r\n":
            raise RuntimeError(f"slow set: {line!r}")
    return step


def fast_key(port, key):
    mc = mcproto.MemcacheClient("127.0.0.1", port)

    def step():
        mc.set(key, SMALL)
        mc.get(key)
    return step


def multi_get(port):
    mc = mcproto.MemcacheClient("127.0.0.1", port)
    for k in MULTI:
        mc.set(k, SMALL)
    return lambda: mc.get_multi(MULTI)


def every_type(port):
    """One of each command type mctop times, plus two with no probe."""
    mc = mcproto.MemcacheClient("127.0.0.1", port)
    bc = mcproto.BinaryClient("127.0.0.1", port)

    def step():
        mc.set(b"t:c", b"10")
        mc.add(b"t:a%d" % time.monotonic_ns(), b"1")
        mc.replace(b"t:c", b"10")
        mc.append(b"t:c", b"0")
        mc.prepend(b"t:c", b"1")
        _, cas = mc.gets(b"t:c")
        mc.cas(b"t:c", b"10", cas)
        mc.incr(b"t:c", 1)
        mc.decr(b"t:c", 1)
        mc.set(b"t:d", b"1")
        mc.delete(b"t:d")
        bc.set(b"t:b", b"1")
        bc.touch(b"t:b", 100)     # command__touch fires for binary only
        mc.version()
        mc.stats()
        time.sleep(0.01)
    return step


def drive(port, full):
    # memcached hands new connections to its threads round robin: opened
    # in this order, S<i> and F<i> share a thread, so commands of another
    # connection run on the thread while a slow set waits for its value.
    workers = [slow_key(port, b"S%d" % i) for i in range(THREADS)]
    workers += [fast_key(port, b"F%d" % i) for i in range(THREADS)]
    if full:
        workers += [multi_get(port), every_type(port)]
    stop, errors = threading.Event(), []
    threads = [threading.Thread(target=loop, args=(stop, errors, w))
               for w in workers]
    for t in threads:
        t.start()
    time.sleep(RUN_SECONDS)
    stop.set()
    for t in threads:
        t.join(30)
    return errors


def key_means(csv, key):
    """The per-interval mean latencies (s) dispatched for key."""
    rows = mctest.read_series(csv, HOST, PLUGIN_DIR, "mctop_key",
                              key.decode())
    return [r["latency"] for r in rows if not math.isnan(r["latency"])]


def series(csv, name):
    rows = mctest.read_series(csv, HOST, PLUGIN_DIR, "latency", name)
    return [r["value"] for r in rows if not math.isnan(r["value"])]


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def us(x):
    return f"{x * 1e6:.0f} us"


def check_keys(tap, csv, flavor):
    slow = [m for i in range(THREADS) for m in key_means(csv, b"S%d" % i)]
    fast = [m for i in range(THREADS) for m in key_means(csv, b"F%d" % i)]
    tap.ok(len(slow) >= 4 * 3 and len(fast) >= 4 * 3,
           f"{flavor}: per-key latency arrived for the slow and fast keys",
           f"slow {slow}\nfast {fast}")
    if not slow or not fast:
        return
    tap.ok(median(slow) > 4 * median(fast),
           f"{flavor}: keys of slow sets are slower than small-op keys "
           f"({us(median(slow))} vs {us(median(fast))})")
    # Charged a big set now and then (another connection's command), a fast
    # key's interval mean would jump towards the slow keys'.
    tap.ok(max(fast) < median(slow) / 2,
           f"{flavor}: no fast-key interval took a slow connection's time "
           f"(worst {us(max(fast))})", f"fast means {fast}")


def check_multi(tap, csv, flavor):
    get_max = median(series(csv, "get-max"))
    shares = [median(key_means(csv, k)) for k in (b"m0", b"m50", b"m99")]
    tap.ok(get_max > 0 and all(s < get_max / 10 for s in shares),
           f"{flavor}: a 100-key get's time is split among its keys "
           f"(get-max {us(get_max)}, key shares "
           f"{', '.join(us(s) for s in shares)})")
    tap.ok(get_max > 4 * median(series(csv, "get-p50")),
           f"{flavor}: the 100-key gets lift get-max above get-p50")


def check_sort_by_latency(tap, csv, flavor):
    """The slow sets' keys hold most of memcached's time (~5 ms each, a
    few hundred a second) though other keys see far more commands."""
    top = mctest.list_type_instances(csv, HOST, f"mctop-{BYTIME}",
                                     "mctop_key") - {"~other"}
    slow = {"S%d" % i for i in range(THREADS)}
    tap.ok(top and top <= slow and len(top) >= THREADS - 1,
           f'{flavor}: SortBy "latency" ranks the slow sets\' keys first',
           f"dispatched: {sorted(top)}")


def check_types(tap, csv, flavor, types):
    for t in types:
        got = {p: series(csv, f"{t}-{p}") for p in PCTS}
        complete = all(len(v) >= 2 for v in got.values())
        ordered = complete and all(
            got["p50"][i] <= got["p90"][i] <= got["p99"][i] <= got["max"][i]
            for i in range(min(len(v) for v in got.values())))
        tap.ok(complete and ordered,
               f"{flavor}: {t}-p50/p90/p99/max arrive, in order "
               f"(p50 {us(median(got['p50']))}, max {us(median(got['max']))})",
               repr(got))


def run(tap, flavor, full):
    binary = mctest.memcached_binary(flavor)
    with mctest.Memcached(binary, threads=THREADS) as mcd, \
            mctest.Collectd(os.environ["MCTOP_PLUGIN"], conf(mcd.pid)) as cd:
        csv = cd.csv_dir
        ready = cd.wait_log(rf'instance "{INST}": tracing', 20)
        tap.ok(ready, f"{flavor}: mctop attached", cd.log()[-3000:])
        if not ready:
            return
        errors = drive(mcd.port, full)
        tap.ok(not errors, f"{flavor}: the load ran", "\n".join(errors))
        time.sleep(2.5)  # the last interval reaches the csv files
        if full:
            check_keys(tap, csv, flavor)
            check_multi(tap, csv, flavor)
            check_sort_by_latency(tap, csv, flavor)
            types = ["get", "set", "add", "replace", "append", "prepend",
                     "cas", "delete", "touch", "other"]
            if flavor in ("1.6.18", "1.6.45+patch"):
                types += ["incr", "decr"]
            check_types(tap, csv, flavor, types)
        else:
            untimed(tap, cd, csv, mcd.port, flavor)
        cd.stop()
        reports = cd.sanitizer_reports()
        tap.ok(not reports, f"{flavor}: no sanitizer reports",
               "\n".join(reports[:20]))


def untimed(tap, cd, csv, port, flavor):
    """1.6.40+: text commands fire no start, binary ones do."""
    said = len(re.findall(rf'instance "{INST}": memcached 1\.6\.45 at .* '
                          "fires process__command__start for the binary "
                          "protocol only", cd.log()))
    tap.eq(said, 1, f"{flavor}: the log says once that only binary-protocol "
           "commands are timed")
    tap.ok(not key_means(csv, b"S0") and not key_means(csv, b"F0"),
           f"{flavor}: text commands' keys carry no latency")
    bc = mcproto.BinaryClient("127.0.0.1", port)
    bc.set(b"bin", SMALL)
    for _ in range(200):
        bc.get(b"bin")
    got = mctest.wait_until(lambda: key_means(csv, b"bin") and
                            series(csv, "get-p50"), 5)
    tap.ok(got, f"{flavor}: binary gets are timed, per key and per type")


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    for flavor in FULL:
        run(tap, flavor, True)
    run(tap, "1.6.45", False)
    sys.exit(tap.done())


if __name__ == "__main__":
    main()
