#!/usr/bin/env python3
"""collectd's write_graphite into a real carbon-cache, read back from the
whisper files (whisper-fetch) and through graphite-web's render API.

memcached 1.6.18 with probes, collectd loading mctop.so and write_graphite
(StoreRates false: counters as they are), carbon-cache keeping one point
per second.  A known workload (tests/lib/hotkeys.py) runs; the test checks
that every field of every key's whisper file holds exactly its count, that
each key is ONE Graphite path node (a '.' or a space in a key adds no level)
and that keys differing only by '.' versus '_' keep separate series, and
that the README's "top 10 keys by get rate" render target ranks the keys in
their get-count order.
"""
import os
import sys

import hotkeys
import mctest
import receivers
from hotkeys import HOT, Expect, key_name

INSTANCE = "cache1"
HOST = mctest.Collectd.HOST
# The README's render target (section "Where the metrics land").
TOP10 = ('highestAverage(exclude(perSecond(keepLastValue('
         '%s.mctop-*.mctop_key-*.gets)), "~other"), 10)' % HOST)
# What write_graphite writes as '_' in each part of a path: '.' and its
# GRAPHITE_FORBIDDEN set (src/utils/format_graphite/format_graphite.c; ','
# joined it in some version).  Of these, mctop's names can hold ':' and the
# others but never '.' or a space; the workload's keys exercise ':'.
GRAPHITE_ESCAPED = ' \t"\\:!,/()\n\r.'


# The README's advice for Graphite: percent-encode what write_graphite would
# rewrite to '_' besides '.' and spaces (collectd.conf quoting: \" and \\).
KEY_ESCAPE = ':!,()"\\'
CONF = hotkeys.CONF.replace(
    "TopKeys 50", 'TopKeys 50\n    KeyEscape ":!,()\\"\\\\"')


def node(key):
    """The path node of key's mctop_key series: mctop's name for it (the
    oracle, with KeyEscape), as write_graphite escapes it."""
    name = key_name(key, KEY_ESCAPE.encode())
    return "mctop_key-" + "".join("_" if c in GRAPHITE_ESCAPED else c
                                  for c in name)


def path(key, field):
    return "%s.mctop-%s.%s.%s" % (HOST, INSTANCE, node(key), field)


def key_values(carbon, key):
    got = {}
    for field in hotkeys.CHECKED:
        v = carbon.last_value(path(key, field))
        got[field] = None if v is None else int(v)
    return got


def key_nodes(carbon):
    """{node: [metric paths]} under host.mctop-cache1 that are mctop_key."""
    found = {}
    prefix = "%s.mctop-%s." % (HOST, INSTANCE)
    for m in carbon.metrics():
        if m.startswith(prefix + "mctop_key-"):
            found.setdefault(m[len(prefix):].split(".")[0], []).append(m)
    return found


def check_nodes(tap, carbon):
    nodes = key_nodes(carbon)
    want = {node(k) for k in hotkeys.KEYS} | {"mctop_key-~other"}
    tap.eq(set(nodes), want, "one path node per key, and ~other")
    deep = [m for ms in nodes.values() for m in ms if m.count(".") != 3]
    tap.ok(not deep and all(len(ms) == len(hotkeys.FIELDS)
                            for ms in nodes.values()),
           "every key series is host.plugin.node.field: a '.' or a space "
           "in a key adds no level", deep[:5])
    dotted, under = node(b"page.home"), node(b"page_home")
    tap.ok(dotted != under and dotted in nodes and under in nodes,
           "page.home (%s) and page_home (%s) do not collide"
           % (dotted, under))
    # write_graphite turns ':' into '_'; KeyEscape writes it %3A first, so
    # user:42 and user_42 keep their own Graphite series.
    tap.ok(node(HOT) != node(b"user_42") and node(HOT) in nodes,
           "with KeyEscape, user:42 (%s) and user_42 (%s) do not collide"
           % (node(HOT), node(b"user_42")))


def check_render(tap, web, gets):
    result = web.render(TOP10)
    ranked = [s["target"] for s in result]
    want = [path(k, "gets") for k in hotkeys.BY_GETS]
    short = [r.split(".")[2] for r in ranked]
    tap.ok([r.split(".")[2] for r in want] == short[:len(want)],
           "README render target %s ranks the keys by their get counts, "
           "%s first" % (TOP10, node(HOT)),
           "got %s\nwant %s" % (short, [w.split(".")[2] for w in want]))
    # perSecond over the whole load: the points add up to the gets since
    # the baseline (gets 0), exactly (keepLastValue bridges seconds
    # without a point).
    hot = [s for s in result if s["target"].split(".")[2] == node(HOT)]
    total = sum(v for v, _ in hot[0]["datapoints"] if v) if hot else None
    tap.eq(total, gets, "the hot key's perSecond points add up to its gets")


def run(tap):
    binary = mctest.memcached_binary("1.6.18")
    exp = Expect("1.6.18")
    with receivers.Carbon() as carbon, \
            mctest.Memcached(binary) as mcd:
        plugins, conf = receivers.write_graphite_conf(carbon.line_port)
        with mctest.Collectd(os.environ["MCTOP_PLUGIN"],
                             CONF.format(pid=mcd.pid),
                             extra_plugins=("logfile", *plugins),
                             extra_conf=conf) as cd:
            ready = cd.wait_log(r'instance "%s": tracing' % INSTANCE, 20)
            tap.ok(ready, "mctop attached to memcached", cd.log()[-3000:])
            hotkeys.warm(mcd, exp)
            seen = mctest.wait_until(
                lambda: all(carbon.last_value(path(k, "calls"))
                            for k in hotkeys.KEYS), 30)
            tap.ok(seen, "every key's series reached carbon before the load",
                   "%s\n%s" % (carbon.metrics()[-30:], carbon.output()[-2000:]))
            hotkeys.load(mcd, exp)
            want = {k: hotkeys.expected(exp, k) for k in hotkeys.KEYS}
            arrived = mctest.wait_until(
                lambda: all(key_values(carbon, k) == want[k] for k in want),
                30)
            tap.ok(arrived, "the final counts reached the whisper files")
            for key in hotkeys.KEYS:
                tap.eq(key_values(carbon, key), want[key],
                       "key %r as %s: every field exact in whisper"
                       % (key, path(key, "*")))
            check_nodes(tap, carbon)
            tap.ok(cd.running() and carbon.running(),
                   "collectd and carbon-cache kept running")
        with receivers.GraphiteWeb(carbon) as web:
            check_render(tap, web, want[HOT]["gets"])


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    run(tap)
    sys.exit(tap.done())


if __name__ == "__main__":
    main()
