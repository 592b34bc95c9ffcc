#!/usr/bin/env python3
"""End to end: no client can choose keys that collide in the key table
(issue 19, row 6).

The table's hash was unkeyed (tests/lib/oldhash.py), so a client could
compute keys that share a slot hash and a fingerprint, or that fill a
chosen key's probe window.  Now it is SipHash-1-3 under a secret drawn at
each load (bpf/key_hash.h).  One real memcached 1.6.18 (USDT), traced at
once by the real mctop command (--json, --max-keys 1024) and by a real
collectd loading mctop.so (MaxKeys 1024), each with its own secret:

- a pair of distinct 16-byte printable keys that collide in both halves
  of the old hash (found offline by tests/find-old-collision.c): 100 gets
  of one and 50 of the other must come out as two keys with 100 and 50
  (the old table reported one key with 150);
- the two loaded programs hold different secrets (their .rodata, read
  with bpftool): nothing fixed in the binary decides the table's hash;
- 32 decoy keys whose old slot hash starts at a victim key's home slot
  (found here by brute force in a fraction of a second), each read before
  every batch of the victim's gets so they hold its whole window: the
  victim's 500 gets must be reported under its name, and no event may have
  found no slot (key_slot_misses, the health figure that counts a full
  window, in the JSON and in collectd: the old table counted the victim's
  500 there and never showed it).
"""
import glob
import json
import os
import re
import subprocess
import sys

import mcproto
import mctest
import mctopcmd
import oldhash
from keyname import key_name

HOST = "mctop-test"
INST = "hash"
MAX_KEYS = 1024  # a table of 1024 slots (attach/drain.c rounds up)

# tests/find-old-collision.c, seed 12 (the first seed whose pair has no
# character a name or JSON escapes): 487,379,363 first words in seconds.  Under
# the old hash both have slot hash 0xa7343f57f0da42ea and fingerprint
# 0xe8cb68a414660df9.
PAIR = (b"1g}I@2g8Zj]|W,M-", b"qKp_1)8aeUbC(SrR")
VICTIM = b"hot:item:4242"
ROUNDS = 5  # decoys, then 100 victim gets, five times


def decoys(victim, n=oldhash.WINDOW):
    """n keys whose old slot hash starts where the victim's does."""
    want, out, i = oldhash.home(victim, MAX_KEYS), [], 0
    while len(out) < n:
        k = b"decoy:%d" % i
        if oldhash.home(k, MAX_KEYS) == want:
            out.append(k)
        i += 1
    return out


def csv_key(cd, key):
    row = mctest.latest(cd.csv_dir, HOST, "mctop-" + INST, "mctop_key",
                        key_name(key))
    return int(float(row["gets"])) if row else None


def csv_misses(cd):
    row = mctest.latest(cd.csv_dir, HOST, "mctop-" + INST, "derive",
                        "key_slot_misses")
    return int(float(row["value"])) if row else None


def hash_seed(pid):
    """The hash_seed in the .rodata of the mctop program process pid holds
    (bpftool's view of the map through its BTF), or None."""
    for path in glob.glob(f"/proc/{pid}/fdinfo/*"):
        try:
            with open(path) as f:
                m = re.search(r"^map_id:\s+(\d+)", f.read(), re.M)
        except OSError:
            continue
        if not m:
            continue
        out = subprocess.run(["bpftool", "-j", "map", "dump", "id",
                              m.group(1)], capture_output=True, text=True)
        try:
            vals = json.loads(out.stdout)[0]["formatted"]["value"][".rodata"]
        except (ValueError, LookupError, TypeError):
            continue
        for v in vals:
            if "hash_seed" in v:
                return tuple(v["hash_seed"])
    return None


