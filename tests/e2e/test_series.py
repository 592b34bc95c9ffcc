#!/usr/bin/env python3
"""End to end: how keys become series.  One real memcached, one real
collectd with four mctop instances on it, each checked through the csv
writer against a workload whose every count is known:

- collapse: TopKeys 2 and KeyPattern "^user:[0-9]+$" "user:*".  The picks
  are always "hot1" and "user:*"; everything else, and only that, is
  counted in "~other", so the picks plus "~other" equal the totals exactly.
- prefix: KeyPrefix ":" folds "user:N" and "cold:N" at the first ':'.
- private: KeyPrivacy "hash": names are HMAC-SHA256(salt, key), and no key
  text reaches the writer at all.
- budget: MaxNewSeries 1: at most one new series appears per interval.
- tokens (its own memcached and collectd first): thousands of new keys a
  KeyPattern collapses, and not one reaches the writer under its own name.
"""
import hashlib
import hmac
import os
import sys
import time

import mcproto
import mctest
from keyname import key_name

HOST = "mctop-test"
SALT = "mctop-test-salt-0123456789"
USERS = 20
PHASE1_SECONDS = 1.5
PHASE2_SECONDS = 3.0


def conf(pid):
    return f"""
  <Instance "collapse">
    PID {pid}
    TopKeys 2
    KeyPattern "^user:[0-9]+$" "user:*"
  </Instance>
  <Instance "prefix">
    PID {pid}
    TopKeys 10
    KeyPrefix ":"
  </Instance>
  <Instance "private">
    PID {pid}
    TopKeys 10
    KeyPrivacy "hash"
    KeySalt "{SALT}"
  </Instance>
  <Instance "budget">
    PID {pid}
    TopKeys 10
    MaxNewSeries 1
  </Instance>
  <Instance "badsalt">
    PID {pid}
    KeyPrivacy "hash"
  </Instance>
"""


class Sent:
    """Gets sent per key (all misses: nothing is ever stored)."""

    def __init__(self):
        self.per_key = {}

    def get(self, mc, key, n=1):
        for _ in range(n):
            assert mc.get(key) is None
        self.per_key[key] = self.per_key.get(key, 0) + n

    def total(self, pred=lambda k: True):
        return sum(n for k, n in self.per_key.items() if pred(k))


def workload(mc):
    """Phase 1: only hot1 and user:N.  Phase 2: rounds of hot2 x3, one new
    cold key, user:N x8, hot1 x10.  At TopKeys 2 the picks of every
    interval are hot1 and user:* (8 and 10 a round against hot2's 3), even
    for an interval cut mid-round: phase 1 comes first and a round ends
    with user:* and hot1."""
    sent = Sent()
    rnd = 0
    end = time.monotonic() + PHASE1_SECONDS
    while time.monotonic() < end:
        sent.get(mc, b"user:%d" % (rnd % USERS), 8)
        sent.get(mc, b"hot1", 10)
        rnd += 1
    end = time.monotonic() + PHASE2_SECONDS
    while time.monotonic() < end:
        sent.get(mc, b"hot2", 3)
        sent.get(mc, b"cold:%d" % rnd)
        sent.get(mc, b"user:%d" % (rnd % USERS), 8)
        sent.get(mc, b"hot1", 10)
        rnd += 1
    return sent


def series(csv, inst):
    return mctest.list_type_instances(csv, HOST, "mctop-" + inst, "mctop_key")


def latest(csv, inst, typ, ti, field="value"):
    row = mctest.latest(csv, HOST, "mctop-" + inst, typ, ti)
    return int(row[field]) if row else None


def check_collapse(tap, csv, sent):
    got = series(csv, "collapse")
    tap.eq(sorted(got), sorted(["hot1", "user:*", "~other"]),
           "collapse: the picks are hot1 and user:*, the rest is ~other")
    hot1 = latest(csv, "collapse", "mctop_key", "hot1", "calls")
    users = latest(csv, "collapse", "mctop_key", "user:*", "calls")
    other = latest(csv, "collapse", "mctop_key", "~other", "calls")
    tap.eq(hot1, sent.per_key[b"hot1"], "collapse: hot1's calls exact")
    tap.eq(users, sent.total(lambda k: k.startswith(b"user:")),
           f"collapse: user:* = the sum over {USERS} user keys")
    tap.eq(other, sent.total(lambda k: k == b"hot2" or
                             k.startswith(b"cold:")),
           "collapse: ~other = hot2 + every cold key, exactly")
    total = latest(csv, "collapse", "memcached_command", "get")
    tap.eq((hot1 or 0) + (users or 0) + (other or 0), total,
           "collapse: picks + ~other = the get total")
    misses = latest(csv, "collapse", "mctop_key", "~other", "misses")
    tap.eq(misses, other, "collapse: ~other's misses follow its calls")


def check_prefix(tap, csv, sent):
    got = series(csv, "prefix")
    want = {"hot1", "hot2", "user:*", "cold:*", "~other"}
    tap.eq(sorted(got), sorted(want),
           "prefix: keys cut at the first ':', keys without one kept")
    cold = latest(csv, "prefix", "mctop_key", "cold:*", "calls")
    tap.eq(cold, sent.total(lambda k: k.startswith(b"cold:")),
           "prefix: cold:* sums every cold key (one new key a round)")
    tap.eq(latest(csv, "prefix", "mctop_key", "user:*", "calls"),
           sent.total(lambda k: k.startswith(b"user:")),
           "prefix: user:* exact")
    tap.eq(latest(csv, "prefix", "mctop_key", "~other", "calls"), 0,
           "prefix: everything fitted TopKeys, ~other stayed 0")


