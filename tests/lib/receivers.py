"""Real metric receivers for the end-to-end tests, started as plain
processes on loopback with private temp dirs (Python 3 standard library,
plus python3-whisper for reading whisper files).

  Carbon        carbon-cache (graphite-carbon): line receiver, whisper files
                at 1 s resolution; whisper_fetch() reads them back
  GraphiteWeb   graphite-web's render API over a Carbon's whisper files and
                its cache (graphite-web)
  Influxd       InfluxDB 1.x with its collectd input (influxdb); query()
  Prometheus    prometheus scraping collectd's write_prometheus every
                second (prometheus); query()

and the collectd side of each: write_graphite_conf(), network_client_conf(),
network_server_conf(), write_prometheus_conf() return (plugins, conf) for
mctest.Collectd's extra_plugins and extra_conf.

Every receiver is a context manager: __enter__ starts it and waits, by
polling with a bounded timeout, until it answers; __exit__ stops it (SIGTERM,
then SIGKILL) and removes its temp dir, also when the test failed.  Nothing
here uses the system services the Debian packages install, their config
files or their ports.  MCTOP_KEEP_TMP=1 keeps the temp dirs.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import mctest

TYPES_DB = mctest.TYPES_DB
MCTOP_TYPES_DB = os.environ.get('MCTOP_TYPES_DB') or os.path.join(
    mctest.SRCDIR, 'collectd.conf.d', 'mctop.types.db')


class ReceiverError(RuntimeError):
    """A receiver did not start or did not answer."""


def http_get(url, timeout=5):
    """(status, body text) of a GET; (None, reason) if nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode('utf-8', 'replace')
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode('utf-8', 'replace')
    except (OSError, ValueError) as e:
        return None, str(e)


def _udp_bound(port):
    """True if some socket is bound to UDP 127.0.0.1:port."""
    want = '0100007F:%04X' % port
    with open('/proc/net/udp') as f:
        return any(line.split()[1] == want for line in f.readlines()[1:])


class _Daemon:
    """A receiver process with its own temp dir and output file."""

    name = 'daemon'
    start_timeout = 30

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix='mctop-%s-' % self.name)
        self.out_path = os.path.join(self.tmp, 'output.log')
        self.proc = None

    def argv(self):
        raise NotImplementedError

    def env(self):
        return None

    def ready(self):
        """True once the receiver answers."""
        raise NotImplementedError

    def start(self):
        with open(self.out_path, 'ab') as out:
            self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=out,
                                         env=self.env(), cwd=self.tmp)
        mctest._live.add(self)
        deadline = time.monotonic() + self.start_timeout
        while not self.ready():
            if self.proc.poll() is not None:
                raise ReceiverError('%s exited with %s during startup:\n%s'
                                    % (self.name, self.proc.returncode,
                                       self.output()[-3000:]))
            if time.monotonic() > deadline:
                raise ReceiverError('%s did not answer within %d s:\n%s'
                                    % (self.name, self.start_timeout,
                                       self.output()[-3000:]))
            time.sleep(0.1)
        return self

    def stop(self):
        if self.proc is None:
            return None
        mctest._live.discard(self)
        return mctest._stop_process(self.proc, 10)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def output(self):
        return mctest._read_text(self.out_path)

    def cleanup(self):
        if os.environ.get('MCTOP_KEEP_TMP'):
            sys.stderr.write('%s temp dir kept: %s\n' % (self.name, self.tmp))
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        self.cleanup()


# -- Graphite: carbon-cache and whisper ----------------------------------------
CARBON_CONF = '''[cache]
STORAGE_DIR = {tmp}/storage/
LOCAL_DATA_DIR = {tmp}/storage/whisper/
WHITELISTS_DIR = {tmp}/storage/lists/
CONF_DIR = {tmp}/
LOG_DIR = {tmp}/log/
PID_DIR = {tmp}/
ENABLE_LOGROTATION = False
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = 100000
# The test creates every series at once: no creation throttle.
MAX_CREATES_PER_MINUTE = 100000
MIN_TIMESTAMP_RESOLUTION = 1
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = {line_port}
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = {pickle_port}
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = {query_port}
USE_FLOW_CONTROL = True
WHISPER_AUTOFLUSH = True
WHISPER_FALLOCATE_CREATE = False
CACHE_WRITE_STRATEGY = sorted
# carbon's own metrics would only add files to the storage dir.
CARBON_METRIC_INTERVAL = 0
'''
# One point per second for an hour: collectd's 1 s values, each kept.
STORAGE_SCHEMAS = '''[everything]
pattern = .*
retentions = 1s:1h
'''


