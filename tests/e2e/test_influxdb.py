#!/usr/bin/env python3
"""collectd's network plugin into a real InfluxDB 1.x collectd input,
queried over InfluxDB's HTTP API.

memcached 1.6.18 with probes, collectd loading mctop.so and the network
plugin sending to influxd's collectd listener, which knows mctop_key from
collectd.conf.d/mctop.types.db.  A known workload (tests/lib/hotkeys.py)
runs; the test checks that every field of every key arrives exactly (one
measurement per data source, the key as the type_instance tag), and that the
README's "top 10 keys by get rate" InfluxQL ranks the keys in their
get-count order.
"""
import sys
import os

import hotkeys
import mctest
import receivers
from hotkeys import HOT, Expect, key_name

INSTANCE = "cache1"
# The README's query (section "Where the metrics land"): each key's gets in
# the last 5 minutes (the spread of its counter) per second, top 10.
TOP10 = ('SELECT top("rate", "type_instance", 10) FROM (SELECT '
         'spread("value") / 300 AS "rate" FROM "mctop_gets" WHERE '
         '"type" = \'mctop_key\' AND "type_instance" != \'~other\' AND '
         'time > now() - 5m GROUP BY "type_instance")')


def key_values(influx):
    """{type_instance: {field: int}}: the last value of every mctop_key
    field, one query for all."""
    series = influx.query(
        'SELECT last("value") FROM /^mctop_(%s)$/ WHERE "type" = '
        '\'mctop_key\' AND "instance" = \'%s\' GROUP BY "type_instance"'
        % ("|".join(hotkeys.CHECKED), INSTANCE))
    got = {}
    for s in series:
        field = s["name"][len("mctop_"):]
        got.setdefault(s["tags"]["type_instance"], {})[field] = \
            int(s["values"][-1][1])
    return got


def check_series(tap, influx):
    series = influx.query('SELECT last("value") FROM "mctop_gets" WHERE '
                          '"type_instance" = \'%s\' GROUP BY *'
                          % key_name(HOT))
    tags = series[0]["tags"] if series else {}
    want = {"host": mctest.Collectd.HOST, "instance": INSTANCE,
            "type": "mctop_key", "type_instance": key_name(HOT)}
    tap.eq(tags, want, "the key is one tag value: measurement mctop_gets, "
           "tags %s" % want)


def check_top10(tap, influx, gets):
    series = influx.query(TOP10)
    rows = series[0]["values"] if series else []
    cols = series[0]["columns"] if series else []
    ranked = [dict(zip(cols, r)) for r in rows]
    ranked.sort(key=lambda r: -r["top"])
    names = [r["type_instance"] for r in ranked]
    want = [key_name(k) for k in hotkeys.BY_GETS]
    tap.eq(names[:len(want)], want, "README query %s ranks the keys by "
           "their get counts, %s first" % (TOP10, key_name(HOT)))
    # The counter's spread over the window is exactly the gets since the
    # baseline value (gets 0) was written.
    hot = [r["top"] for r in ranked if r["type_instance"] == key_name(HOT)]
    tap.eq(hot and round(hot[0] * 300), gets,
           "the hot key's rate x 300 s is its gets")


def run(tap):
    binary = mctest.memcached_binary("1.6.18")
    exp = Expect("1.6.18")
    with receivers.Influxd() as influx, mctest.Memcached(binary) as mcd:
        plugins, conf = receivers.network_client_conf(influx.collectd_port)
        with mctest.Collectd(os.environ["MCTOP_PLUGIN"],
                             hotkeys.CONF.format(pid=mcd.pid),
                             extra_plugins=("logfile", *plugins),
                             extra_conf=conf) as cd:
            ready = cd.wait_log(r'instance "%s": tracing' % INSTANCE, 20)
            tap.ok(ready, "mctop attached to memcached", cd.log()[-3000:])
            hotkeys.warm(mcd, exp)
            names = {key_name(k) for k in hotkeys.KEYS}

            def arrived_names():
                try:
                    return names <= set(key_values(influx))
                except receivers.ReceiverError:  # no database yet
                    return False
            tap.ok(mctest.wait_until(arrived_names, 30),
                   "every key's series reached InfluxDB before the load",
                   influx.output()[-2000:])
            hotkeys.load(mcd, exp)
            want = {key_name(k): hotkeys.expected(exp, k)
                    for k in hotkeys.KEYS}
            arrived = mctest.wait_until(
                lambda: all(key_values(influx).get(n) == want[n]
                            for n in want), 30)
            tap.ok(arrived, "the final counts reached InfluxDB")
            got = key_values(influx)
            for key in hotkeys.KEYS:
                tap.eq(got.get(key_name(key)), want[key_name(key)],
                       "key %r as type_instance=%r: every field exact"
                       % (key, key_name(key)))
            check_series(tap, influx)
            check_top10(tap, influx, want[key_name(HOT)]["gets"])
            tap.ok(cd.running() and influx.running(),
                   "collectd and influxd kept running")


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    run(tap)
    sys.exit(tap.done())


if __name__ == "__main__":
    main()