def hashed(key):
    return hmac.new(SALT.encode(), key, hashlib.sha256).hexdigest()[:16]


def check_private(tap, csv, sent):
    name = hashed(b"hot1")
    tap.eq(latest(csv, "private", "mctop_key", name, "calls"),
           sent.per_key[b"hot1"],
           f"private: hot1 arrives as {name}, with its exact calls")
    got = series(csv, "private") - {"~other"}
    tap.ok(got and all(len(n) == 16 and
                       all(c in "0123456789abcdef" for c in n) for n in got),
           f"private: every key series is 16 hex digits ({len(got)})",
           str(sorted(got)[:5]))
    leaked = []
    top = os.path.join(csv, HOST, "mctop-private")
    for f in os.listdir(top):
        with open(os.path.join(top, f), errors="replace") as fh:
            text = f + fh.read()
        leaked += [w for w in ("hot", "user", "cold") if w in text]
    tap.ok(not leaked, "private: no key text in any file name or content",
           str(leaked[:5]))


def check_budget(tap, csv):
    inst = "budget"
    firsts = []
    for ti in series(csv, inst) - {"~other"}:
        rows = mctest.read_series(csv, HOST, "mctop-" + inst, "mctop_key", ti)
        firsts.append(rows[0]["epoch"])
    firsts.sort()
    gaps = [b - a for a, b in zip(firsts, firsts[1:])]
    # One interval is 1 s; dispatch times within one read differ by ms.
    # Two series at least, or there is no gap to check.
    tap.ok(len(firsts) >= 2 and all(g > 0.5 for g in gaps),
           f"budget: at most one new series per interval ({len(firsts)} "
           f"series, closest first appearances {min(gaps or [0]):.3f} s "
           "apart)", str(firsts))
    refused = latest(csv, inst, "derive", "new_series_refused")
    tap.ok(refused and refused > 0,
           f"budget: refused picks are counted ({refused})")


def raw_names_never_leave(tap, binary):
    """Keys a KeyPattern collapses (session tokens, say) never reach the
    writer under their own names, even when they are new in the very
    interval they are drained (their name not yet readable)."""
    with mctest.Memcached(binary, threads=2) as mcd:
        conf = (f'  <Instance "tokens">\n    PID {mcd.pid}\n    TopKeys 50\n'
                '    KeyPattern "^sess:" "sess:*"\n  </Instance>\n')
        with mctest.Collectd(os.environ["MCTOP_PLUGIN"], conf,
                             extra_plugins=("csv", "logfile")) as cd:
            cd.wait_log(r'instance "tokens": tracing', 20)
            mc = mcproto.MemcacheClient("127.0.0.1", mcd.port)
            sent = 0
            deadline = time.monotonic() + 4   # across several drains
            while time.monotonic() < deadline:
                for _ in range(50):
                    mc.get(b"sess:%08d" % sent)
                    sent += 1
            arrived = mctest.wait_until(
                lambda: latest(cd.csv_dir, "tokens", "memcached_command",
                               "get") == sent, 15)
            mctest.wait_until(lambda: False, 2.5)
            names = mctest.list_type_instances(cd.csv_dir, HOST,
                                               "mctop-tokens", "mctop_key")
            raw = sorted(n for n in names if n.startswith("sess") and
                         n != "sess:*")
            tap.ok(arrived and "sess:*" in names and not raw,
                   f"{sent} new session keys: only \"sess:*\" reached the "
                   f"writer, no raw key name ({len(raw)} leaked)", raw[:5])


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    raw_names_never_leave(tap, mctest.memcached_binary("1.6.18"))
    binary = mctest.memcached_binary("1.6.18")
    with mctest.Memcached(binary, threads=4) as mcd, \
            mctest.Collectd(os.environ["MCTOP_PLUGIN"], conf(mcd.pid),
                            extra_plugins=("csv", "logfile")) as cd:
        csv = cd.csv_dir
        ready = all(cd.wait_log(rf'instance "{i}": tracing', 20)
                    for i in ("collapse", "prefix", "private", "budget"))
        tap.ok(ready, "four instances attached", cd.log()[-3000:])
        if not ready:
            return tap.done()
        tap.ok('instance "badsalt": KeyPrivacy "hash" needs KeySalt' in
               cd.log(), "KeyPrivacy hash without KeySalt is named, with "
               "the fix")
        sent = workload(mcproto.MemcacheClient("127.0.0.1", mcd.port))
        total = sent.total()
        arrived = mctest.wait_until(
            lambda: all(latest(csv, i, "memcached_command", "get") == total
                        for i in ("collapse", "prefix", "private", "budget")),
            20)
        tap.ok(arrived, f"the {total} gets reached every instance's totals")
        mctest.wait_until(lambda: False, 2.5)   # let "other" settle
        check_collapse(tap, csv, sent)
        check_prefix(tap, csv, sent)
        check_private(tap, csv, sent)
        check_budget(tap, csv)
        tap.ok(cd.running(), "collectd kept running")
        cd.stop()
        reports = cd.sanitizer_reports()
        tap.ok(not reports, "no sanitizer reports from collectd",
               "\n".join(reports[:20]))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
