#!/usr/bin/env python3
"""Soak, bounded: three memcached instances under continuous load for
MCTOP_SOAK_SECONDS (default 30), one of them restarted in the middle,
collectd running mctop (one instance each, followed through PIDFiles) with
the csv writer.  Over the whole run, the totals that reached the writer
must equal the commands the load generator sent, per instance.

The restarted instance's load pauses from the moment memcached stops until
mctop has attached to its successor (which the lifecycle test times): the
commands sent are all commands mctop could see.
"""
import os
import subprocess
import sys
import tempfile
import threading
import time

import mctest

HOST = "mctop-test"
SECONDS = float(os.environ.get("MCTOP_SOAK_SECONDS", "30"))
BINARY = mctest.memcached_binary("1.6.18")
LOADGEN = os.path.join(os.environ.get("MCTOP_BUILDDIR", "."), "bench",
                       "loadgen")


def loadgen(port, seconds, first_id):
    out = subprocess.run([LOADGEN, "--port", str(port), "--keys", "2000",
                          "--conns", "2", "--pipeline", "4", "--get-ratio",
                          "0.8", "--duration", str(seconds), "--first-id",
                          str(first_id)],
                         capture_output=True, text=True, check=True).stdout
    return dict(kv.split("=", 1) for kv in out.split())


class Load(threading.Thread):
    """Runs loadgen in short bursts until stopped; sums what it sent."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.gets, self.sets = port, 0, 0
        self.stop, self.paused = threading.Event(), threading.Event()
        self.idle = threading.Event()

    def run(self):
        while not self.stop.is_set():
            if self.paused.is_set():
                self.idle.set()
                time.sleep(0.05)
                continue
            self.idle.clear()
            res = loadgen(self.port, 1, 0)
            self.gets += int(res["gets"])
            self.sets += int(res["sets"])
        self.idle.set()


def totals(csv, inst):
    got = []
    for cmd in ("set", "get"):
        row = mctest.latest(csv, HOST, "mctop-" + inst, "memcached_command", cmd)
        got.append(int(row["value"]) if row else 0)
    return tuple(got)


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    work = tempfile.mkdtemp(prefix="mctop-soak-")
    caches = [mctest.Memcached(BINARY, threads=2).start() for _ in range(3)]
    conf = ""
    for i, m in enumerate(caches):
        pf = os.path.join(work, f"m{i}.pid")
        with open(pf, "w") as f:
            f.write(f"{m.pid}\n")
        conf += f'  <Instance "soak{i}">\n    PIDFile "{pf}"\n  </Instance>\n'
    with mctest.Collectd(os.environ["MCTOP_PLUGIN"], conf) as cd:
        for i in range(3):
            cd.wait_log(rf'instance "soak{i}": tracing', 20)
        loads = [Load(m.port) for m in caches]
        for load in loads:
            load.start()
        time.sleep(SECONDS / 2)
        # Restart the second cache under load.
        loads[1].paused.set()
        loads[1].idle.wait(10)
        caches[1].restart()
        pf = os.path.join(work, "m1.pid")
        with open(pf + ".tmp", "w") as f:
            f.write(f"{caches[1].pid}\n")
        os.replace(pf + ".tmp", pf)
        back = cd.wait_log(rf'instance "soak1": tracing memcached PID '
                           rf'{caches[1].pid}', 10)
        tap.ok(back, "the restarted cache is traced again")
        loads[1].paused.clear()
        time.sleep(SECONDS / 2)
        for load in loads:
            load.stop.set()
        for load in loads:
            load.join(30)
        for i, load in enumerate(loads):
            want = (load.sets, load.gets)
            ok = mctest.wait_until(lambda: totals(cd.csv_dir, f"soak{i}") ==
                                   want, 20)
            tap.ok(ok, f"soak{i}: sets and gets that reached the writer equal "
                   f"those sent over {SECONDS:.0f} s (sent {want}, got "
                   f"{totals(cd.csv_dir, f'soak{i}')})")
        tap.ok(cd.running(), "collectd ran throughout")
    for m in caches:
        m.stop()
    sys.exit(tap.done())


if __name__ == "__main__":
    main()