class Carbon(_Daemon):
    """carbon-cache on 127.0.0.1:line_port, whisper files in tmp."""

    name = 'carbon'

    def __init__(self):
        super().__init__()
        self.line_port = mctest.free_port()
        self.pickle_port = mctest.free_port()
        self.query_port = mctest.free_port()
        self.whisper_dir = os.path.join(self.tmp, 'storage', 'whisper')
        for d in ('storage/whisper', 'storage/lists', 'log'):
            os.makedirs(os.path.join(self.tmp, d))
        self.conf_path = os.path.join(self.tmp, 'carbon.conf')
        with open(self.conf_path, 'w') as f:
            f.write(CARBON_CONF.format(tmp=self.tmp, line_port=self.line_port,
                                       pickle_port=self.pickle_port,
                                       query_port=self.query_port))
        with open(os.path.join(self.tmp, 'storage-schemas.conf'), 'w') as f:
            f.write(STORAGE_SCHEMAS)

    def argv(self):
        # --nodaemon keeps it our child; "start" is twistd's verb.
        return ['carbon-cache', '--nodaemon', '--config=' + self.conf_path,
                '--pidfile=' + os.path.join(self.tmp, 'carbon.pid'),
                '--logdir=' + os.path.join(self.tmp, 'log'), 'start']

    def ready(self):
        return (mctest._listens(self.proc.pid, self.line_port) and
                mctest._listens(self.proc.pid, self.query_port))

    def output(self):
        logs = [super().output()]
        for name in ('console.log', 'listener.log', 'creates.log'):
            logs.append(mctest._read_text(
                os.path.join(self.tmp, 'log', 'carbon-cache-a', name)))
        return '\n'.join(logs)

    def metrics(self):
        """Every metric name that has a whisper file."""
        found = []
        for root, _, files in os.walk(self.whisper_dir):
            rel = os.path.relpath(root, self.whisper_dir)
            for f in files:
                if f.endswith('.wsp'):
                    parts = [] if rel == '.' else rel.split(os.sep)
                    found.append('.'.join(parts + [f[:-4]]))
        return sorted(found)

    def whisper_path(self, metric):
        return os.path.join(self.whisper_dir,
                            *metric.split('.')) + '.wsp'

    def whisper_fetch(self, metric, seconds=3600):
        """[(timestamp, value)] of the non-empty points of metric's whisper
        file over the last `seconds`, read with whisper-fetch."""
        path = self.whisper_path(metric)
        if not os.path.exists(path):
            return []
        out = subprocess.run(['whisper-fetch', '--from=%d' % (time.time() -
                                                              seconds), path],
                             capture_output=True, text=True)
        points = []
        for line in out.stdout.splitlines():
            ts, value = line.split()
            if value != 'None':
                points.append((int(ts), float(value)))
        return points

    def last_value(self, metric):
        points = self.whisper_fetch(metric)
        return points[-1][1] if points else None


GRAPHITE_SETTINGS = '''SECRET_KEY = "mctop-test-only"
STORAGE_DIR = "{tmp}/storage/"
WHISPER_DIR = "{whisper}/"
LOG_DIR = "{tmp}/log/"
INDEX_FILE = "{tmp}/storage/index"
CARBONLINK_HOSTS = ["127.0.0.1:{query_port}"]
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3",
                          "NAME": "{tmp}/storage/graphite.db"}}}}
TAGDB = ""
USE_WORKER_POOL = False
DEFAULT_CACHE_DURATION = 0
FIND_CACHE_DURATION = 0
'''


