#!/usr/bin/env python3
"""A target that fights back: files a tenant controls must not turn root's
mctop against its host (issue 19, rows 1-4 and 7).

A chroot stands in for a container: a stripped plain memcached 1.6.18 with
its shared libraries under a scratch directory, run by `chroot`, so that
its /proc/PID/root is the scratch directory.  Every uprobe lands on scratch
copies only.  Each attack is one the landed code before issue 19 lost to:

- an absolute symlink as the container's debug file, naming a host file:
  mctop must not read it (it resolves inside the container's root), while a
  relative symlink inside the container still works, with exact counts;
- the container's binary swapped for an absolute symlink to a host-only
  copy while mctop looks for debug files (a FIFO held the old code there):
  the uprobes must land on the file inspected, never on the host file (a
  host memcached running it must not be counted);
- FIFOs as debug file and as PIDFile: nothing blocks; collectd keeps its
  other instance reporting and stops on time;
- a debug file truncated again and again while mctop reads it: no SIGBUS;
- a file with more probe sites than any memcached: refused once and not
  parsed again; a ProcessMatch matching more processes than an instance
  traces: capped, said once, the rest of the instance working.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import mcproto
import mctest
import mctopcmd
from elffiles import build_id, split_debug

HOST = "mctop-test"


def plain_binary(version="1.6.18"):
    script = os.path.join(mctest.SRCDIR, "tests", "build-memcached")
    return subprocess.run([script, version, "--plain"], check=True, text=True,
                          stdout=subprocess.PIPE).stdout.strip()


def libraries(binary):
    """The shared objects binary loads, as absolute paths (ldd)."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True,
                         check=True).stdout
    return re.findall(r"(/\S+) \(0x", out)


