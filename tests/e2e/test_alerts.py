#!/usr/bin/env python3
"""End to end: the shipped Prometheus rules in a real Prometheus.

memcached 1.6.18 with probes, collectd loading mctop.so and write_prometheus,
a real prometheus scraping it every second with
contrib/prometheus/mctop-rules.yml loaded, its time windows scaled from
minutes to seconds (rate windows [2m] -> [6s], for: 5m -> for: 5s: the
shipped file would need ten minutes per phase).  Every metric name and type label the rules
read must be in the real scrape.  Under a uniform load (20 keys read in
turn) no hot-key alert may be pending or firing; under a skewed one (one
key takes 80 % of the gets) MemcachedHotKey must fire for that key, and for
no other.
"""
import json
import os
import re
import sys
import threading
import time

import mcproto
import mctest
import receivers

RULES = os.path.join(mctest.SRCDIR, "contrib", "prometheus",
                     "mctop-rules.yml")
CONF = """
  <Instance "cache1">
    PID {pid}
    TopKeys 30
  </Instance>
"""
HOT = "cart:flash-sale"


def scaled_rules(path, out):
    """The rules with every duration in minutes read as seconds (range
    windows three times that: a rate needs a few 1 s scrapes)."""
    with open(path) as f:
        text = f.read()
    text = re.sub(r"\[(\d+)m\]", lambda m: "[%ds]" % (3 * int(m.group(1))),
                  text)
    text = re.sub(r"for: (\d+)m", r"for: \1s", text)
    with open(out, "w") as f:
        f.write(text)
    return text


def names_in_rules(text):
    """(metric name, type label or None) pairs the rules read."""
    pairs = set()
    code = "\n".join(line.split("#")[0] for line in text.splitlines())
    for m in re.finditer(r"(collectd_mctop_\w+)(\{[^}]*\})?", code):
        t = re.search(r'type="([^"~]+)"', m.group(2) or "")
        pairs.add((m.group(1), t.group(1) if t else None))
    return pairs


def alerts(prom, name):
    """{type label: state} of alert `name` now."""
    status, body = receivers.http_get(
        "http://127.0.0.1:%d/api/v1/alerts" % prom.port, 10)
    found = {}
    for a in json.loads(body)["data"]["alerts"] if status == 200 else []:
        if a["labels"].get("alertname") == name:
            found[a["labels"].get("type")] = a["state"]
    return found


def load(port, keys, stop):
    mc = mcproto.MemcacheClient("127.0.0.1", port)
    for k in set(keys):
        mc.set(k.encode(), b"v" * 10)
    while not stop.is_set():
        for k in keys:
            mc.get(k.encode())
        time.sleep(0.002)


def phase(mcd, keys, seconds, probe):
    """Runs a load of `keys` read in turn; calls probe() every 0.5 s and
    returns its results."""
    stop = threading.Event()
    t = threading.Thread(target=load, args=(mcd.port, keys, stop),
                         daemon=True)
    t.start()
    seen = []
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            r = probe()
            seen.append(r)
            if r is True:
                break
            time.sleep(0.5)
    finally:
        stop.set()
        t.join(5)
    return seen


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    binary = mctest.memcached_binary("1.6.18")
    wp_port = mctest.free_port()
    plugins, conf = receivers.write_prometheus_conf(wp_port)
    with mctest.Memcached(binary, threads=2) as mcd, \
            mctest.Collectd(os.environ["MCTOP_PLUGIN"],
                            CONF.format(pid=mcd.pid),
                            extra_plugins=("logfile", *plugins),
                            extra_conf=conf) as cd:
        prom = receivers.Prometheus(wp_port)
        rules = os.path.join(prom.tmp, "mctop-rules.yml")
        text = scaled_rules(RULES, rules)
        with open(prom.conf_path, "a") as f:
            f.write("rule_files:\n  - %s\n" % rules)
        with prom:
            ready = cd.wait_log(r'instance "cache1": tracing', 20)
            up = mctest.wait_until(prom.target_up, 20)
            tap.ok(ready and up, "mctop traces memcached; prometheus, with "
                   "the rules loaded, scrapes collectd",
                   cd.log()[-2000:] + prom.output()[-2000:])
            # Warm up: every series the rules read exists once load runs.
            phase(mcd, ["warm:%d" % i for i in range(5)], 4, lambda: None)
            missing = []
            for name, typ in sorted(names_in_rules(text),
                                    key=lambda p: (p[0], p[1] or "")):
                sel = name + ('{type="%s"}' % typ if typ else "")
                if not prom.query(sel):
                    missing.append(sel)
            tap.ok(not missing, "every metric and type the rules read is in "
                   "the real scrape (%d)" % len(names_in_rules(text)),
                   "missing: %s" % missing)
            uniform = ["key:%02d" % i for i in range(20)]
            seen = phase(mcd, uniform, 14,
                         lambda: alerts(prom, "MemcachedHotKey"))
            tap.ok(len(seen) > 10 and not any(seen),
                   "uniform load (20 keys, 5 %% each): no hot-key alert "
                   "pending or firing in %d looks" % len(seen),
                   str([s for s in seen if s][:3]))
            skewed = [HOT] * 16 + ["key:%02d" % i for i in range(4)]

            def fired():
                a = alerts(prom, "MemcachedHotKey")
                return True if a == {HOT: "firing"} else a
            seen = phase(mcd, skewed, 30, fired)
            tap.ok(seen and seen[-1] is True, "skewed load (one key, 80 % of "
                   "the gets): MemcachedHotKey fires for that key alone",
                   str(seen[-3:]))
            tap.ok(cd.running() and prom.running(),
                   "collectd and prometheus kept running")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
