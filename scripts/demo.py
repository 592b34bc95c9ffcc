#!/usr/bin/env python3
"""mctop demo: memcached 1.6.18 built as distributions build it (traced
through its functions' symbols) under a skewed load; first the mctop
command on it, then collectd with mctop and the csv writer, and a live
top-keys view read back from what collectd wrote.  Stops everything it
started.

Run through scripts/demo, which installs dependencies and builds first.
"""
import json
import os
import random
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "lib"))
import mctest  # noqa: E402

SECONDS = int(os.environ.get("MCTOP_DEMO_SECONDS", "30"))
COMMAND_SECONDS = max(3, min(10, SECONDS // 3))
HOST = "mctop-test"
INSTANCE = "demo"


def load(port, stop, seed):
    """A flash sale: one product key is hammered, a few are warm, most are
    cold; one key is fetched and missed in a loop."""
    rnd = random.Random(seed)
    mc = mctest.MemcacheClient("127.0.0.1", port)
    keys = [f"product:{i}" for i in range(2000)]
    weights = [1.0 / (i + 1) ** 1.2 for i in range(len(keys))]
    for k in keys[:500]:
        mc.set(k, b"x" * rnd.randint(20, 400))
    while not stop.is_set():
        batch = rnd.choices(keys, weights, k=50)
        for k in batch:
            if mc.get(k) is None:
                mc.set(k, b"y" * 100)
        mc.get("session:expired-token")          # the missing key
        mc.set("cart:user:7", b"z" * 64)
        time.sleep(0.005)


def rates(csv_dir, interval):
    """(key, gets/s, misses/s, sets/s) over the last interval, busiest first."""
    out = []
    for name in mctest.list_type_instances(csv_dir, HOST, "mctop-" + INSTANCE,
                                           "mctop_key"):
        rows = mctest.read_series(csv_dir, HOST, "mctop-" + INSTANCE,
                                  "mctop_key", name)
        if len(rows) < 2 or time.time() - rows[-1]["epoch"] > 3 * interval:
            continue
        a, b = rows[-2], rows[-1]
        dt = max(b["epoch"] - a["epoch"], 1e-3)
        out.append((name, (b["calls"] - a["calls"]) / dt,
                    (b["gets"] - a["gets"]) / dt,
                    (b["misses"] - a["misses"]) / dt,
                    (b["sets"] - a["sets"]) / dt))
    return sorted(out, key=lambda r: -r[1])


def show(csv_dir, interval, left):
    lines = [f"\033[H\033[2Jmctop demo: top keys of memcached, as collectd "
             f"received them ({left} s left)\n",
             f"{'key':<32} {'calls/s':>9} {'gets/s':>9} {'misses/s':>9} "
             f"{'sets/s':>9}"]
    top = rates(csv_dir, interval)
    # "~other" (every key not in the top) last, as the command shows it.
    top = [r for r in top if r[0] != "~other"][:15] + \
        [r for r in top if r[0] == "~other"]
    for name, calls, gets, misses, sets in top:
        lines.append(f"{name[:32]:<32} {calls:9.0f} {gets:9.0f} {misses:9.0f} "
                     f"{sets:9.0f}")
    total = mctest.latest(csv_dir, HOST, "mctop-" + INSTANCE,
                          "memcached_command", "get")
    if total:
        lines.append(f"\ntotal gets counted: {int(total['value'])}")
    print("\n".join(lines), flush=True)


def command_part(mctop, pid, seconds):
    """The same engine as the `mctop` command, on the same load: its full
    screen where the demo runs in a terminal, else its --json lines."""
    argv = [mctop, "-p", str(pid), "-i", "1", "-n", str(seconds)]
    shown = " ".join([os.path.relpath(mctop)] + argv[1:3])
    print(f"demo: first the mctop command, for {seconds} s: {shown}",
          flush=True)
    if sys.stdout.isatty() and sys.stdin.isatty():
        time.sleep(2)
        subprocess.run(argv, check=False)
        return
    out = subprocess.run(argv + ["--json", "-k", "5"], check=False, text=True,
                         stdout=subprocess.PIPE).stdout.splitlines()
    for line in out[-1:]:
        d = json.loads(line)
        print("demo: its last interval's top keys (no terminal, so --json):")
        for k in d["keys"]:
            print(f"  {k['key']:<32} {k['calls']:>7} calls {k['gets']:>7} gets")


def main():
    if os.geteuid() != 0:
        sys.exit("demo: needs root (BPF): run it in a root shell, or with "
                 "sudo")
    plugin = sys.argv[1]
    mctop = sys.argv[2]
    # Built as distributions build it (plain ./configure, no USDT probes):
    # mctop traces its functions, found by their symbols (symbol mode).
    script = os.path.join(mctest.SRCDIR, "tests", "build-memcached")
    binary = subprocess.run([script, "1.6.18", "--plain"], check=True,
                            text=True, stdout=subprocess.PIPE).stdout.strip()
    conf = f"""
  <Instance "{INSTANCE}">
    Binary "{binary}"
    TopKeys 15
    SortBy "calls"
  </Instance>"""
    stop = threading.Event()
    with mctest.Memcached(binary, threads=2) as mcd, \
            mctest.Collectd(plugin, conf, interval=1) as cd:
        if not cd.wait_log(f'instance "{INSTANCE}": tracing', 15):
            sys.exit("demo: mctop did not attach:\n" + cd.log())
        workers = [threading.Thread(target=load, args=(mcd.port, stop, s),
                                    daemon=True) for s in range(3)]
        for w in workers:
            w.start()
        try:
            command_part(mctop, mcd.pid, COMMAND_SECONDS)
            print("demo: now the collectd side: what the mctop plugin sent "
                  "through collectd", flush=True)
            time.sleep(1)
            for left in range(SECONDS, 0, -1):
                time.sleep(1)
                show(cd.csv_dir, 1, left)
        finally:
            stop.set()
            for w in workers:
                w.join(timeout=2)
        print("\nmctop's log lines:")
        print("\n".join(line for line in cd.log().splitlines()
                        if "mctop" in line))
    print("demo: stopped memcached and collectd")
    print(f"demo: the command is {os.path.relpath(mctop)} (make install puts "
          "it in /usr/local/sbin): try  "
          f"{os.path.relpath(mctop)} -p $(pidof memcached)  on a memcached "
          "of your own; README has the collectd configuration")


if __name__ == "__main__":
    main()
