#!/usr/bin/env python3
"""The Debian package, installed the way operators install it.

Builds collectd-mctop from this checkout with Debian's tooling
(scripts/build-deb: dpkg-buildpackage + debhelper), checks what it holds
(the plugin, the command, types.db, the docs, an inert conffile, Depends
computed by dh_shlibs, a -dbgsym package) and that lintian is clean, then
installs it with apt next to Debian's collectd package.  collectd is
started the way Debian's service unit starts it (its ExecStartPre config
test, then its ExecStart with Debian's own /etc/collectd/collectd.conf):
first with mctop.conf as shipped (collectd runs, nothing of ours is
loaded or logged at error level), then with an instance enabled in
/etc/collectd/collectd.conf.d/ (a known workload arrives exactly in the
csv writer).  Finally `apt-get purge` leaves no file of ours.

Needs root and changes the system (installs packages): run by .ci/run, or
by hand on a machine you may change.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import mcproto  # noqa: E402
import mctest  # noqa: E402

POLICY = "/usr/sbin/policy-rc.d"
CONF_D = "/etc/collectd/collectd.conf.d"
OURS = [
    "/usr/lib/collectd/mctop.so",
    "/usr/sbin/mctop",
    "/usr/share/collectd/mctop.types.db",
    CONF_D + "/mctop.conf",
    "/usr/share/doc/collectd-mctop/copyright",
]


def sh(*argv, check=True, **kw):
    return subprocess.run(argv, capture_output=True, text=True, check=check,
                          **kw)


def unit_commands():
    """Debian's collectd.service ExecStartPre and ExecStart, as argv."""
    unit = "/lib/systemd/system/collectd.service"
    pre, start = None, None
    with open(unit) as f:
        for line in f:
            m = re.match(r"ExecStart(Pre)?=(.*)", line.strip())
            if m:
                argv = m.group(2).lstrip("-@+!").split()
                if m.group(1):
                    pre = argv
                else:
                    start = argv
    return pre, start


class DebianCollectd:
    """collectd as the unit runs it, in the foreground so the test owns it
    (the unit's Type=notify daemon stays in the foreground too)."""

    def __init__(self, log):
        self.log = log
        self.proc = None

    def start(self):
        pre, start = unit_commands()
        ok = subprocess.run(pre, capture_output=True, text=True)
        if ok.returncode != 0:
            raise RuntimeError("collectd -t: " + ok.stdout + ok.stderr)
        argv = start + (["-f"] if "-f" not in start else [])
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                     stderr=open(self.log + ".stderr", "w"),
                                     stdin=subprocess.DEVNULL)
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def text(self):
        out = ""
        for p in (self.log, self.log + ".stderr"):
            if os.path.exists(p):
                with open(p, errors="replace") as f:
                    out += f.read()
        return out


def build(tap, out):
    p = subprocess.run(["scripts/build-deb"], cwd=mctest.SRCDIR,
                       env=dict(os.environ, OUT=out), capture_output=True,
                       text=True)
    debs = sorted(glob.glob(os.path.join(out, "collectd-mctop_*.deb")))
    dbg = glob.glob(os.path.join(out, "collectd-mctop-dbgsym_*.deb"))
    tap.ok(p.returncode == 0 and len(debs) == 1,
           "dpkg-buildpackage -us -uc -b builds collectd-mctop (%s)"
           % [os.path.basename(d) for d in debs], p.stdout + p.stderr)
    if not debs:
        return None, None
    version = sh("dpkg-deb", "-f", debs[0], "Version").stdout.strip()
    tap.ok(re.fullmatch(r"\d+\.\d+\.\d+\+git\d{8}\.[0-9a-f]{7}", version),
           "the version says which commit it came from (%s)" % version)
    tap.ok(len(dbg) == 1 and ".debug" in sh("dpkg-deb", "-c", dbg[0]).stdout,
           "a -dbgsym package holds mctop's debug symbols, the Debian way",
           str(dbg))
    return debs[0], dbg[0] if dbg else None


def contents(tap, deb):
    files = sh("dpkg-deb", "-c", deb).stdout
    want = ["./usr/lib/collectd/mctop.so", "./usr/sbin/mctop",
            "./usr/share/collectd/mctop.types.db",
            "./etc/collectd/collectd.conf.d/mctop.conf",
            "./usr/share/doc/collectd-mctop/README.md",
            "./usr/share/doc/collectd-mctop/mctop-prometheus.json",
            "./usr/share/doc/collectd-mctop/mctop-rules.yml"]
    missing = [w for w in want if not re.search(re.escape(w) + r"(\.gz)?$",
                                                files, re.M)]
    tap.ok(not missing, "the package holds the plugin, the command, "
           "types.db, the conffile, README, the dashboard and the rules",
           "missing %s in\n%s" % (missing, files))
    with tempfile.TemporaryDirectory() as d:
        sh("dpkg-deb", "-e", deb, d)
        with open(os.path.join(d, "conffiles")) as f:
            conffiles = f.read().split()
    tap.ok(conffiles == ["/etc/collectd/collectd.conf.d/mctop.conf"],
           "mctop.conf is a conffile", str(conffiles))
    depends = sh("dpkg-deb", "-f", deb, "Depends").stdout
    tap.ok(all(lib in depends for lib in ("libbpf1", "libelf1", "libc6",
                                          "collectd-core")),
           "Depends, from dh_shlibdeps, names libbpf1, libelf1 and libc6, "
           "plus collectd-core (%s)" % depends.strip())
    p = subprocess.run(["lintian", "--fail-on", "error,warning", deb],
                       capture_output=True, text=True)
    tap.ok(p.returncode == 0, "lintian: no error or warning (the rest is "
           "explained in debian/collectd-mctop.lintian-overrides)",
           p.stdout + p.stderr)


