"""The known workload the writer tests drive, and what it must produce.

Keys carry the characters writers treat specially: ':' (write_graphite
rewrites it), '.' (Graphite's path separator), a space (only the binary
protocol can send one), and a pair that differs only by '.' versus '_'.
Every key gets a distinct get count, so "top keys by get rate" has one
right order.

  warm(mcd, exp)          phase 1: store every key once (no gets; one miss of
                          the missing key), so every series reaches the
                          writer before the load: the receivers' rates then
                          have a baseline
  load(mcd, exp, rounds)  phase 2: the gets, misses and sets, spread over
                          `rounds` rounds a second apart
  expected(exp, key)      {field: value} a writer must show for key
  CONF                    the <Plugin mctop> body (1 s interval, every key
                          of the workload fits TopKeys)
"""
import time

from expect import FIELDS, Expect
from keyname import key_name

# Expect and key_name are re-exported for the tests.
__all__ = ["HOT", "GETS", "MISS_KEY", "MISSES", "SET_KEY", "SETS", "BY_GETS",
           "KEYS", "CHECKED", "CONF", "Expect", "key_name", "value_of",
           "warm", "load", "expected"]

HOT = b"user:42"
# (key, protocol, gets): every get hits; values are len(key) + 3 bytes.
GETS = [
    (HOT, "text", 300),
    (b"page.home", "text", 100),
    (b"sess 7", "binary", 60),      # a space: binary protocol only
    (b"page_home", "text", 20),     # differs from page.home by '.' vs '_'
]
MISS_KEY, MISSES = b"miss:x", 40    # gets of a key never stored (+1 in warm)
SET_KEY, SETS = b"cart:9", 50       # stores only
# The order of the keys by get rate (misses are gets too).
BY_GETS = [HOT, b"page.home", b"sess 7", MISS_KEY, b"page_home"]
KEYS = [k for k, _, _ in GETS] + [MISS_KEY, SET_KEY]
# Lookups are not counted on 1.6.18 by default (Lookups "auto").
CHECKED = tuple(f for f in FIELDS if f != "lookups")

CONF = """
  <Instance "cache1">
    PID {pid}
    TopKeys 50
  </Instance>
"""


def value_of(key):
    return b"v" * (len(key) + 3)


def _client(mcd, protocol):
    return mcd.binary_client() if protocol == "binary" else mcd.client()


def warm(mcd, exp):
    """Store every key that will be read, and the set-only key, once; miss
    the missing key once (so it, too, has a series before the load)."""
    for key, protocol, _ in GETS + [(SET_KEY, "text", 0)]:
        c = _client(mcd, protocol)
        assert c.set(key, value_of(key))
        exp.op(protocol, "set", key, len(value_of(key)), hit=False)
    assert mcd.client().get(MISS_KEY) is None
    exp.op("text", "get", MISS_KEY, -1, hit=False)


def load(mcd, exp, rounds=3, pause=1.0):
    """The gets, misses and sets, split evenly over `rounds` rounds."""
    clients = {"text": mcd.client(), "binary": mcd.binary_client()}
    for r in range(rounds):
        for key, protocol, gets in GETS:
            for _ in range(_share(gets, rounds, r)):
                assert clients[protocol].get(key) == value_of(key)
                exp.op(protocol, "get", key, len(value_of(key)))
        for _ in range(_share(MISSES, rounds, r)):
            assert clients["text"].get(MISS_KEY) is None
            exp.op("text", "get", MISS_KEY, -1, hit=False)
        for _ in range(_share(SETS, rounds, r)):
            assert clients["text"].set(SET_KEY, value_of(SET_KEY))
            exp.op("text", "set", SET_KEY, len(value_of(SET_KEY)))
        if r + 1 < rounds:
            time.sleep(pause)   # pacing the load, not waiting for results


def _share(total, rounds, r):
    """Round r's part of total (the parts add up to total)."""
    return total * (r + 1) // rounds - total * r // rounds


def expected(exp, key):
    """{field: value} of key's mctop_key series after the workload."""
    return {f: exp.keys[key][f] for f in CHECKED}
