"""End-to-end test harness for mctop (Python 3 standard library only).

Pieces:
  Tap                 plan-less TAP output (ok/eq/skip/diag/bail/done);
                      a run with no test point fails
  require_root(tap)   skip (or, with CI=true, fail) when not root
  free_port()         an unused 127.0.0.1 TCP port
  memcached_binary()  path of a memcached built with USDT probes
  Memcached           a memcached process on loopback (context manager)
  Collectd            a collectd process with its own temp dir, config,
                      plugin dir, csv output and log (context manager)
  read_series / latest / list_type_instances   read the csv plugin's files
  wait_until(fn, timeout)                      poll until fn() is truthy

Environment: MCTOP_SRCDIR (repository root, default derived from this
file), MCTOP_KEEP_TMP=1 (keep Collectd temp dirs, path printed to stderr).
"""

import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref

from mcproto import BinaryClient, MemcacheClient

SRCDIR = os.environ.get('MCTOP_SRCDIR') or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTD = '/usr/sbin/collectd'
COLLECTD_PLUGINS = '/usr/lib/collectd'
TYPES_DB = '/usr/share/collectd/types.db'

_live = weakref.WeakSet()  # processes to stop if a test exits early


@atexit.register
def _stop_leftovers():
    for proc in list(_live):
        proc.stop()


# -- TAP ---------------------------------------------------------------------
class Tap:
    """Plan-less TAP producer: the plan (1..N) is printed by done()."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    @staticmethod
    def _out(line):
        sys.stdout.write(line + '\n')
        sys.stdout.flush()

    def diag(self, msg):
        """Print msg as '# ' comment lines."""
        for line in str(msg).splitlines() or ['']:
            self._out('# ' + line)

    def ok(self, cond, desc, diag=None):
        """One test point; diag is printed on failure.  Returns bool(cond)."""
        self.n += 1
        self._out('%s %d - %s' % ('ok' if cond else 'not ok', self.n, desc))
        if not cond:
            self.failed += 1
            if diag is not None:
                self.diag(diag)
        return bool(cond)

    def eq(self, got, expected, desc):
        """ok(got == expected) with a got/expected diagnostic."""
        return self.ok(got == expected, desc,
                       'got:      %r\nexpected: %r' % (got, expected))

    def todo(self, cond, desc, reason, diag=None):
        """A test point for a known, not yet fixed problem: reported (an
        expected failure while it fails; an unexpected pass once fixed, which
        the TAP driver treats as a failure so the TODO gets removed), but it
        does not fail the script."""
        self.n += 1
        self._out('%s %d - %s # TODO %s' % ('ok' if cond else 'not ok',
                                            self.n, desc, reason))
        if not cond and diag is not None:
            self.diag(diag)
        return bool(cond)

    def skip(self, desc, reason):
        """A skipped test point."""
        self.n += 1
        self._out('ok %d - %s # SKIP %s' % (self.n, desc, reason))

    def bail(self, msg):
        """Abort the whole run."""
        self._out('Bail out! %s' % msg)
        sys.exit(1)

    def done(self):
        """Print the plan; return the exit status (1 if anything failed).

        A script that reaches done() without a single test point checked
        nothing, and would pass on nothing: that is a failure of its own.
        (A script that skips on purpose, as require_root does, prints
        "1..0 # SKIP" itself and never calls done().)"""
        if self.n == 0:
            self.ok(False, '%s: no check ran' % os.path.basename(sys.argv[0]))
        self._out('1..%d' % self.n)
        return 1 if self.failed else 0


def require_root(tap):
    """Skip the whole script unless root; with CI=true, bail out instead."""
    if os.geteuid() == 0:
        return
    if os.environ.get('CI') == 'true':
        tap.bail('needs root for BPF, and CI=true: refusing to skip')
    sys.stderr.write('*** SKIPPING %s: needs root for BPF (run as root) ***\n'
                     % os.path.basename(sys.argv[0]))
    sys.stdout.write('1..0 # SKIP needs root for BPF\n')
    sys.stdout.flush()
    sys.exit(0)


# -- helpers -----------------------------------------------------------------
def free_port():
    """An unused TCP port on 127.0.0.1 (free when checked)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_until(fn, timeout, interval=0.2):
    """Poll fn() until truthy or timeout; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


PATCH_145 = os.path.join(SRCDIR, 'contrib',
                         'memcached-1.6.45-command-probes.patch')


def memcached_binary(version='1.6.18'):
    """Path of memcached VERSION with USDT probes (built if missing).

    '1.6.45+patch' is 1.6.45 with contrib/'s command-probes patch."""
    script = os.path.join(SRCDIR, 'tests', 'build-memcached')
    argv = [script, version]
    if version.endswith('+patch'):
        argv = [script, version[:-len('+patch')], '--patch', PATCH_145]
    out = subprocess.run(argv, stdout=subprocess.PIPE, check=True, text=True)
    return out.stdout.strip()


