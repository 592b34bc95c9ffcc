"""Symbol mode's workload and what it must report: one text, binary and
meta session against a memcached traced through its own functions, and a
model of what symbol mode counts for it (README "Symbol mode").  Shared by
tests/e2e/test_symbols.py and tests/e2e/test_symbol_releases.py.
"""
import collections

from expect import COMMANDS, FIELDS

TEXT_KEYS = [b"x", b"user:42", b"a.b.c", b"path/to/obj", "caf\u00e9".encode(),
             b"L" * 250, b"P" * 220 + b"A" * 30, b"P" * 220 + b"B" * 30]
BINARY_KEYS = [b"bin key\x00z", b"bin/\xff\xfe"]


def release(version):
    """"1.6.9" -> (1, 6, 9)."""
    return tuple(int(p) for p in version.split("."))


# What a release speaks (memcached's ChangeLog and source): text gat from
# 1.5.3; meta commands as mcproto speaks them (HD replies) from 1.6.10.
def has_text_gat(version):
    return release(version) >= (1, 5, 3)


def has_meta(version):
    return release(version) >= (1, 6, 10)


class SymExpect:
    """What symbol mode reports: one lookup per do_item_get call; gets
    (hits with their bytes, misses) from do_item_get with do_update; touches
    from do_item_touch; stores from do_store_item, with bytes only when
    stored; incr/decr from do_add_delta; deletes that deleted from
    do_item_unlink (a delete of a missing key: its lookup only)."""

    def __init__(self):
        self.keys = collections.defaultdict(lambda: dict.fromkeys(FIELDS, 0))
        self.commands = dict.fromkeys(COMMANDS, 0)
        self.hits = self.misses = self.rx = self.tx = self.lookups = 0

    def lookup(self, key, n=1):
        self.keys[key]["lookups"] += n
        self.lookups += n

    def _cmd(self, cmd, key):
        self.commands[cmd] += 1
        self.keys[key]["calls"] += 1

    def get(self, key, size):
        """size: the value's length, None on a miss."""
        self.lookup(key)
        self._cmd("get", key)
        k = self.keys[key]
        k["gets"] += 1
        if size is None:
            k["misses"] += 1
            self.misses += 1
        else:
            k["hits"] += 1
            k["tx"] += size
            k["objsize"] = size
            self.hits += 1
            self.tx += size

    def touch(self, key):
        self.lookup(key)
        self._cmd("touch", key)
        self.keys[key]["touches"] += 1

    def store(self, cmd, key, size, stored=True):
        self.lookup(key)
        self._cmd(cmd, key)
        k = self.keys[key]
        k["sets"] += 1
        if stored:
            k["rx"] += size
            k["objsize"] = size
            self.rx += size

    def delete(self, key, deleted):
        self.lookup(key)
        if deleted:
            self._cmd("delete", key)
            self.keys[key]["deletes"] += 1

    def arith(self, cmd, key):
        self.lookup(key)
        self._cmd(cmd, key)
        self.keys[key]["ariths"] += 1


def text_workload(mc, e, version="1.6.18"):
    for i, k in enumerate(TEXT_KEYS):
        v = b"v" * (i + 3)
        assert mc.set(k, v)
        e.store("set", k, len(v))
        for _ in range(i + 1):
            assert mc.get(k) == v
            e.get(k, len(v))
    assert mc.get(b"miss:1") is None
    e.get(b"miss:1", None)
    got = mc.get_multi([b"x", b"user:42", b"miss:2"])
    assert set(got) == {b"x", b"user:42"}
    e.get(b"x", 3)
    e.get(b"user:42", 4)
    e.get(b"miss:2", None)
    value, cas = mc.gets(b"a.b.c")
    e.get(b"a.b.c", len(value))
    assert mc.cas(b"a.b.c", b"new", cas) == "STORED"
    e.store("cas", b"a.b.c", 3)
    assert mc.cas(b"a.b.c", b"newer", cas) == "EXISTS"
    e.store("cas", b"a.b.c", 5, stored=False)
    assert not mc.add(b"x", b"dup")
    e.store("add", b"x", 3, stored=False)
    assert mc.add(b"fresh", b"12345")
    e.store("add", b"fresh", 5)
    assert mc.replace(b"fresh", b"123")
    e.store("replace", b"fresh", 3)
    assert not mc.replace(b"absent", b"1")
    e.store("replace", b"absent", 1, stored=False)
    assert mc.append(b"fresh", b"45")
    e.store("append", b"fresh", 2)           # the appended chunk
    assert mc.prepend(b"fresh", b"0")
    e.store("prepend", b"fresh", 1)
    assert mc.set(b"counter", b"10")
    e.store("set", b"counter", 2)
    assert mc.incr(b"counter", 5) == 15
    e.arith("incr", b"counter")
    assert mc.decr(b"counter", 3) == 12
    e.arith("decr", b"counter")
    assert mc.incr(b"no-counter", 1) is None
    e.arith("incr", b"no-counter")           # counted, hit or miss
    assert mc.touch(b"x", 100)
    e.touch(b"x")
    assert mc.touch(b"no-touch", 100) is False
    e.touch(b"no-touch")
    if has_text_gat(version):
        assert mc.gat(0, b"user:42") is not None
        e.touch(b"user:42")                  # gat goes through do_item_touch
    assert mc.delete(b"fresh")
    e.delete(b"fresh", True)
    assert not mc.delete(b"fresh")
    e.delete(b"fresh", False)


def binary_workload(bc, e):
    for i, k in enumerate(BINARY_KEYS):
        v = b"b" * (10 + i)
        assert bc.set(k, v)
        e.store("set", k, len(v))
        assert bc.get(k) == v
        e.get(k, len(v))
    assert bc.get(b"bin-miss") is None
    e.get(b"bin-miss", None)
    assert not bc.add(BINARY_KEYS[0], b"z")
    e.store("add", BINARY_KEYS[0], 1, stored=False)
    assert bc.touch(BINARY_KEYS[0], 100)
    e.touch(BINARY_KEYS[0])
    assert bc.gat(BINARY_KEYS[1], 100) == b"b" * 11
    e.touch(BINARY_KEYS[1])
    assert bc.set(b"bin-n", b"7")
    e.store("set", b"bin-n", 1)
    assert bc.incr(b"bin-n", 3) == 10
    e.arith("incr", b"bin-n")
    assert bc.delete(BINARY_KEYS[1])
    e.delete(BINARY_KEYS[1], True)


def meta_workload(mc, e):
    assert mc.ms(b"meta:1", b"abcdef")
    e.store("set", b"meta:1", 6)
    assert mc.mg(b"meta:1") == b"abcdef"
    e.get(b"meta:1", 6)
    assert mc.mg(b"meta:none") is None
    e.get(b"meta:none", None)
    assert mc.ms(b"meta:n", b"1")
    e.store("set", b"meta:n", 1)
    assert mc.ma(b"meta:n")
    e.arith("incr", b"meta:n")
    assert mc.ma(b"meta:n", mode="D")
    e.arith("decr", b"meta:n")
    assert mc.md(b"meta:1")
    e.delete(b"meta:1", True)
