#!/usr/bin/env python3
"""collectd's write_prometheus, scraped by a real prometheus every second.

memcached 1.6.18 with probes, collectd loading mctop.so and write_prometheus
on loopback, prometheus scraping it.  A known workload (tests/lib/hotkeys.py)
runs; the test then queries prometheus's HTTP API: every field of every key's
series holds exactly its count, each key is one label value named by the
oracle (keyname.key_name), the README's "top 10 keys by get rate" query puts
the keys in their get-count order, and every query of the Grafana dashboard
(contrib/grafana/mctop-prometheus.json) runs and answers with the expected
keys.
"""
import json
import os
import re
import sys

import hotkeys
import mctest
import receivers
from hotkeys import HOT, Expect, key_name

INSTANCE = "cache1"
PREFIX = "collectd_mctop_mctop_key_"
DASHBOARD = os.path.join(mctest.SRCDIR, "contrib", "grafana",
                         "mctop-prometheus.json")
# The README's query (section "Where the metrics land").
TOP10 = ('topk(10, rate(collectd_mctop_mctop_key_gets_total'
         '{type!="~other"}[1m]))')


def metric(field):
    """write_prometheus's name: collectd_<plugin>_<type>_<ds>, _total for
    counters (DERIVE), none for gauges."""
    return PREFIX + field + ("" if field == "objsize" else "_total")


def key_series(prom, field):
    """{type label: float} of one field's series from our collectd."""
    found = {}
    for r in prom.query('%s{mctop="%s"}' % (metric(field), INSTANCE)):
        found[r["metric"]["type"]] = float(r["value"][1])
    return found


def key_values(prom, key):
    """{field: int} of key's series as prometheus holds them now."""
    name = key_name(key)
    got = {}
    for field in hotkeys.CHECKED:
        got[field] = key_series(prom, field).get(name)
        got[field] = None if got[field] is None else int(got[field])
    return got


def check_labels(tap, prom):
    r = prom.query('%s{type="%s"}' % (metric("gets"), key_name(HOT)))
    labels = r[0]["metric"] if r else {}
    want = {"__name__": metric("gets"), "mctop": INSTANCE,
            "type": key_name(HOT), "exported_instance": mctest.Collectd.HOST,
            "job": "collectd"}
    tap.ok(r and all(labels.get(k) == v for k, v in want.items()),
           "the key is one label value: %s{mctop=%r, type=%r, "
           "exported_instance=%r}" % (metric("gets"), INSTANCE,
                                      key_name(HOT), mctest.Collectd.HOST),
           "got %r" % labels)


def check_top10(tap, prom):
    result = prom.query(TOP10)
    ranked = [r["metric"]["type"] for r in
              sorted(result, key=lambda r: -float(r["value"][1]))]
    want = [key_name(k) for k in hotkeys.BY_GETS]
    tap.eq(ranked[:len(want)], want, "README query %s ranks the keys by "
           "their get counts, %s first" % (TOP10, key_name(HOT)))


def check_rate(tap, prom, gets):
    """The hot key's gets in the last minute, exactly and as a rate."""
    sel = '%s{type="%s"}' % (metric("gets"), key_name(HOT))
    r = prom.query("max_over_time(%s[1m]) - min_over_time(%s[1m])"
                   % (sel, sel))
    tap.eq(r and int(float(r[0]["value"][1])), gets,
           "max - min over the last minute: the hot key's gets exactly")
    # increase() extrapolates from the first and last samples towards the
    # window's edges, by up to half the mean sample spacing at each end
    # (the load spans ~3 samples a second apart): up to ~+50 % here, never
    # less than what happened.
    r = prom.query("increase(%s[1m])" % sel)
    got = float(r[0]["value"][1]) if r else 0
    tap.ok(gets <= got <= gets * 1.5, "increase(...[1m]) of the hot key "
           "is its %d gets, within rate() extrapolation (%.1f)"
           % (gets, got))


def dashboard_queries():
    """[(panel title, expr)] of the Grafana dashboard, with its variables
    set as Grafana would for "All" hosts and instances and a 1 s scrape."""
    with open(DASHBOARD) as f:
        dash = json.load(f)
    out = []
    for panel in dash["panels"]:
        for target in panel["targets"]:
            expr = (target["expr"].replace("$__rate_interval", "1m")
                    .replace("$host", ".+").replace("$instance", ".+"))
            out.append((panel["title"], expr))
    return dash, out


def memcached_stats(mcd):
    """The figures memcached itself counts, as ints."""
    s = mcd.client().stats()
    return {k: int(s[k]) for k in ("cmd_get", "cmd_set", "get_hits",
                                   "get_misses")}


def counters_of(expr):
    """A panel's expression over the counters themselves instead of their
    rate(): rate() extrapolates, the counters must be exact."""
    return re.sub(r"rate\(([^\[]*)\[1m\]\)", r"\1", expr)