def memcached_version(path):
    """'1.6.18' from `memcached --version`."""
    out = subprocess.run([path, '--version'], stdout=subprocess.PIPE,
                         text=True, check=True).stdout
    return out.split()[-1]


def _read_text(path):
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            return f.read()
    except FileNotFoundError:
        return ''


def _stop_process(proc, grace):
    """SIGTERM, wait grace seconds, then SIGKILL; return the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def _listens(pid, port):
    """True if process pid holds a TCP socket listening on port."""
    inodes = set()
    with open('/proc/net/tcp') as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[3] == '0A' and int(fields[1].split(':')[1], 16) == port:
                inodes.add('socket:[%s]' % fields[9])
    fd_dir = '/proc/%d/fd' % pid
    try:
        return any(os.readlink(os.path.join(fd_dir, fd)) in inodes
                   for fd in os.listdir(fd_dir))
    except OSError:  # the process exited or an fd closed meanwhile
        return False


# -- memcached ----------------------------------------------------------------
class Memcached:
    """A memcached on 127.0.0.1; started by start() or `with`."""

    def __init__(self, path, port=None, threads=4, extra_args=()):
        self.path, self.threads = path, threads
        self.extra_args = list(extra_args)
        self.fixed_port = port
        self.port = port
        self.proc = None
        self._err = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def _argv(self):
        return [self.path, '-l', '127.0.0.1', '-p', str(self.port), '-U', '0',
                '-t', str(self.threads), '-u', 'root', '-m', '64',
                *self.extra_args]

    def start(self, timeout=10):
        """Start and wait until it accepts connections."""
        for _ in range(3):  # retry when a chosen free port got taken
            self.port = self.fixed_port or free_port()
            self._err = tempfile.TemporaryFile()
            self.proc = subprocess.Popen(self._argv(), stdin=subprocess.DEVNULL,
                                         stdout=self._err, stderr=self._err)
            _live.add(self)
            if self._wait_ready(timeout):
                return self
            if self.fixed_port or 'in use' not in self.stderr():
                break
        raise RuntimeError('memcached %s did not start: %s'
                           % (self._argv(), self.stderr().strip()))

    def _wait_ready(self, timeout):
        """Wait until *this* process listens on the port (another process
        already on the port would accept our connections too)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if _listens(self.proc.pid, self.port):
                socket.create_connection(('127.0.0.1', self.port), 1).close()
                return True
            time.sleep(0.05)
        self.stop()
        return False

    def stderr(self):
        """What memcached printed so far."""
        self._err.seek(0)
        return self._err.read().decode('utf-8', 'replace')

    def stop(self):
        """SIGTERM, SIGKILL after 5 s; returns the exit code."""
        if self.proc is None:
            return None
        _live.discard(self)
        return _stop_process(self.proc, 5)

    def restart(self, timeout=10, kill=False):
        """Stop (or, with kill, SIGKILL: a crash), then start again on the
        same port (new pid)."""
        if kill and self.running():
            self.proc.kill()
            self.proc.wait()
        self.stop()
        self.fixed_port = self.port
        return self.start(timeout)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def client(self):
        """A text/meta MemcacheClient connected to this memcached."""
        return MemcacheClient('127.0.0.1', self.port)

    def binary_client(self):
        """A BinaryClient connected to this memcached."""
        return BinaryClient('127.0.0.1', self.port)

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