class Container:
    """A scratch root holding /usr/bin/memcached (a stripped copy) and what
    it needs to run there; start() runs it under chroot."""

    def __init__(self, root, stripped):
        self.root = root
        for lib in libraries(stripped):
            dest = self.path(lib)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copy(lib, dest)
        os.makedirs(self.path("/etc"), exist_ok=True)
        with open(self.path("/etc/passwd"), "w") as f:
            f.write("root:x:0:0:root:/:/bin/sh\n")
        os.makedirs(self.path("/usr/bin"), exist_ok=True)
        shutil.copy(stripped, self.path("/usr/bin/memcached"))
        self.proc = None
        self.port = None

    def path(self, inside):
        return self.root + inside

    def start(self):
        self.port = mctest.free_port()
        self.proc = subprocess.Popen(
            ["chroot", self.root, "/usr/bin/memcached", "-u", "root", "-l",
             "127.0.0.1", "-p", str(self.port), "-U", "0", "-t", "1"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        if not mctest.wait_until(lambda: listening(self.port), 10):
            raise RuntimeError("the chrooted memcached did not start: %s"
                               % self.proc.stderr.read1(4096))
        return self

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


def gets(port, key, n):
    c = mcproto.MemcacheClient("127.0.0.1", port)
    c.set(key, b"value")
    for _ in range(n):
        c.get(key)
    c.close()


def key_gets(jm, key):
    keys, _ = jm.sums()
    return keys.get(key.decode(), {}).get("gets", 0)


def debug_by_id(root, bid):
    """Where a debug file of build id bid is looked for under root."""
    return os.path.join(root, "usr/lib/debug/.build-id", bid[:2],
                        bid[2:] + ".debug")


def absolute_symlink_debug(tap, work, stripped, debug):
    """Row 2: /usr/lib/debug/.build-id/... in the container is an absolute
    symlink to the debug file on the host only."""
    c = Container(os.path.join(work, "ct-symlink"), stripped)
    host_only = os.path.join(work, "host-only")
    os.makedirs(host_only)
    shutil.copy(debug, os.path.join(host_only, "memcached.debug"))
    link = debug_by_id(c.root, build_id(stripped))
    os.makedirs(os.path.dirname(link))
    os.symlink(os.path.join(host_only, "memcached.debug"), link)
    c.start()
    try:
        rc, out, err = mctopcmd.run("-p", str(c.pid), "--json", "-i", "0.2",
                                    "-n", "1", "-v", timeout=30)
        tap.ok(rc == 1 and "has no memcached USDT probes and no symbols "
               "(no debug file at" in err
               and host_only not in err.split("no debug file at")[0],
               "an absolute symlink out of the container is not followed: "
               "no symbols, status 1", f"status {rc}\n{err[-1500:]}")
        tap.ok("symbols from" not in err,
               "nothing was attached with symbols read from the host's file",
               err[-1500:])
        # The same file through a relative symlink inside the container.
        inside = c.path("/usr/lib/debug/memcached.debug")
        shutil.copy(debug, inside)
        os.unlink(link)
        os.symlink(os.path.relpath(inside, os.path.dirname(link)), link)
        jm = mctopcmd.JsonMctop("-p", str(c.pid), interval="0.3")
        try:
            ok = jm.wait_lines(2, 20)
            gets(c.port, b"ct:rel", 25)
            mctest.wait_until(lambda: key_gets(jm, b"ct:rel") >= 25, 10)
            _, err = jm.stop()
            tap.eq(key_gets(jm, b"ct:rel"), 25,
                   "a relative symlink inside the container still works: "
                   "25 gets counted exactly")
            tap.ok(ok, "it traced within 20 s", err[-1500:])
        finally:
            jm.stop()
    finally:
        c.stop()


def symlink_swap(tap, work, stripped, debug):
    """Row 1, and a FIFO as debug file (row 4): the container's build-id
    debug path is a FIFO (the old code blocked opening it); meanwhile the
    container's /usr/bin/memcached becomes an absolute symlink to a host
    file, the binary of a host memcached.  The uprobes must be on the file
    mctop inspected: the container's counted, the host's never."""
    c = Container(os.path.join(work, "ct-swap"), stripped)
    os.makedirs(c.path("/usr/bin/.debug"))
    shutil.copy(debug, c.path("/usr/bin/.debug/memcached.debug"))
    fifo = debug_by_id(c.root, build_id(stripped))
    os.makedirs(os.path.dirname(fifo))
    os.mkfifo(fifo)
    victim_dir = os.path.join(work, "host-victim")
    os.makedirs(victim_dir)
    victim = os.path.join(victim_dir, "memcached")
    shutil.copy(stripped, victim)
    c.start()
    host = mctest.Memcached(victim, threads=1).start()
    binary = f"/proc/{c.pid}/root/usr/bin/memcached"
    jm = mctopcmd.JsonMctop("-b", binary, "-v", interval="0.3")
    try:
        first = jm.wait_lines(1, 5)
        tap.ok(first, "a FIFO as the debug file blocks nothing: tracing "
               "within 5 s")
        # The swap, then let a reader blocked on the FIFO go on (EOF).
        os.rename(c.path("/usr/bin/memcached"),
                  c.path("/usr/bin/memcached.orig"))
        os.symlink(victim, c.path("/usr/bin/memcached"))
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass  # no reader: nothing was blocked on it
        jm.wait_lines(3, 15)
        gets(host.port, b"host:victim", 50)
        gets(c.port, b"ct:swap", 20)
        mctest.wait_until(lambda: key_gets(jm, b"ct:swap") >= 20, 10)
        time.sleep(1)
        status, err = jm.stop()
        tap.eq(key_gets(jm, b"host:victim"), 0,
               "no uprobe on the host file the swapped symlink names: the "
               "host memcached's 50 gets are not seen")
        tap.eq(key_gets(jm, b"ct:swap"), 20,
               "the file inspected is the file traced: the container's 20 "
               "gets counted exactly")
        tap.ok(victim not in err, "the host path never appears in what "
               "mctop says", err[-1500:])
    finally:
        jm.stop()
        host.stop()
        c.stop()


def fifo_pidfile(tap, work):
    """Row 4 in collectd: a PIDFile that is a FIFO.  Its instance says so
    without blocking; the other instance keeps reporting exactly; collectd
    stops on time."""
    fifo = os.path.join(work, "memcached.pid")
    os.mkfifo(fifo)
    with mctest.Memcached(mctest.memcached_binary()) as mc:
        conf = (f'  <Instance "fifo">\n    PIDFile "{fifo}"\n'
                f'  </Instance>\n'
                f'  <Instance "good">\n    PID {mc.pid}\n'
                f'  </Instance>\n')
        cd = mctest.Collectd(os.environ["MCTOP_PLUGIN"], conf, interval=1)
        cd.start()
        try:
            said = cd.wait_log(r'instance "fifo": PIDFile .* names no running '
                               r'process \(it is not a regular file', 10)
            tap.ok(said, "a FIFO as PIDFile is refused without blocking, "
                   "named as such", cd.log()[-1500:])
            cd.wait_log(r'instance "good": attached', 15)
            gets(mc.port, b"pidfile:ok", 30)

            def good_gets():
                row = mctest.latest(cd.csv_dir, HOST, "mctop-good",
                                    "mctop_key", "pidfile:ok")
                return row is not None and row["gets"] == 30
            tap.ok(mctest.wait_until(good_gets, 15),
                   "the other instance keeps reporting: its key's 30 gets reached "
                   "the csv writer exactly", cd.log()[-1500:])
            t0 = time.monotonic()
            cd.stop()
            took = time.monotonic() - t0
            tap.ok(took < 10, f"collectd stopped in {took:.1f} s (a read "
                   "blocked on the FIFO would hold it)")
        finally:
            cd.cleanup()


def truncated_file(tap, work, stripped, debug):
    """Row 3: a binary truncated while mctop has it open.  A FIFO as its
    first debug-file candidate held the old code, with the binary mapped,
    until the test truncated the binary and let the FIFO go: the next read
    of the mapping raised SIGBUS and killed the process (inside collectd,
    the daemon).  Now the binary is read into memory once and the FIFO is
    refused at once: the truncation changes nothing mctop holds."""
    d = os.path.join(work, "shrinking")
    os.makedirs(os.path.join(d, "bin", ".debug"))
    binary = os.path.join(d, "bin", "memcached")
    shutil.copy(stripped, binary)
    shutil.copy(debug, os.path.join(d, "bin", ".debug", "memcached.debug"))
    dbg = os.path.join(d, "debug")
    fifo = os.path.join(dbg, ".build-id", build_id(stripped)[:2],
                        build_id(stripped)[2:] + ".debug")
    os.makedirs(os.path.dirname(fifo))
    os.mkfifo(fifo)
    p = subprocess.Popen([mctopcmd.command(), "-b", binary, "--debug-dir",
                          dbg, "--json", "-n", "3", "-i", "0.3"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    time.sleep(2)
    os.truncate(binary, 0)
    try:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass  # no reader: nothing was blocked on it
    try:
        out, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    rc = p.returncode
    tap.ok(rc >= 0, "a binary truncated while mctop held it: no signal "
           f"(status {rc}{', ' + signal.Signals(-rc).name if rc < 0 else ''})",
           err.decode(errors="replace")[-1000:])
    tap.ok(rc == 0 and out.count(b"\n") == 3,
           "and it traced on: 3 intervals, status 0",
           err.decode(errors="replace")[-1000:])
    # The same in collectd, where a SIGBUS was the whole daemon's end.
    shutil.copy(stripped, binary)
    with mctest.Memcached(mctest.memcached_binary()) as mc:
        conf = (f'  <Instance "shrinking">\n    Binary "{binary}"\n'
                f'    DebugDirectory "{dbg}"\n  </Instance>\n'
                f'  <Instance "good">\n    PID {mc.pid}\n  </Instance>\n')
        with mctest.Collectd(os.environ["MCTOP_PLUGIN"], conf,
                             interval=1) as cd:
            time.sleep(2)
            os.truncate(binary, 0)
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
            gets(mc.port, b"shrink:ok", 15)

            def good_gets():
                row = mctest.latest(cd.csv_dir, HOST, "mctop-good",
                                    "mctop_key", "shrink:ok")
                return row is not None and row["gets"] == 15
            tap.ok(mctest.wait_until(good_gets, 15) and cd.running(),
                   "collectd: alive after the truncation, its other "
                   "instance's 15 gets exact",
                   (cd.log() + cd.output())[-1500:])


def many_sites(tap, work):
    """Row 7: an ELF with more memcached probe sites than any memcached
    (1,100: more than an instance's site ids).  The command refuses it by
    name; collectd says so once and does not parse it again every interval,
    and its other instance keeps working."""
    src = os.path.join(work, "sites.c")
    with open(src, "w") as f:
        f.write("#include <sys/sdt.h>\nint main(int argc, char **argv) {\n")
        for i in range(1100):
            f.write(f"  DTRACE_PROBE5(memcached, command__get, argc, argv[0], "
                    f"argc, {i}, 0);\n")
        f.write("  return 0;\n}\n")
    exe = os.path.join(work, "many-sites")
    subprocess.run(["gcc", "-O0", "-o", exe, src], check=True)
    rc, _, err = mctopcmd.run("-b", exe, "-n", "1", "--json", timeout=30)
    tap.ok(rc == 1 and "more than 256 memcached probe sites" in err,
           "a file with 1,100 probe sites is refused, by name and count",
           f"status {rc}\n{err[-1000:]}")
    with mctest.Memcached(mctest.memcached_binary()) as mc:
        conf = (f'  <Instance "many">\n    Binary "{exe}"\n  </Instance>\n'
                f'  <Instance "good">\n    PID {mc.pid}\n  </Instance>\n')
        with mctest.Collectd(os.environ["MCTOP_PLUGIN"], conf,
                             interval=1) as cd:
            cd.wait_log(r'instance "good": attached', 15)
            time.sleep(4)
            said = len(re.findall(r'instance "many": .*probe sites', cd.log()))
            tap.eq(said, 1, "collectd: said once in 4 intervals, not parsed "
                   "again")
            tap.ok("waits for detaching" not in cd.log(),
                   "it never holds the instance's site ids", cd.log()[-1500:])
            tap.ok(cd.running(), "collectd runs on")


def process_cap(tap, work):
    """Row 7: ProcessMatch matching more processes than an instance traces
    (10 > 8): 8 traced, the cap said once, the traced ones counted."""
    binary = os.path.join(work, "memcached-capped")
    shutil.copy(mctest.memcached_binary(), binary)
    procs = [mctest.Memcached(binary, threads=1).start() for _ in range(10)]
    try:
        jm = mctopcmd.JsonMctop("--match", re.escape(binary), "-v",
                                interval="0.3")
        try:
            jm.wait_lines(4, 20)
            gets(procs[0].port, b"cap:key", 10)
            mctest.wait_until(lambda: key_gets(jm, b"cap:key") >= 10, 10)
            _, err = jm.stop()
            targets = max((d["health"]["targets"] for d in jm.lines),
                          default=0)
            tap.eq(targets, 8, "10 matching processes: 8 traced")
            tap.eq(len(re.findall(r"not tracing ProcessMatch", err)), 1,
                   "the cap said once")
            tap.eq(key_gets(jm, b"cap:key"), 10,
                   "the first process's 10 gets counted exactly")
        finally:
            jm.stop()
    finally:
        for p in procs:
            p.stop()


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    work = tempfile.mkdtemp(prefix="mctop-hostile-")
    try:
        stripped, debug = split_debug(plain_binary(), work)
        absolute_symlink_debug(tap, work, stripped, debug)
        symlink_swap(tap, work, stripped, debug)
        fifo_pidfile(tap, work)
        truncated_file(tap, work, stripped, debug)
        many_sites(tap, work)
        process_cap(tap, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