def exact_counts(expr, st):
    """{legend type: count} the counters under a totals panel's query must
    hold after the workload, from memcached's own stats; None if the query
    is not one of them.  Every key of the workload fits TopKeys, so no
    call lands in "~other"."""
    if "memcached_command_total" in expr:
        return {"get": st["cmd_get"], "set": st["cmd_set"]}
    if "memcached_ops_total" in expr:
        return {"hits": st["get_hits"], "misses": st["get_misses"]}
    if 'type="~other"' in expr:
        return {"": 0}
    if "mctop_key_calls_total" in expr:
        return {"": st["cmd_get"] + st["cmd_set"]}
    return None


def by_type(result):
    """{type label ("" if none): value} of a query's result."""
    return {r["metric"].get("type", ""): float(r["value"][1]) for r in result}


def check_counts(tap, prom, title, expr, result, st):
    """A totals panel: its counters hold memcached's own counts exactly,
    and its rates are there for the same series, above 0 where counts
    are."""
    want = exact_counts(expr, st)
    counts = {t: int(v) for t, v in by_type(prom.query(counters_of(expr)))
              .items() if want is None or v or t in want}
    rates = by_type(result)
    tap.ok(want is not None and counts == want,
           "dashboard %r: %s counts exactly what memcached's stats say"
           % (title, counters_of(expr)[:60]),
           "want %s\ngot  %s" % (want, counts))
    tap.ok(want is not None and set(want) <= set(rates) and
           all((rates[t] > 0) == (n > 0) for t, n in want.items()),
           "dashboard %r: %s answers, a rate for each series" % (
               title, expr[:60]), "got %s" % rates)


def check_dashboard(tap, prom, st):
    dash, queries = dashboard_queries()
    tap.ok(len(queries) >= 6 and dash["templating"]["list"],
           "dashboard: %d queries, variables %s" % (
               len(queries), [v["name"] for v in dash["templating"]["list"]]))
    # What each key panel must rank first, from the workload's counts.
    first = {"get rate": HOT, "misses": hotkeys.MISS_KEY,
             "bytes served": HOT, "bytes stored": hotkeys.SET_KEY}
    for title, expr in queries:
        result = prom.query(expr)
        legend = sorted(result, key=lambda r: -float(r["value"][1]))
        labels = [r["metric"].get("type", "") for r in legend]
        want = [k for t, k in first.items() if title.endswith(t)]
        if want:
            tap.ok(labels and labels[0] == key_name(want[0]),
                   "dashboard %r: %s first" % (title, key_name(want[0])),
                   "expr %s\ngot %s" % (expr, labels))
        else:
            if "Commands" in title:
                tap.ok({"get", "set"} <= set(labels),
                       "dashboard %r: per-command series" % title,
                       "expr %s\ngot %s" % (expr, labels))
            check_counts(tap, prom, title, expr, result, st)


def run(tap):
    binary = mctest.memcached_binary("1.6.18")
    exp = Expect("1.6.18")
    wp_port = mctest.free_port()
    plugins, conf = receivers.write_prometheus_conf(wp_port)
    with mctest.Memcached(binary) as mcd, \
            mctest.Collectd(os.environ["MCTOP_PLUGIN"],
                            hotkeys.CONF.format(pid=mcd.pid),
                            extra_plugins=("logfile", *plugins),
                            extra_conf=conf) as cd, \
            receivers.Prometheus(wp_port) as prom:
        ready = cd.wait_log(r'instance "%s": tracing' % INSTANCE, 20)
        tap.ok(ready, "mctop attached to memcached", cd.log()[-3000:])
        tap.ok(mctest.wait_until(prom.target_up, 20),
               "prometheus scrapes collectd's write_prometheus",
               prom.output()[-2000:])
        hotkeys.warm(mcd, exp)
        names = {key_name(k) for k in hotkeys.KEYS}
        # The key series appear within an interval or two of the commands.
        seen = mctest.wait_until(
            lambda: names <= set(key_series(prom, "gets")), 20)
        tap.ok(seen, "every key's series reached prometheus before the "
               "load (the rate baseline)", sorted(key_series(prom, "gets")))
        hotkeys.load(mcd, exp)
        want = {k: hotkeys.expected(exp, k) for k in hotkeys.KEYS}
        arrived = mctest.wait_until(
            lambda: all(key_values(prom, k) == want[k] for k in want), 20)
        tap.ok(arrived, "the final counts reached prometheus")
        for key in hotkeys.KEYS:
            tap.eq(key_values(prom, key), want[key],
                   "key %r as type=%r: every field exact" % (key,
                                                            key_name(key)))
        check_labels(tap, prom)
        check_rate(tap, prom, want[HOT]["gets"])
        check_top10(tap, prom)
        check_dashboard(tap, prom, memcached_stats(mcd))
        tap.ok(cd.running() and prom.running(), "collectd and prometheus "
               "kept running")


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    run(tap)
    sys.exit(tap.done())


if __name__ == "__main__":
    main()
