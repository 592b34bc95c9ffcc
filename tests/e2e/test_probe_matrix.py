#!/usr/bin/env python3
"""The probe matrix, row by row, on every memcached version: each command
runs on a key of its own, so the per-key counts mctop reports show exactly
which probe that command fired.  A memcached that changes its probes fails
here, naming the command and the version (tests/lib/probe_matrix.py holds
the table; README.md shows it).
"""
import os
import sys

import mcproto
import mctest
from expect import FIELDS, Expect
from keyname import key_name
from probe_matrix import FLAVORS

HOST = "mctop-test"
FLAVORS_UNDER_TEST = os.environ.get("MCTOP_MEMCACHED_VERSIONS",
                                    " ".join(FLAVORS)).split()
V = b"abc"


def setup(c, exp, k):
    assert c.mc.set(k, V)
    exp.op("text", "set", k, len(V))


class Clients:
    def __init__(self, port):
        self.mc = mcproto.MemcacheClient("127.0.0.1", port)
        self.bc = mcproto.BinaryClient("127.0.0.1", port)


# (protocol, command, outcome, needs the key stored first, action)
# action(clients, key) runs the command; its expected probe size follows the
# conventions of Expect.op.
ROWS = [
    ("text", "get", "hit", True, lambda c, k: c.mc.get(k) == V, 3),
    ("text", "get", "miss", False, lambda c, k: c.mc.get(k) is None, -1),
    ("text", "gets", "hit", True, lambda c, k: c.mc.gets(k)[0] == V, 3),
    ("text", "gat", "hit", True, lambda c, k: c.mc.gat(0, k) == V, 3),
    ("text", "gat", "miss", False, lambda c, k: c.mc.gat(0, k) is None, -1),
    ("text", "touch", "hit", True, lambda c, k: c.mc.touch(k, 60), 3),
    ("text", "touch", "miss", False, lambda c, k: not c.mc.touch(k, 60), -1),
    ("text", "set", "new", False, lambda c, k: c.mc.set(k, V), 3),
    ("text", "add", "hit", True, lambda c, k: not c.mc.add(k, V), -1),
    ("text", "add", "miss", False, lambda c, k: c.mc.add(k, V), 3),
    ("text", "replace", "hit", True, lambda c, k: c.mc.replace(k, b"xy"), 2),
    ("text", "replace", "miss", False, lambda c, k: not c.mc.replace(k, V),
     -1),
    ("text", "append", "hit", True, lambda c, k: c.mc.append(k, b"de"), 2),
    ("text", "prepend", "hit", True, lambda c, k: c.mc.prepend(k, b"de"), 2),
    ("text", "cas", "hit", True,
     lambda c, k: c.mc.cas(k, b"xyzw", c.mc.gets(k)[1]) == "STORED", 4),
    ("text", "incr", "hit", True, None, None),
    ("text", "incr", "miss", False, lambda c, k: c.mc.incr(k, 1) is None,
     None),
    ("text", "decr", "hit", True, None, None),
    ("text", "delete", "hit", True, lambda c, k: c.mc.delete(k), None),
    ("text", "delete", "miss", False, lambda c, k: not c.mc.delete(k), None),
    ("binary", "get", "hit", True, lambda c, k: c.bc.get(k) == V, 3),
    ("binary", "get", "miss", False, lambda c, k: c.bc.get(k) is None, -1),
    ("binary", "set", "new", False, lambda c, k: c.bc.set(k, V), 3),
    ("binary", "add", "hit", True, lambda c, k: not c.bc.add(k, V), -1),
    ("binary", "touch", "hit", True, lambda c, k: c.bc.touch(k, 60), 3),
    ("binary", "gat", "hit", True, lambda c, k: c.bc.gat(k, 60) == V, 3),
    ("binary", "incr", "hit", True, None, None),
    ("binary", "delete", "hit", True, lambda c, k: c.bc.delete(k), None),
    ("meta", "mg", "hit", True, lambda c, k: c.mc.mg(k) == V, 3),
    ("meta", "mg", "miss", False, lambda c, k: c.mc.mg(k) is None, -1),
    ("meta", "ms", "new", False, lambda c, k: c.mc.ms(k, V), 3),
    ("meta", "md", "hit", True, lambda c, k: c.mc.md(k), None),
    ("meta", "ma", "hit", True, None, None),
]


def arith(c, proto, cmd, k):
    """incr/decr/ma on a stored number."""
    if proto == "binary":
        return c.bc.incr(k, 1) == 11
    if proto == "meta":
        return c.mc.ma(k)
    return (c.mc.incr(k, 1) == 11) if cmd == "incr" else \
        (c.mc.decr(k, 1) == 9)


def run_rows(c, exp):
    keys = {}
    for proto, cmd, outcome, stored, action, size in ROWS:
        k = f"row:{proto}:{cmd}:{outcome}".encode()
        keys[(proto, cmd, outcome)] = k
        if action is None:                       # arithmetic on a number
            assert c.mc.set(k, b"10")
            exp.op("text", "set", k, 2)
            assert arith(c, proto, cmd, k), (proto, cmd)
        else:
            if stored:
                setup(c, exp, k)
            if cmd == "cas":                     # the action's gets
                exp.op("text", "gets", k, len(V))
            assert action(c, k), (proto, cmd, outcome)
        exp.op(proto, cmd, k, size, hit=stored)
    return keys


def check(tap, csv, exp, keys):
    for (proto, cmd, outcome), k in keys.items():
        row = mctest.latest(csv, HOST, "mctop-m", "mctop_key", key_name(k))
        got = {f: int(row[f]) for f in FIELDS} if row else None
        want = exp.keys[k]
        tap.ok(got == want, f"memcached {exp.flavor}: {proto} {cmd} "
               f"({outcome}) fires what the matrix says",
               f"want {want}\n got {got}")


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    for flavor in FLAVORS_UNDER_TEST:
        exp = Expect(flavor)
        binary = mctest.memcached_binary(flavor)
        conf = ('  <Instance "m">\n    PID {}\n    TopKeys 1000\n'
                '    Lookups true\n    SortBy "lookups"\n  </Instance>\n')
        with mctest.Memcached(binary, threads=2) as mcd, \
                mctest.Collectd(os.environ["MCTOP_PLUGIN"],
                                conf.format(mcd.pid)) as cd:
            if not cd.wait_log('instance "m": tracing', 20):
                tap.ok(False, f"mctop attached to {flavor}", cd.log())
                continue
            keys = run_rows(Clients(mcd.port), exp)
            want = sum(exp.commands.values())

            def arrived():
                row = mctest.latest(cd.csv_dir, HOST, "mctop-m", "memcached_ops",
                                    "lookups")
                return row and int(row["value"]) >= exp.lookups
            mctest.wait_until(arrived, 20)
            mctest.wait_until(lambda: False, 2.5)
            check(tap, cd.csv_dir, exp, keys)
            tap.ok(want > 0, f"memcached {flavor}: {want} command probes "
                   f"expected in all")
    sys.exit(tap.done())


if __name__ == "__main__":
    main()
