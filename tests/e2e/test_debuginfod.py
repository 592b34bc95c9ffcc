#!/usr/bin/env python3
"""Symbol mode on a stripped memcached whose debug file is nowhere local:
fetched by build id from a real debuginfod server (Debian's `debuginfod`)
where DEBUGINFOD_URLS is set, and never otherwise.

A release build stripped as packages ship it (tests/build-memcached-release
VERSION stripped: no .symtab, its debug file beside it in debug/, where
nothing finds it unless told) runs under the text, binary and meta workload
of tests/lib/symload.py.  debuginfod 0.188 cannot bind to one address: it
listens on a free port of every interface for the test's length, and is
reached on 127.0.0.1.  libdebuginfod's cache is a temp dir
(DEBUGINFOD_CACHE_PATH) in every case.

- the `mctop` command and the plugin in a real collectd count every key's
  gets, hits, misses, sets, touches, ariths and deletes exactly, their
  totals equal memcached's own `stats`, and the log names the server that
  served the file; a second command reads it from the cache without a
  request;
- without DEBUGINFOD_URLS the server gets no request and the target is
  refused in one line that names the fix;
- a server that answers with another build's file, or with garbage, is
  refused by name and the file leaves the cache;
- a server that accepts and never answers costs at most DebuginfodTimeout
  (2 s, and the default 10 s), even for two targets of two builds (one
  timeout per interval, shared), one that is down costs nothing; in collectd
  the failed build id is not asked for again when the target is looked at
  again 10 s later;
- the stripped build with its debug file in a directory (--debug-dir), no
  debuginfod involved, counts exactly too.
"""
import contextlib
import http.server
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import mcproto
import mctest
import mctopcmd
from elffiles import build_id
from expect import COMMANDS
from keyname import key_name
from symload import (SymExpect, binary_workload, has_meta, meta_workload,
                     text_workload)

VERSION = os.environ.get("MCTOP_DEBUGINFOD_VERSION", "1.6.24")
OTHER = "1.6.9"     # another build: its debug file has another build id
HOST = mctest.Collectd.HOST
PER_KEY = ("gets", "hits", "misses", "sets", "touches", "ariths", "deletes")
STORES = ("set", "add", "replace", "append", "prepend", "cas")
FIX = ("install the memcached debug symbols (Debian: memcached-dbgsym) or "
       "say where they are (DebugDirectory, DEBUGINFOD_URLS), or rebuild "
       "memcached with ./configure --enable-dtrace")


def build(version, flavour):
    script = os.path.join(mctest.SRCDIR, "tests", "build-memcached-release")
    return subprocess.run([script, version, flavour], check=True, text=True,
                          stdout=subprocess.PIPE).stdout.strip()