def settle(cmd, gets):
    """Waits until the command's totals hold gets gets, and one interval
    more (a key's events land at most an interval after the totals')."""
    mctest.wait_until(lambda: sum(d["totals"]["get"] for d in cmd.lines)
                      >= gets, 10)
    n = len(cmd.lines)
    mctest.wait_until(lambda: len(cmd.lines) > n + 1, 5)


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    a, b = PAIR
    tap.ok(a != b and oldhash.old_hash(a) == oldhash.old_hash(b) and
           all(0x20 < c < 0x7F for c in a + b),
           "the pair: distinct printable keys with the same old slot hash "
           "and fingerprint")
    decoy = decoys(VICTIM)
    tap.ok(len(set(decoy)) == oldhash.WINDOW and VICTIM not in decoy,
           f"{len(decoy)} decoys start at the victim's old home slot")
    binary = mctest.memcached_binary("1.6.18")
    with mctest.Memcached(binary, threads=2) as mcd:
        conf = (f'  <Instance "{INST}">\n    PID {mcd.pid}\n'
                f'    MaxKeys {MAX_KEYS}\n    TopKeys 50\n  </Instance>\n')
        with mctest.Collectd(os.environ["MCTOP_PLUGIN"], conf,
                             extra_plugins=("csv", "logfile")) as cd:
            cmd = mctopcmd.JsonMctop("-p", str(mcd.pid), "-k", "50",
                                     "--max-keys", str(MAX_KEYS))
            ok = cmd.wait_lines(1) and \
                cd.wait_log(rf'instance "{INST}": tracing', 20)
            if not tap.ok(ok, "the command and collectd trace memcached"):
                tap.diag(cd.log()[-2000:] + str(cmd.stop()))
                return tap.done()
            seeds = (hash_seed(cmd.proc.pid), hash_seed(cd.pid))
            tap.ok(None not in seeds and (0, 0) not in seeds and
                   seeds[0] != seeds[1], "the command and collectd each drew "
                   "their own secret for the key hash", str(seeds))
            mc = mcproto.MemcacheClient("127.0.0.1", mcd.port)
            for _ in range(100):
                mc.get(a)
            for _ in range(50):
                mc.get(b)
            settle(cmd, 150)
            keys, totals = cmd.sums()
            got = {k: keys.get(key_name(k), {}).get("gets") for k in PAIR}
            tap.ok(got == {a: 100, b: 50}, "--json: the old hash's colliding "
                   "pair is two keys with their own counts (100 and 50)",
                   f"got {got}; totals {totals}; keys {sorted(keys)[:10]}")
            tap.ok(mctest.wait_until(lambda: csv_key(cd, a) == 100 and
                                     csv_key(cd, b) == 50, 10),
                   "collectd: the same two keys, 100 and 50",
                   f"got {csv_key(cd, a)} and {csv_key(cd, b)}")

            for _ in range(ROUNDS):
                for k in decoy:
                    mc.get(k)
                for _ in range(100):
                    mc.get(VICTIM)
            settle(cmd, 150 + ROUNDS * (len(decoy) + 100))
            keys, _ = cmd.sums()
            victim = keys.get(key_name(VICTIM), {}).get("gets")
            misses = sum(d["health"]["key_slot_misses"] for d in cmd.lines)
            tap.ok(victim == ROUNDS * 100, "--json: the victim behind 32 "
                   "decoys is reported by name with its 500 gets",
                   f"got {victim}")
            tap.ok(misses == 0, "--json: no event found its window full "
                   f"(health key_slot_misses summed: {misses})")
            tap.ok(mctest.wait_until(lambda: csv_key(cd, VICTIM) == 500, 10),
                   "collectd: the victim's 500 gets",
                   f"got {csv_key(cd, VICTIM)}")
            tap.ok(csv_misses(cd) == 0, "collectd: derive-key_slot_misses "
                   f"stays 0 (got {csv_misses(cd)})")
            rc, err = cmd.stop()
            tap.ok(rc == 0 and not cmd.bad, f"the command ends with status 0 "
                   f"(got {rc})", err[-500:])
            tap.ok(cd.running(), "collectd kept running")
            cd.stop()
            reports = cd.sanitizer_reports()
            tap.ok(not reports, "no sanitizer reports from collectd",
                   "\n".join(reports[:20]))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