def workload(port):
    mc = mcproto.MemcacheClient("127.0.0.1", port)
    mc.set(b"pkg:hot", b"x" * 10)
    for _ in range(25):
        mc.get(b"pkg:hot")


def run(tap, deb):
    added_policy = not os.path.exists(POLICY)
    if added_policy:  # no service starts while we install (as in images)
        with open(POLICY, "w") as f:
            f.write("#!/bin/sh\nexit 101\n")
        os.chmod(POLICY, 0o755)
    test_conf = os.path.join(CONF_D, "zz-mctop-package-test.conf")
    tmp = tempfile.mkdtemp(prefix="mctop-pkg-")
    try:
        p = subprocess.run(["apt-get", "install", "-y", "-q",
                            "--no-install-recommends", deb, "collectd"],
                           capture_output=True, text=True,
                           env=dict(os.environ,
                                    DEBIAN_FRONTEND="noninteractive"))
        tap.ok(p.returncode == 0, "apt-get install ./collectd-mctop_*.deb "
               "beside Debian's collectd", p.stdout[-2000:] + p.stderr)
        if p.returncode != 0:
            return
        listed = sh("dpkg", "-L", "collectd-mctop").stdout.split()
        ours = [f for f in listed if os.path.isfile(f)]
        tap.ok(all(f in listed for f in OURS), "dpkg -L lists our files",
               "\n".join(listed))
        log = os.path.join(tmp, "collectd.log")
        # Our own logfile beside Debian's syslog, to read what collectd says.
        with open(test_conf, "w") as f:
            f.write('LoadPlugin logfile\n<Plugin logfile>\n  LogLevel info\n'
                    '  File "%s"\n</Plugin>\n' % log)
        cd = DebianCollectd(log).start()
        time.sleep(4)
        running = cd.running()
        cd.stop()
        text = cd.text()
        ours_logged = [ln for ln in text.splitlines() if "mctop" in ln]
        errors = [ln for ln in text.splitlines()
                  if "mctop" in ln and re.search(r"\[error\]", ln)]
        started = "Initialization complete" in text
        tap.ok(running and started and not errors and not ours_logged,
               "mctop.conf as shipped: collectd starts as the unit starts "
               "it (its log says so), and nothing of ours is loaded or "
               "logged", text[-2000:])
        binary = mctest.memcached_binary("1.6.18")
        with mctest.Memcached(binary, threads=2) as mcd:
            csv = os.path.join(tmp, "csv")
            with open(test_conf, "a") as f:
                f.write('LoadPlugin mctop\n<Plugin mctop>\n'
                        '  <Instance "pkg">\n    PID %d\n  </Instance>\n'
                        '</Plugin>\nLoadPlugin csv\n<Plugin csv>\n'
                        '  DataDir "%s"\n  StoreRates false\n</Plugin>\n'
                        % (mcd.pid, csv))
            cd = DebianCollectd(log).start()
            try:
                traced = mctest.wait_until(
                    lambda: 'instance "pkg": tracing' in cd.text(), 30)
                tap.ok(traced, "an instance enabled in collectd.conf.d/: the "
                       "packaged mctop.so traces memcached", cd.text()[-2000:])
                workload(mcd.port)

                def gets():
                    hits = glob.glob(os.path.join(
                        csv, "*", "mctop-pkg", "mctop_key-pkg:hot-*"))
                    if not hits:
                        return None
                    with open(sorted(hits)[-1]) as f:
                        rows = f.read().strip().splitlines()
                    head = rows[0].split(",")
                    return int(float(rows[-1].split(",")[head.index("gets")]))
                arrived = mctest.wait_until(lambda: gets() == 25, 30)
                tap.ok(arrived, "the key's 25 gets arrive exactly in the csv "
                       "writer (got %s)" % gets())
            finally:
                cd.stop()
        os.unlink(test_conf)
        p = subprocess.run(["apt-get", "purge", "-y", "-q", "collectd-mctop"],
                           capture_output=True, text=True,
                           env=dict(os.environ,
                                    DEBIAN_FRONTEND="noninteractive"))
        left = [f for f in ours + [CONF_D + "/mctop.conf"]
                if os.path.exists(f)]
        tap.ok(p.returncode == 0 and not left,
               "apt-get purge collectd-mctop leaves no file of ours",
               "left: %s\n%s" % (left, p.stdout[-1000:] + p.stderr))
    finally:
        if os.path.exists(test_conf):
            os.unlink(test_conf)
        if added_policy and os.path.exists(POLICY):
            os.unlink(POLICY)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    out = tempfile.mkdtemp(prefix="mctop-debs-")
    try:
        deb, _ = build(tap, out)
        if deb:
            contents(tap, deb)
            run(tap, deb)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