class GraphiteWeb(_Daemon):
    """graphite-web's Django app (render API) on 127.0.0.1:port, reading a
    Carbon's whisper files and, through carbonlink, its cache."""

    name = 'graphite-web'
    start_timeout = 60

    def __init__(self, carbon):
        super().__init__()
        self.port = mctest.free_port()
        for d in ('storage', 'log'):
            os.makedirs(os.path.join(self.tmp, d))
        with open(os.path.join(self.tmp, 'mctop_graphite_settings.py'),
                  'w') as f:
            f.write(GRAPHITE_SETTINGS.format(tmp=self.tmp,
                                             whisper=carbon.whisper_dir,
                                             query_port=carbon.query_port))

    def env(self):
        env = dict(os.environ)
        env['PYTHONPATH'] = self.tmp
        env['GRAPHITE_SETTINGS_MODULE'] = 'mctop_graphite_settings'
        env['DJANGO_SETTINGS_MODULE'] = 'graphite.settings'
        return env

    def argv(self):
        return ['graphite-manage', 'runserver', '--noreload',
                '127.0.0.1:%d' % self.port]

    def start(self):
        # The render API needs no tables, but Django checks the database.
        subprocess.run(['graphite-manage', 'migrate', '--run-syncdb',
                        '-v', '0'], env=self.env(), cwd=self.tmp,
                       capture_output=True, check=True, timeout=120)
        return super().start()

    def ready(self):
        status, _ = http_get('http://127.0.0.1:%d/metrics/find?query=*'
                             % self.port, 2)
        return status == 200

    def render(self, target, since='-10min'):
        """[{'target': name, 'datapoints': [[value, ts], ...]}] for target."""
        q = urllib.parse.urlencode({'target': target, 'from': since,
                                    'format': 'json'})
        status, body = http_get('http://127.0.0.1:%d/render?%s'
                                % (self.port, q), 20)
        if status != 200:
            raise ReceiverError('graphite render %r: %s %s'
                                % (target, status, body[-2000:]))
        return json.loads(body)


def write_graphite_conf(port, prefix='', store_rates=False):
    """collectd's write_graphite sending to carbon's line receiver.

    StoreRates false sends DERIVE counters as they are, so the whisper
    values are exact counts; rates are Graphite's job (perSecond())."""
    return ('write_graphite',), '''
<Plugin write_graphite>
  <Node "carbon">
    Host "127.0.0.1"
    Port "{port}"
    Protocol "tcp"
    Prefix "{prefix}"
    StoreRates {rates}
    SeparateInstances false
    AlwaysAppendDS false
    LogSendErrors true
  </Node>
</Plugin>
'''.format(port=port, prefix=prefix,
           rates='true' if store_rates else 'false')


# -- InfluxDB 1.x and its collectd input ----------------------------------------
INFLUXD_CONF = '''reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{tmp}/meta"

[data]
  dir = "{tmp}/data"
  wal-dir = "{tmp}/wal"
  query-log-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:{http_port}"
  log-enabled = false

[monitor]
  store-enabled = false

[continuous_queries]
  enabled = false

[[collectd]]
  enabled = true
  bind-address = "127.0.0.1:{collectd_port}"
  database = "{database}"
  # A directory: every file in it is loaded (collectd's types.db and
  # mctop.types.db, copied there).
  typesdb = "{tmp}/typesdb"
  # Write what arrived every second, not after the default 10 s.
  batch-size = 100
  batch-pending = 10
  batch-timeout = "1s"
'''


