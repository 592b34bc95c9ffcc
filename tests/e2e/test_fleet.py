#!/usr/bin/env python3
"""A fleet on loopback: an edge collectd on the memcached host running mctop
and the network plugin, a central collectd receiving and writing csv.

The central collectd has no mctop.so: only collectd.conf.d/mctop.types.db in
its TypesDB.  A known workload (tests/lib/hotkeys.py) runs on the edge; every
field of every key, and the instance totals, must arrive at the central
writer intact, under the edge's host name.  A second central collectd
without mctop.types.db shows why it is needed: it drops mctop_key values and
says so in its log.
"""
import os
import sys

import hotkeys
import mctest
import receivers
from expect import COMMANDS
from hotkeys import Expect, key_name

INSTANCE = "cache1"
EDGE = "edge-1"


def key_row(central, key):
    row = mctest.latest(central.csv_dir, EDGE, "mctop-" + INSTANCE,
                        "mctop_key", key_name(key))
    return {f: int(row[f]) for f in hotkeys.CHECKED} if row else None


def totals(central):
    got = {}
    for cmd in COMMANDS:
        row = mctest.latest(central.csv_dir, EDGE, "mctop-" + INSTANCE,
                            "memcached_command", cmd)
        got[cmd] = int(row["value"]) if row else 0
    return got


def run(tap):
    binary = mctest.memcached_binary("1.6.18")
    exp = Expect("1.6.18")
    port, bare_port = mctest.free_port(), mctest.free_port()
    c_plugins, c_conf = receivers.network_server_conf(port)
    b_plugins, b_conf = receivers.network_server_conf(bare_port)
    # The edge sends to both centrals (two Server lines in one block).
    e_plugins, e_conf = receivers.network_client_conf(port)
    e_conf = e_conf.replace("</Plugin>", '  Server "127.0.0.1" "%d"\n'
                            '</Plugin>' % bare_port)
    with mctest.Collectd(None, None, hostname="central",
                         extra_plugins=("csv", "logfile", *c_plugins),
                         types_db_extra=(receivers.MCTOP_TYPES_DB,),
                         extra_conf=c_conf) as central, \
            mctest.Collectd(None, None, hostname="bare-central",
                            extra_plugins=("csv", "logfile", *b_plugins),
                            extra_conf=b_conf) as bare, \
            mctest.Memcached(binary) as mcd, \
            mctest.Collectd(os.environ["MCTOP_PLUGIN"],
                            hotkeys.CONF.format(pid=mcd.pid),
                            hostname=EDGE,
                            extra_plugins=("logfile", "csv", *e_plugins),
                            extra_conf=e_conf) as edge:
        plugindir = os.listdir(os.path.join(central.tmp, "plugindir"))
        tap.ok("mctop.so" not in plugindir, "the central collectd has no "
               "mctop.so (plugins: %s)" % sorted(plugindir))
        ready = edge.wait_log(r'instance "%s": tracing' % INSTANCE, 20)
        tap.ok(ready, "mctop attached to memcached on the edge",
               edge.log()[-3000:])
        hotkeys.warm(mcd, exp)
        hotkeys.load(mcd, exp, pause=0.5)
        want = {k: hotkeys.expected(exp, k) for k in hotkeys.KEYS}
        arrived = mctest.wait_until(
            lambda: all(key_row(central, k) == want[k] for k in want) and
            totals(central) == exp.commands, 20)
        # The edge writes csv too: what mctop dispatched, to tell a value
        # mctop never sent from one lost between the daemons.
        sent = mctest.wait_until(
            lambda: all(key_row(edge, k) == want[k] for k in want), 10)
        tap.ok(sent, "the edge dispatched every key's final counts",
               {k: key_row(edge, k) for k in want})
        tap.ok(arrived, "the final counts reached the central csv writer")
        for key in hotkeys.KEYS:
            tap.eq(key_row(central, key), want[key],
                   "central: %s/mctop-%s/mctop_key-%s: every field exact"
                   % (EDGE, INSTANCE, key_name(key)))
        tap.eq(totals(central), exp.commands,
               "central: the edge's per-command totals, exact")
        dropped = bare.wait_log(r"[Dd]ataset not found: mctop_key", 10)
        tap.ok(dropped, "a central without mctop.types.db drops mctop_key "
               "values and says so: %r" % (dropped and dropped.group(0)),
               bare.log()[-2000:])
        tap.ok(edge.running() and central.running() and bare.running(),
               "all three collectd daemons kept running")


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    run(tap)
    sys.exit(tap.done())


if __name__ == "__main__":
    main()
