"""A workload from real third-party clients, for symbol mode across releases:
Debian's python3-pymemcache (text protocol) and libmemcached-tools' memccp,
memccat, memctouch and memcrm (binary protocol), plus meta commands in the
dialect each release speaks.  Each helper records in a symload.SymExpect what
symbol mode must count for it (README "Symbol mode").  Used by
tests/e2e/test_symbol_releases.py.

Meta dialects, read in each release's doc/protocol.txt and proto code, and
checked against the builds:
- 1.5.19-1.5.22: `ms <key> S <size>` (one token of flags, then their
  arguments in order), replies ST/NS; `mg <key> sv` answers `VA sv <size>`,
  the data and `EN`; a miss `EN`; `md` DE/NF; no `ma`, no `mn`.
- 1.6.0-1.6.9: flags each with its argument (`ms <key> S<size> ME`),
  replies OK/NS; `mg <key> v` -> `VA <size>`; `ma` OK/NF; `md` OK/NF; `mn`.
- 1.6.10 on: `ms <key> <size> <flags>`, HD replies (mcproto's dialect).
In all three `mg` needs a flag, and a get, touch or delete goes through the
same functions as in 1.6.18 (limited_get for mg, item_get_locked for md).
"""
import os
import subprocess
import sys
import tempfile

from symload import release

try:
    from pymemcache.client.base import Client
except ImportError:
    # python3-pymemcache (scripts/install-deps) installs for Debian's
    # /usr/bin/python3; a configure that found another python3 first (pyenv)
    # still gets that pure-Python package from Debian's directory.
    sys.path.append("/usr/lib/python3/dist-packages")
    from pymemcache.client.base import Client


def meta_dialect(version):
    """None, "1.5.19", "1.6.0" or "1.6.10": the meta commands a release
    speaks."""
    r = release(version)
    if r >= (1, 6, 10):
        return "1.6.10"
    if r >= (1, 6, 0):
        return "1.6.0"
    if r >= (1, 5, 19):
        return "1.5.19"
    return None


def pymemcache_workload(port, e):
    """Every text command pymemcache has, hits and misses."""
    c = Client(("127.0.0.1", port), default_noreply=False, connect_timeout=5,
               timeout=5)
    keys = [b"pm:a", b"pm:b", b"pm:c"]
    for i, k in enumerate(keys):
        v = b"p" * (4 + i)
        assert c.set(k, v)
        e.store("set", k, len(v))
    assert c.get(b"pm:a") == b"pppp"
    e.get(b"pm:a", 4)
    assert c.get(b"pm:none") is None
    e.get(b"pm:none", None)
    got = c.get_many([b"pm:a", b"pm:b", b"pm:gone"])
    assert got == {b"pm:a": b"pppp", b"pm:b": b"ppppp"}, got
    e.get(b"pm:a", 4)
    e.get(b"pm:b", 5)
    e.get(b"pm:gone", None)
    value, cas = c.gets(b"pm:c")
    assert value == b"pppppp"
    e.get(b"pm:c", 6)
    assert c.cas(b"pm:c", b"C1", cas) is True
    e.store("cas", b"pm:c", 2)
    assert c.cas(b"pm:c", b"C22", cas) is False        # EXISTS
    e.store("cas", b"pm:c", 3, stored=False)
    assert c.cas(b"pm:nocas", b"x", cas) is None       # NOT_FOUND
    e.store("cas", b"pm:nocas", 1, stored=False)
    assert c.add(b"pm:a", b"dup") is False
    e.store("add", b"pm:a", 3, stored=False)
    assert c.add(b"pm:new", b"12") is True
    e.store("add", b"pm:new", 2)
    assert c.replace(b"pm:new", b"345") is True
    e.store("replace", b"pm:new", 3)
    assert c.replace(b"pm:absent", b"1") is False
    e.store("replace", b"pm:absent", 1, stored=False)
    assert c.append(b"pm:new", b"67") is True
    e.store("append", b"pm:new", 2)
    assert c.prepend(b"pm:new", b"0") is True
    e.store("prepend", b"pm:new", 1)
    assert c.set(b"pm:n", b"40")
    e.store("set", b"pm:n", 2)
    assert c.incr(b"pm:n", 2) == 42
    e.arith("incr", b"pm:n")
    assert c.decr(b"pm:n", 40) == 2
    e.arith("decr", b"pm:n")
    assert c.incr(b"pm:nonum", 1) is None
    e.arith("incr", b"pm:nonum")
    assert c.decr(b"pm:nonum", 1) is None
    e.arith("decr", b"pm:nonum")
    assert c.touch(b"pm:b", 100) is True
    e.touch(b"pm:b")
    assert c.touch(b"pm:untouched", 100) is False
    e.touch(b"pm:untouched")
    assert c.delete(b"pm:a") is True
    e.delete(b"pm:a", True)
    assert c.delete(b"pm:a") is False
    e.delete(b"pm:a", False)
    assert c.delete_many([b"pm:b", b"pm:new"]) is True
    e.delete(b"pm:b", True)
    e.delete(b"pm:new", True)
    c.close()