class Influxd(_Daemon):
    """influxd with HTTP on 127.0.0.1:http_port and the collectd input on
    UDP 127.0.0.1:collectd_port writing to database `database`."""

    name = 'influxd'
    database = 'collectd'

    def __init__(self):
        super().__init__()
        self.http_port = mctest.free_port()
        self.rpc_port = mctest.free_port()
        self.collectd_port = mctest.free_port()
        typesdb = os.path.join(self.tmp, 'typesdb')
        os.makedirs(typesdb)
        shutil.copy(TYPES_DB, os.path.join(typesdb, 'types.db'))
        shutil.copy(MCTOP_TYPES_DB, os.path.join(typesdb, 'mctop.types.db'))
        self.conf_path = os.path.join(self.tmp, 'influxdb.conf')
        with open(self.conf_path, 'w') as f:
            f.write(INFLUXD_CONF.format(tmp=self.tmp, rpc_port=self.rpc_port,
                                        http_port=self.http_port,
                                        collectd_port=self.collectd_port,
                                        database=self.database))

    def argv(self):
        return ['influxd', 'run', '-config', self.conf_path]

    def ready(self):
        status, _ = http_get('http://127.0.0.1:%d/ping' % self.http_port, 2)
        return status == 204 and _udp_bound(self.collectd_port)

    def query(self, q):
        """The 'series' list of the first result of InfluxQL q, [] if none."""
        url = 'http://127.0.0.1:%d/query?%s' % (
            self.http_port, urllib.parse.urlencode({'db': self.database,
                                                    'q': q, 'epoch': 's'}))
        status, body = http_get(url, 20)
        if status != 200:
            raise ReceiverError('influx query %r: %s %s' % (q, status, body))
        result = json.loads(body)['results'][0]
        if 'error' in result:
            raise ReceiverError('influx query %r: %s' % (q, result['error']))
        return result.get('series', [])


def network_client_conf(port, host='127.0.0.1'):
    """collectd's network plugin sending to host:port (UDP)."""
    return ('network',), '''
<Plugin network>
  Server "{host}" "{port}"
</Plugin>
'''.format(host=host, port=port)


def network_server_conf(port):
    """collectd's network plugin listening on UDP 127.0.0.1:port."""
    return ('network',), '''
<Plugin network>
  Listen "127.0.0.1" "{port}"
</Plugin>
'''.format(port=port)


# -- Prometheus -----------------------------------------------------------------
PROMETHEUS_YML = '''global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: collectd
    static_configs:
      - targets: ["127.0.0.1:{target_port}"]
'''


class Prometheus(_Daemon):
    """prometheus on 127.0.0.1:port scraping 127.0.0.1:target_port."""

    name = 'prometheus'

    def __init__(self, target_port):
        super().__init__()
        self.port = mctest.free_port()
        self.target_port = target_port
        self.conf_path = os.path.join(self.tmp, 'prometheus.yml')
        with open(self.conf_path, 'w') as f:
            f.write(PROMETHEUS_YML.format(target_port=target_port))

    def argv(self):
        return ['prometheus', '--config.file=' + self.conf_path,
                '--storage.tsdb.path=' + os.path.join(self.tmp, 'data'),
                '--web.listen-address=127.0.0.1:%d' % self.port,
                '--log.level=warn']

    def ready(self):
        status, _ = http_get('http://127.0.0.1:%d/-/ready' % self.port, 2)
        return status == 200

    def query(self, promql):
        """The result list of an instant PromQL query."""
        url = 'http://127.0.0.1:%d/api/v1/query?%s' % (
            self.port, urllib.parse.urlencode({'query': promql}))
        status, body = http_get(url, 20)
        if status != 200:
            raise ReceiverError('promql %r: %s %s' % (promql, status, body))
        return json.loads(body)['data']['result']

    def query_range(self, promql, start, end, step):
        """The result list of a range query."""
        url = 'http://127.0.0.1:%d/api/v1/query_range?%s' % (
            self.port, urllib.parse.urlencode({'query': promql,
                                               'start': start, 'end': end,
                                               'step': step}))
        status, body = http_get(url, 30)
        if status != 200:
            raise ReceiverError('promql %r: %s %s' % (promql, status, body))
        return json.loads(body)['data']['result']

    def target_up(self):
        """True once the last scrape of collectd succeeded."""
        return any(r['value'][1] == '1' for r in self.query('up'))


def write_prometheus_conf(port):
    """collectd's write_prometheus serving /metrics on 127.0.0.1:port."""
    return ('write_prometheus',), '''
<Plugin write_prometheus>
  Host "127.0.0.1"
  Port "{port}"
</Plugin>
'''.format(port=port)