@contextlib.contextmanager
def environ(**kv):
    """os.environ with kv set (None: unset), for mctop and collectd."""
    old = {k: os.environ.get(k) for k in kv}
    try:
        for k, v in kv.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class Debuginfod:
    """Debian's debuginfod serving the files of one directory."""

    def __init__(self, work, files):
        self.dir = os.path.join(work, "debuginfod")
        srv = os.path.join(self.dir, "srv")
        os.makedirs(srv)
        for f in files:
            shutil.copy(f, srv)
        self.port = mctest.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(self.dir, "log"), "wb")
        self.proc = subprocess.Popen(
            ["debuginfod", "-F", "-p", str(self.port), "-t", "0", "-g", "0",
             "-d", os.path.join(self.dir, "db.sqlite"), srv],
            stdout=self.log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)

    def serves(self, bid):
        try:
            with urllib.request.urlopen(
                    f"{self.url}/buildid/{bid}/debuginfo", timeout=5) as r:
                return r.status == 200
        except OSError:
            return False

    def requests(self):
        """debuginfo requests served so far (its /metrics)."""
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=5) as r:
            text = r.read().decode()
        m = re.search(r'^http_requests_total\{type="debuginfo"\} (\d+)',
                      text, re.M)
        return int(m.group(1)) if m else 0

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class FakeServer:
    """A debuginfod stand-in on 127.0.0.1 answering every request with
    body (bytes), or (body None) accepting connections and never
    answering.  .hits counts requests (or connections)."""

    def __init__(self, body):
        self.hits, self.conns = 0, []
        if body is None:
            self.sock = socket.socket()
            self.sock.bind(("127.0.0.1", 0))
            self.sock.listen(16)
            self.port = self.sock.getsockname()[1]
            target = self._hold
        else:
            server = self

            class Handler(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    server.hits += 1
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

                def log_message(self, *args):
                    pass

            self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                        Handler)
            self.port = self.http.server_address[1]
            target = self.http.serve_forever
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=target, daemon=True).start()

    def _hold(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.hits += 1
            self.conns.append(c)

    def stop(self):
        if hasattr(self, "http"):
            self.http.shutdown()
            self.http.server_close()
        else:
            self.sock.close()
            for c in self.conns:
                c.close()


def stats(port):
    s = mcproto.MemcacheClient("127.0.0.1", port).stats()
    names = ("cmd_get", "get_hits", "get_misses", "cmd_set", "cmd_touch",
             "incr_hits", "incr_misses", "decr_hits", "decr_misses",
             "delete_hits")
    return {k: int(s[k]) for k in names}


def from_stats(s0, s1):
    """memcached's stats delta as mctop's totals name them."""
    d = {k: s1[k] - s0[k] for k in s0}
    return {"get": d["cmd_get"], "hits": d["get_hits"],
            "misses": d["get_misses"], "sets": d["cmd_set"],
            "touch": d["cmd_touch"],
            "ariths": d["incr_hits"] + d["incr_misses"] + d["decr_hits"] +
            d["decr_misses"], "deletes": d["delete_hits"]}


def from_totals(t):
    return {"get": t.get("get", 0), "hits": t.get("hits", 0),
            "misses": t.get("misses", 0),
            "sets": sum(t.get(c, 0) for c in STORES),
            "touch": t.get("touch", 0),
            "ariths": t.get("incr", 0) + t.get("decr", 0),
            "deletes": t.get("delete", 0)}


def workload(port):
    """The workload, and memcached's stats delta over it."""
    s0 = stats(port)
    e = SymExpect()
    mc = mcproto.MemcacheClient("127.0.0.1", port)
    text_workload(mc, e, VERSION)
    binary_workload(mcproto.BinaryClient("127.0.0.1", port), e)
    if has_meta(VERSION):
        meta_workload(mc, e)
    return e, from_stats(s0, stats(port))


def unmangle(name):
    """cli/json.c may write each byte of a non-ASCII name as \\u00XX."""
    try:
        return name.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return name


def wrong_keys(e, got):
    """{key: (got, want)} of the keys whose per-key figures differ; got
    maps a key's name to its figures."""
    wrong = {}
    for k, w in e.keys.items():
        g = {f: got.get(key_name(k), {}).get(f, 0) for f in PER_KEY}
        if g != {f: w[f] for f in PER_KEY}:
            wrong[k] = (g, {f: w[f] for f in PER_KEY})
    return wrong


def check_counts(tap, label, e, want, got_keys, got_totals):
    wrong = wrong_keys(e, got_keys)
    tap.ok(not wrong, f"{label}: every key's gets, hits, misses, sets, "
           f"touches, ariths, deletes exact ({len(e.keys)} keys)",
           "\n".join(f"{k!r}: got {g}\n  want {w}"
                     for k, (g, w) in list(wrong.items())[:4]))
    tap.ok(got_totals == want, f"{label}: totals equal memcached's own stats "
           f"({want})", f"got {got_totals}")


def traced_cli(tap, label, memcached, *args):
    """mctop --json on memcached under the workload: (stderr, status), the
    counts checked."""
    cmd = mctopcmd.JsonMctop("-p", str(memcached.pid), "-k", "100", "-v",
                             *args)
    if not cmd.wait_lines(1):
        rc, err = cmd.stop()
        tap.ok(False, f"{label}: traced (status {rc})", err[-1500:])
        return err, rc
    e, want = workload(memcached.port)

    def totals():
        return from_totals(cmd.sums()[1])

    mctest.wait_until(lambda: totals() == want, 10)
    n = len(cmd.lines)          # a key's events may land one interval late
    mctest.wait_until(lambda: len(cmd.lines) > n + 1, 5)
    rc, err = cmd.stop()
    keys = {unmangle(k): v for k, v in cmd.sums()[0].items()}
    check_counts(tap, label, e, want, keys, totals())
    return err, rc


def refused_line(err):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    return lines[0] if len(lines) == 1 else "\n".join(lines)


def cli_fetch(tap, d, stripped, bid, work):
    cache = os.path.join(work, "cache-cli")
    served = f"{d.url}/buildid/{bid}/debuginfo"
    with environ(DEBUGINFOD_URLS=d.url, DEBUGINFOD_CACHE_PATH=cache), \
            mctest.Memcached(stripped, threads=2) as m:
        before = d.requests()
        err, rc = traced_cli(tap, "mctop, debug file from debuginfod", m)
        tap.ok(rc == 0, f"mctop ends with status 0 (got {rc})", err[-800:])
        said = re.search(rf"mctop: the debug file of /proc/{m.pid}/exe \(build "
                         rf"id {bid}\) came from debuginfod server "
                         rf"{re.escape(served)}, cached at "
                         rf"{re.escape(cache)}/{bid}/debuginfo", err)
        tap.ok(said, "the command's log names the server that served the "
               "debug file, and where it is cached", err[-1500:])
        tap.ok(re.search(r"attached \d+ functions .* symbol mode \(checked "
                         r"against its DWARF\), symbols from debuginfod "
                         rf"server {re.escape(served)}:", err),
               "the attached line says the symbols came from that server, "
               "and the fetched file's DWARF was checked",
               err[-1500:])
        tap.eq(d.requests() - before, 1, "the server got one request")
        tap.ok(os.path.isfile(os.path.join(cache, bid, "debuginfo")),
               "the file is in DEBUGINFOD_CACHE_PATH")
        before = d.requests()
        rc, _, err = mctopcmd.run("-p", str(m.pid), "--json", "-n", "1", "-v")
        tap.ok(rc == 0 and re.search(
            rf"the debug file of \S+ \(build id {bid}\) came from "
            rf"debuginfod's cache {re.escape(cache)}/{bid}/debuginfo", err),
            "a second command reads it from the cache, and says so",
            err[-1500:])
        tap.eq(d.requests() - before, 0, "... without asking the server")


def plugin_fetch(tap, d, stripped, bid, work):
    cache = os.path.join(work, "cache-collectd")
    served = f"{d.url}/buildid/{bid}/debuginfo"
    conf = ('  <Instance "dbg">\n    PID {pid}\n    TopKeys 1000\n'
            '  </Instance>\n')
    with environ(DEBUGINFOD_URLS=d.url, DEBUGINFOD_CACHE_PATH=cache), \
            mctest.Memcached(stripped, threads=2) as m, \
            mctest.Collectd(os.environ["MCTOP_PLUGIN"],
                            conf.format(pid=m.pid)) as cd:
        said = cd.wait_log(rf"mctop plugin: the debug file of /proc/{m.pid}"
                           rf"/exe \(build id {bid}\) came from debuginfod "
                           rf"server {re.escape(served)}, cached at "
                           rf"{re.escape(cache)}/", 20)
        tap.ok(said, "collectd's log names the server that served the debug "
               "file", cd.log()[-2000:])
        tap.ok(cd.wait_log(r'instance "dbg": attached \d+ functions .* symbol '
                           r"mode \(checked against its DWARF\), symbols "
                           rf"from debuginfod server {re.escape(served)}:",
                           10),
               "collectd: the attached line names the server", cd.log()[-2000:])
        e, want = workload(m.port)

        def totals():
            t = mctest.command_totals(cd.csv_dir, HOST, "dbg", COMMANDS)
            for f in ("hits", "misses"):
                row = mctest.latest(cd.csv_dir, HOST, "mctop-dbg",
                                    "memcached_ops", f)
                t[f] = int(row["value"]) if row else 0
            return from_totals(t)

        def keys():
            got = {}
            for k in e.keys:
                row = mctest.latest(cd.csv_dir, HOST, "mctop-dbg", "mctop_key",
                                    key_name(k))
                if row:
                    got[key_name(k)] = {f: int(row[f]) for f in PER_KEY}
            return got

        mctest.wait_until(lambda: totals() == want and
                          not wrong_keys(e, keys()), 20)
        check_counts(tap, "collectd, debug file from debuginfod", e, want,
                     keys(), totals())
        tap.eq(cd.sanitizer_reports(), [], "collectd: no sanitizer report")


def no_urls(tap, d, stripped, bid, work):
    cache = os.path.join(work, "cache-unset")
    with environ(DEBUGINFOD_URLS=None, DEBUGINFOD_CACHE_PATH=cache), \
            mctest.Memcached(stripped, threads=1) as m:
        before = d.requests()
        rc, _, err = mctopcmd.run("-p", str(m.pid), "--json", "-n", "1")
        line = refused_line(err)
        tap.ok(rc == 1 and "; debuginfod: DEBUGINFOD_URLS is not set): " +
               FIX in line,
               "without DEBUGINFOD_URLS: refused in one line that says no "
               f"server was asked and names the fix (status {rc})", line)
        tap.eq(d.requests() - before, 0, "... and the server got no request")
        tap.ok(not os.path.exists(os.path.join(cache, bid)),
               "... and nothing is in the cache")


def bad_servers(tap, stripped, bid, other, work):
    cases = (("another build's debug file", open(other, "rb").read(),
              r"its build id is not the binary's \(a debug file of another "
              r"build gives wrong offsets\)"),
             ("garbage", b"\x7fELF not really" * 4096, r"not an ELF file"))
    for label, body, why in cases:
        srv = FakeServer(body)
        cache = os.path.join(work, "cache-bad-" + label.split()[0])
        try:
            with environ(DEBUGINFOD_URLS=srv.url,
                         DEBUGINFOD_CACHE_PATH=cache), \
                    mctest.Memcached(stripped, threads=1) as m:
                rc, out, err = mctopcmd.run("-p", str(m.pid), "--json", "-n",
                                            "1")
        finally:
            srv.stop()
        line = refused_line(err)
        rx = (rf"debuginfod: the file {re.escape(srv.url)}/buildid/{bid}/"
              rf"debuginfo served is refused: {why}\): ")
        tap.ok(rc == 1 and out == "" and re.search(rx, line),
               f"a server answering with {label}: refused by name, nothing "
               f"traced (status {rc})", line)
        tap.eq(srv.hits, 1, f"{label}: asked once")
        tap.ok(not os.path.exists(os.path.join(cache, bid, "debuginfo")),
               f"{label}: the refused file left the cache")


def timed(*args):
    t0 = time.monotonic()
    rc, _, err = mctopcmd.run(*args, timeout=60)
    return rc, refused_line(err), time.monotonic() - t0


def slow_and_down(tap, stripped, other_bin, work):
    srv = FakeServer(None)
    down = f"http://127.0.0.1:{mctest.free_port()}"
    try:
        with mctest.Memcached(stripped, threads=1) as m:
            for limit in ("2", None):
                args = ["-p", str(m.pid), "--json", "-n", "1"]
                args += ["--debuginfod-timeout", limit] if limit else []
                with environ(DEBUGINFOD_URLS=srv.url, DEBUGINFOD_CACHE_PATH=
                             os.path.join(work, f"cache-slow-{limit}")):
                    rc, line, took = timed(*args)
                bound = int(limit or 10)
                tap.ok(rc == 1 and f"debuginfod: no debug file from {srv.url} "
                       f"within {bound} s (option DebuginfodTimeout)" in line
                       and bound <= took < bound + 3,
                       f"a server that never answers: given up after "
                       f"{took:.1f} s (DebuginfodTimeout {bound}; "
                       "libdebuginfod alone waits 90 s)", line)
            with environ(DEBUGINFOD_URLS=srv.url, DEBUGINFOD_CACHE_PATH=
                         os.path.join(work, "cache-slow-two")), \
                    mctest.Memcached(other_bin, threads=1) as m2:
                t0 = time.monotonic()
                rc, _, err = mctopcmd.run("-p", str(m.pid), "-p", str(m2.pid),
                                          "--json", "-n", "1", "-v",
                                          "--debuginfod-timeout", "2",
                                          timeout=60)
                took = time.monotonic() - t0
            spent = ("debuginfod: this interval's DebuginfodTimeout was "
                     "spent on other targets' fetches; asked at the next look")
            lines = err.splitlines()
            tap.ok(rc == 1 and took < 5 and any(
                f"/proc/{m.pid}/exe has no" in ln and "within 2 s (option "
                "DebuginfodTimeout)):" in ln for ln in lines) and any(
                f"/proc/{m2.pid}/exe has no" in ln and spent in ln
                for ln in lines),
                f"two builds, a server that never answers: one "
                f"DebuginfodTimeout for both ({took:.1f} s), the second "
                "target told it is asked at the next look", err[-2000:])
            with environ(DEBUGINFOD_URLS=down,
                         DEBUGINFOD_CACHE_PATH=os.path.join(work, "cache-down")):
                rc, line, took = timed("-p", str(m.pid), "--json", "-n", "1")
            tap.ok(rc == 1 and f"debuginfod: asking {down} failed: Connection "
                   "refused" in line and took < 3,
                   f"a server that is down: refused by name in {took:.1f} s",
                   line)
    finally:
        srv.stop()


def plugin_no_retry(tap, stripped, work):
    """collectd: a fetch that timed out is bounded, and not asked again when
    the target is looked at again (10 s later)."""
    srv = FakeServer(None)
    conf = ('  <Instance "slow">\n    PID {pid}\n    DebuginfodTimeout 2\n'
            '  </Instance>\n')
    try:
        with environ(DEBUGINFOD_URLS=srv.url, DEBUGINFOD_CACHE_PATH=
                     os.path.join(work, "cache-collectd-slow")), \
                mctest.Memcached(stripped, threads=1) as m, \
                mctest.Collectd(os.environ["MCTOP_PLUGIN"],
                                conf.format(pid=m.pid),
                                extra_plugins=("csv", "logfile",
                                               "memory")) as cd:
            first = cd.wait_log(r'instance "slow": .*debuginfod: no debug file '
                                rf"from {re.escape(srv.url)} within 2 s "
                                r"\(option DebuginfodTimeout\)\): " +
                                re.escape(FIX), 20)
            tap.ok(first, "collectd: a server that never answers is given up "
                   "after DebuginfodTimeout, and the fix named",
                   cd.log()[-2000:])
            asked = srv.hits
            again = cd.wait_log(r'instance "slow": .*debuginfod: no debug '
                                r"file from .* within 2 s \(option "
                                r"DebuginfodTimeout\); not asked again for "
                                r"\d+ s\)", 25)
            tap.ok(again, "collectd: looked at again 10 s later, the failed "
                   "build id is not asked for again, and the log says so",
                   cd.log()[-2000:])
            tap.eq(srv.hits, asked, "... the server saw no new connection")
            tap.ok(mctest.wait_until(lambda: mctest.latest(
                cd.csv_dir, HOST, "memory", "memory", "used"), 10) and
                cd.running(), "collectd and its other plugins keep running")
    finally:
        srv.stop()


def local_dir(tap, stripped, debug, bid, work):
    """No debuginfod: the debug file found by build id in --debug-dir."""
    d = os.path.join(work, "debugdir")
    dest = os.path.join(d, ".build-id", bid[:2], bid[2:] + ".debug")
    os.makedirs(os.path.dirname(dest))
    shutil.copy(debug, dest)
    with environ(DEBUGINFOD_URLS=None), \
            mctest.Memcached(stripped, threads=2) as m:
        err, rc = traced_cli(tap, f"{VERSION} stripped, --debug-dir", m,
                             "--debug-dir", d)
        tap.ok(rc == 0 and re.search(
            rf"symbols from /proc/{m.pid}/root{re.escape(dest)}:", err),
            "the debug file came from the directory", err[-1500:])


def built_in():
    """Whether the mctop under test links libdebuginfod (configure's
    choice)."""
    out = subprocess.run(["ldd", mctopcmd.command()], capture_output=True,
                         text=True).stdout
    return "libdebuginfod" in out


def not_built_in(tap, stripped):
    """A build without libdebuginfod says so, whatever the environment."""
    with environ(DEBUGINFOD_URLS="http://127.0.0.1:1"), \
            mctest.Memcached(stripped, threads=1) as m:
        rc, _, err = mctopcmd.run("-p", str(m.pid), "--json", "-n", "1")
    line = refused_line(err)
    tap.ok(rc == 1 and "; debuginfod: debuginfod support is not built in "
           "(mctop was configured without libdebuginfod)): " + FIX in line,
           "built without libdebuginfod: the refusal says debuginfod "
           f"support is not built in (status {rc})", line)


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    if not built_in():
        not_built_in(tap, build(VERSION, "stripped"))
        tap.diag("mctop was built without libdebuginfod: nothing more to "
                 "test here (configure finds libdebuginfod-dev)")
        sys.exit(tap.done())
    if not shutil.which("debuginfod"):
        tap.bail("no debuginfod server: run scripts/install-deps (Debian "
                 "package debuginfod)")
    stripped = build(VERSION, "stripped")
    debug = os.path.join(os.path.dirname(stripped), "debug", "memcached.debug")
    other_bin = build(OTHER, "stripped")
    other = os.path.join(os.path.dirname(other_bin), "debug",
                         "memcached.debug")
    bid = build_id(stripped)
    tap.ok(build_id(debug) == bid and build_id(other) != bid,
           f"the {VERSION} stripped build and its debug file share build id "
           f"{bid}; {OTHER}'s differs")
    work = tempfile.mkdtemp(prefix="mctop-debuginfod-")
    d = Debuginfod(work, [debug])
    try:
        tap.ok(mctest.wait_until(lambda: d.serves(bid), 30),
               f"debuginfod on {d.url} serves the debug file",
               open(os.path.join(d.dir, "log")).read()[-1500:])
        cli_fetch(tap, d, stripped, bid, work)
        plugin_fetch(tap, d, stripped, bid, work)
        no_urls(tap, d, stripped, bid, work)
        bad_servers(tap, stripped, bid, other, work)
        slow_and_down(tap, stripped, other_bin, work)
        plugin_no_retry(tap, stripped, work)
        local_dir(tap, stripped, debug, bid, work)
    finally:
        d.stop()
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(tap.done())


if __name__ == "__main__":
    main()