# -- collectd -----------------------------------------------------------------
CONF_HEAD = '''Hostname "{host}"
FQDNLookup false
Interval {interval}
PluginDir "{tmp}/plugindir"
BaseDir "{tmp}"
PIDFile "{tmp}/collectd.pid"
TypesDB {types_db}
'''
CONF_LOGFILE = '''LoadPlugin logfile
<Plugin logfile>
  LogLevel "{log_level}"
  File "{tmp}/collectd.log"
  Timestamp true
</Plugin>
'''
CONF_CSV = '''LoadPlugin csv
<Plugin csv>
  DataDir "{tmp}/csv"
  StoreRates false
</Plugin>
'''


class Collectd:
    """collectd in the foreground with a private temp dir.

    plugin_so: path of mctop.so (copied as plugindir/mctop.so), or None to
    run without mctop.  plugin_conf: text placed verbatim inside
    <Plugin mctop> (None: `LoadPlugin mctop` with no block).  extra_conf:
    raw text appended at the end of collectd.conf.  Every name in
    extra_plugins is copied from /usr/lib/collectd and loaded (logfile and
    csv with the blocks above); their <Plugin> blocks go in extra_conf
    (receivers.py has them for write_graphite, network, write_prometheus).
    hostname: collectd's Hostname (default HOST).
    """

    HOST = 'mctop-test'

    def __init__(self, plugin_so, plugin_conf='', interval=1,
                 extra_plugins=('csv', 'logfile'), types_db_extra=(),
                 extra_conf='', log_level='info', wrapper=(), hostname=None):
        """wrapper: argv run before collectd (e.g. setpriv to drop root);
        the temp dir is then world-writable."""
        self.host = hostname or self.HOST
        self.wrapper = list(wrapper)
        self.plugin_so, self.plugin_conf = plugin_so, plugin_conf
        self.interval, self.extra_conf = interval, extra_conf
        self.extra_plugins = list(extra_plugins)
        self.types_db = [TYPES_DB, *types_db_extra]
        self.log_level = log_level
        self.tmp = tempfile.mkdtemp(prefix='mctop-collectd-')
        self.conf_path = os.path.join(self.tmp, 'collectd.conf')
        self.log_path = os.path.join(self.tmp, 'collectd.log')
        self.out_path = os.path.join(self.tmp, 'collectd.out')
        self.proc = None
        self._setup()

    @property
    def csv_dir(self):
        return os.path.join(self.tmp, 'csv')

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def _setup(self):
        """Create plugindir (copies, not symlinks), csv/ and the config."""
        plugindir = os.path.join(self.tmp, 'plugindir')
        os.makedirs(plugindir)
        os.makedirs(self.csv_dir)
        for name in self.extra_plugins:
            shutil.copy(os.path.join(COLLECTD_PLUGINS, name + '.so'),
                        plugindir)
        if self.plugin_so is not None:
            shutil.copy(self.plugin_so, os.path.join(plugindir, 'mctop.so'))
        with open(self.conf_path, 'w') as f:
            f.write(self.config_text())
        if self.wrapper:
            for d in (self.tmp, self.csv_dir, plugindir):
                os.chmod(d, 0o777)

    def config_text(self):
        """The collectd.conf this instance runs with."""
        v = dict(host=self.host, interval=self.interval, tmp=self.tmp,
                 log_level=self.log_level,
                 types_db=' '.join('"%s"' % p for p in self.types_db))
        parts = [CONF_HEAD.format(**v)]
        # logfile first, so that messages from loading the others land there
        for name in sorted(self.extra_plugins, key=lambda n: n != 'logfile'):
            parts.append({'logfile': CONF_LOGFILE, 'csv': CONF_CSV}.get(
                name, 'LoadPlugin %s\n' % name).format(**v))
        if self.plugin_so is not None:
            parts.append('LoadPlugin mctop\n')
            if self.plugin_conf is not None:
                parts.append('<Plugin mctop>\n%s\n</Plugin>\n'
                             % self.plugin_conf.rstrip('\n'))
        parts.append(self.extra_conf)
        return ''.join(parts)

    def start(self, timeout=10, check=True):
        """Start `collectd -f`; wait for 'Initialization complete' or exit.

        With check=True a collectd that exits during startup raises
        RuntimeError (with its log and output)."""
        env = dict(os.environ)
        if os.environ.get('MCTOP_COLLECTD_PRELOAD'):
            # A sanitizer build of mctop.so needs its runtime loaded first.
            env['LD_PRELOAD'] = os.environ['MCTOP_COLLECTD_PRELOAD']
        with open(self.out_path, 'ab') as out:
            self.proc = subprocess.Popen([*self.wrapper, COLLECTD, '-f', '-C',
                                          self.conf_path],
                                         stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=out, env=env)
        _live.add(self)
        wait_until(lambda: not self.running() or
                   'Initialization complete' in self.log(), timeout, 0.05)
        if check and not self.running():
            raise RuntimeError('collectd exited with %s during startup\n'
                               '--- log:\n%s--- output:\n%s'
                               % (self.proc.returncode, self.log(),
                                  self.output()))
        return self

    def stop(self):
        """SIGTERM, SIGKILL after 10 s; returns the exit code."""
        if self.proc is None:
            return None
        _live.discard(self)
        return _stop_process(self.proc, 10)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        """Full text of collectd.log."""
        return _read_text(self.log_path)

    def output(self):
        """collectd's own stdout/stderr (messages before logfile loads)."""
        return _read_text(self.out_path)

    def sanitizer_reports(self):
        """Lines of AddressSanitizer / UBSan reports in collectd's output."""
        return [line for line in self.output().splitlines()
                if 'Sanitizer' in line or 'runtime error:' in line]

    def wait_log(self, regex, timeout=10):
        """Wait until regex matches the log; return the match or None."""
        rx = re.compile(regex, re.M)
        return wait_until(lambda: rx.search(self.log()), timeout)

    def cleanup(self):
        """Remove the temp dir (kept, and named, if MCTOP_KEEP_TMP is set)."""
        if os.environ.get('MCTOP_KEEP_TMP'):
            sys.stderr.write('collectd temp dir kept: %s\n' % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        if self.proc is None:
            try:
                self.start()
            except BaseException:
                self.__exit__()
                raise
        return self

    def __exit__(self, *exc):
        self.stop()
        self.cleanup()


# -- csv plugin output ----------------------------------------------------------
_DATE = re.compile(r'-\d{4}-\d{2}-\d{2}$')


def _csv_files(csv_dir, host, plugin_dir):
    """{(type, type_instance): [paths sorted by date]} under plugin_dir.

    File names are <type>-<type_instance>-YYYY-MM-DD or <type>-YYYY-MM-DD
    (type names never contain '-'; the date is local time).  The csv
    plugin writes a '/' in a name as '_'."""
    top = os.path.join(csv_dir, host, plugin_dir)
    found = {}
    names = os.listdir(top) if os.path.isdir(top) else []
    for name in names:
        if _DATE.search(name):
            typ, _, ti = name[:-11].partition('-')
            found.setdefault((typ, ti), []).append(os.path.join(top, name))
    return {k: sorted(v, key=lambda p: p[-10:]) for k, v in found.items()}


def list_type_instances(csv_dir, host, plugin_dir, type):
    """Set of type_instance strings with a csv file for this type (as
    written on disk: a '/' in a type_instance appears as '_')."""
    return {ti for (t, ti) in _csv_files(csv_dir, host, plugin_dir)
            if t == type}


def read_series(csv_dir, host, plugin_dir, type, type_instance=''):
    """All rows (oldest first) as dicts of floats keyed by the header.

    type_instance may be given as dispatched ('/' is mapped to '_')."""
    paths = _csv_files(csv_dir, host, plugin_dir).get(
        (type, type_instance.replace('/', '_')), [])
    rows = []
    for path in paths:
        with open(path, encoding='utf-8', errors='replace') as f:
            lines = f.read().split('\n')[:-1]  # drop a half-written line
        if not lines:
            continue
        header = lines[0].split(',')
        for line in lines[1:]:
            rows.append(dict(zip(header, map(float, line.split(',')))))
    return rows


def latest(csv_dir, host, plugin_dir, type, type_instance=''):
    """The last row of read_series(), or None."""
    rows = read_series(csv_dir, host, plugin_dir, type, type_instance)
    return rows[-1] if rows else None


def command_totals(csv_dir, host, inst, commands):
    """{command: the latest memcached_command counter} of mctop instance
    inst (0 where none arrived)."""
    got = {}
    for cmd in commands:
        row = latest(csv_dir, host, "mctop-" + inst, "memcached_command", cmd)
        got[cmd] = int(row["value"]) if row else 0
    return got
