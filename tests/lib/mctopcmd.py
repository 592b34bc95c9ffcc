"""The mctop command under test: run it, read its JSON lines, stop it, and
see what BPF objects of ours the kernel holds."""
import json
import os
import re
import signal
import subprocess
import threading
import time


def command():
    """The built command: $MCTOP_BUILDDIR/mctop."""
    return os.path.join(os.environ.get("MCTOP_BUILDDIR", "."), "mctop")


def run(*args, timeout=30):
    """Runs mctop to its end: (exit status, stdout, stderr)."""
    p = subprocess.run([command(), *args], capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


class JsonMctop:
    """mctop --json in the background; .lines holds the parsed intervals."""

    def __init__(self, *args, interval="0.5"):
        self.argv = [command(), "--json", "-i", interval, *args]
        self.lines, self.bad = [], []
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     stdin=subprocess.DEVNULL)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.lines.append(json.loads(line))
            except ValueError:
                self.bad.append(line)

    def wait_lines(self, n, timeout=15):
        deadline = time.monotonic() + timeout
        while len(self.lines) < n and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        return len(self.lines) >= n

    def stop(self):
        """SIGTERM, as an operator's Ctrl-C or a service stop: (status,
        stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(5)
        return self.proc.returncode, self.proc.stderr.read()

    def sums(self):
        """Per key (and "~other"), each data source summed over every line
        (latency, a level, left out); and the totals summed."""
        keys, totals = {}, {}
        for d in self.lines:
            for k in d["keys"] + [dict(d["other"], key="~other")]:
                acc = keys.setdefault(k["key"], {})
                for f, v in k.items():
                    if f not in ("key", "latency", "objsize"):
                        acc[f] = acc.get(f, 0) + v
            for f, v in d["totals"].items():
                totals[f] = totals.get(f, 0) + v
        return keys, totals


OUR_MAPS = re.compile(r"name (slots|slot_lat|names|totals|inflight|latency|"
                      r"pending|scratch_key|sites|mctop_bp\.(bss|rodata))\b")


def bpf_objects():
    """{(kind, id): line} of every mctop program and map loaded now."""
    found = {}
    for kind, rx in (("prog", re.compile(r"name mctop_")), ("map", OUR_MAPS)):
        out = subprocess.run(["bpftool", kind, "show"], capture_output=True,
                             text=True).stdout
        for line in out.splitlines():
            m = re.match(r"(\d+): ", line)
            if m and rx.search(line):
                found[(kind, int(m.group(1)))] = line
    return found


def leftovers(before):
    """Our objects loaded since `before` and still there."""
    return [line for key, line in bpf_objects().items() if key not in before]