def _tool(port, *argv):
    """A libmemcached-tools command in the binary protocol: its status."""
    p = subprocess.run([argv[0], "--binary", f"--servers=127.0.0.1:{port}",
                        *argv[1:]], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    return p.returncode, p.stdout


def libmemcached_workload(port, e):
    """memccp (set, add, replace), memccat (get, hit and miss), memctouch and
    memcrm, all with --binary: keys are the files' names."""
    with tempfile.TemporaryDirectory(prefix="mctop-memccp-") as d:
        def put(name, value):
            path = os.path.join(d, name)
            with open(path, "wb") as f:
                f.write(value)
            return path

        a, b = put("lm-a", b"1234567"), put("lm-b", b"89")
        assert _tool(port, "memccp", a, b)[0] == 0
        e.store("set", b"lm-a", 7)
        e.store("set", b"lm-b", 2)
        assert _tool(port, "memccp", "--add", put("lm-a", b"x"))[0] != 0
        e.store("add", b"lm-a", 1, stored=False)
        assert _tool(port, "memccp", "--replace", put("lm-c", b"yz"))[0] != 0
        e.store("replace", b"lm-c", 2, stored=False)
    rc, out = _tool(port, "memccat", "lm-a")
    assert rc == 0 and out.startswith(b"1234567"), (rc, out)
    e.get(b"lm-a", 7)
    assert _tool(port, "memccat", "lm-nothing")[0] != 0
    e.get(b"lm-nothing", None)
    assert _tool(port, "memctouch", "--expire=100", "lm-b")[0] == 0
    e.touch(b"lm-b")
    assert _tool(port, "memcrm", "lm-b")[0] == 0
    e.delete(b"lm-b", True)
    assert _tool(port, "memcrm", "lm-b")[0] != 0
    e.delete(b"lm-b", False)


def _mg(mc, key, dialect):
    """Meta get of key's value in an old dialect: the value, or None."""
    if dialect == "1.5.19":            # `VA sv <size>`, the data, then `EN`
        line = mc.command(b"mg " + key + b" sv")
    else:                              # `VA <size>`, the data
        line = mc.command(b"mg " + key + b" v")
    if line == b"EN":
        return None
    parts = line.split()
    assert parts[0] == b"VA", line
    if dialect == "1.5.19":
        value = mc._read_data(int(parts[2]))
        assert mc._readline() == b"EN"
        return value
    return mc._read_data(int(parts[1]))


def old_meta_workload(mc, e, dialect):
    """ms, mg (hit and miss), md (hit and miss), and from 1.6.0 ma and mn, in
    the dialect of 1.5.19-1.5.22 or of 1.6.0-1.6.9."""
    ok = b"ST" if dialect == "1.5.19" else b"OK"
    size = (lambda n: b"S %d" % n) if dialect == "1.5.19" else \
        (lambda n: b"S%d" % n)
    assert mc.command(b"ms om:1 " + size(5), b"hello").split()[0] == ok
    e.store("set", b"om:1", 5)
    assert _mg(mc, b"om:1", dialect) == b"hello"
    e.get(b"om:1", 5)
    assert _mg(mc, b"om:none", dialect) is None
    e.get(b"om:none", None)
    deleted = b"DE" if dialect == "1.5.19" else b"OK"
    assert mc.command(b"md om:1").split()[0] == deleted
    e.delete(b"om:1", True)
    assert mc.command(b"md om:1").split()[0] == b"NF"
    e.delete(b"om:1", False)
    if dialect == "1.5.19":
        return
    assert mc.command(b"ms om:n S1", b"7").split()[0] == ok
    e.store("set", b"om:n", 1)
    assert mc.command(b"ma om:n").split()[0] == ok
    e.arith("incr", b"om:n")
    assert mc.command(b"ma om:n MD").split()[0] == ok
    e.arith("decr", b"om:n")
    assert mc.command(b"ma om:nonum").split()[0] == b"NF"
    e.arith("incr", b"om:nonum")
    assert mc.command(b"ms om:2 S2 ME", b"ab").split()[0] == ok
    e.store("add", b"om:2", 2)
    assert mc.command(b"ms om:2 S2 ME", b"cd").split()[0] == b"NS"
    e.store("add", b"om:2", 2, stored=False)
    assert mc.command(b"mn") == b"MN"                 # no key, nothing


def new_meta_extra(mc, e):
    """What symload.meta_workload leaves out in 1.6.10's dialect: md of a
    missing key, ma of a missing one, an add in ms mode E, and mn."""
    assert mc.md(b"nm:none") is False
    e.delete(b"nm:none", False)
    assert mc.ma(b"nm:nonum") is False
    e.arith("incr", b"nm:nonum")
    assert mc.ms(b"nm:e", b"xyz", "ME")
    e.store("add", b"nm:e", 3)
    assert mc.ms(b"nm:e", b"xyz", "ME") is False
    e.store("add", b"nm:e", 3, stored=False)
    assert mc.command(b"mn") == b"MN"
