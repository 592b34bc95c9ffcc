"""What mctop should report for a workload: a model of memcached's probes.

Each helper runs one real command against memcached and records, in an
Expect, the per-key and per-instance counts that the probes it fires should
produce.  Which command fires which probe is the matrix documented in
README.md ("What memcached's probes see"); tests/e2e/test_core.py drives
every row of it.
"""
import collections

from probe_matrix import fired

COMMANDS = ("get", "set", "add", "replace", "append", "prepend", "cas",
            "incr", "decr", "delete", "touch")
STORES = ("set", "add", "replace", "append", "prepend", "cas")
FIELDS = ("calls", "gets", "sets", "deletes", "touches", "ariths", "hits",
          "misses", "rx", "tx", "objsize", "lookups")


def _key(k):
    return k if isinstance(k, bytes) else k.encode()


class Expect:
    """Accumulates the per-key and total counts probes should produce."""

    def __init__(self, flavor="1.6.18"):
        self.flavor = flavor
        self.keys = collections.defaultdict(lambda: dict.fromkeys(FIELDS, 0))
        self.commands = dict.fromkeys(COMMANDS, 0)
        self.hits = self.misses = self.rx = self.tx = self.lookups = 0

    def op(self, protocol, command, key, size=None, hit=True):
        """One client command on key: one lookup, and whatever probe the
        matrix says this memcached fires for it.

        size is the value length the probe reports (-1 on a miss or a
        failed store); hit says whether the key existed."""
        k = self.keys[_key(key)]
        k["lookups"] += 1
        self.lookups += 1
        probe = fired(self.flavor, protocol, command, hit)
        if probe is not None:
            self.probe(probe, key, size)

    def probe(self, command, key, size=None):
        """One probe firing: command__<command>(key, size).

        size is memcached's value length without "\\r\\n", -1 for a miss or
        a failed store, None for probes that carry no size.
        """
        k = self.keys[_key(key)]
        self.commands[command] += 1
        k["calls"] += 1
        if command == "get":
            k["gets"] += 1
            if size is not None and size >= 0:
                k["hits"] += 1
                k["tx"] += size
                k["objsize"] = size
                self.hits += 1
                self.tx += size
            else:
                k["misses"] += 1
                self.misses += 1
        elif command in STORES:
            k["sets"] += 1
            if size is not None and size >= 0:
                k["rx"] += size
                k["objsize"] = size
                self.rx += size
        elif command == "delete":
            k["deletes"] += 1
        elif command == "touch":
            k["touches"] += 1
        else:
            k["ariths"] += 1

    @property
    def total_events(self):
        return sum(self.commands.values())
