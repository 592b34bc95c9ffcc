"""The key table's hash before issue 19 (bpf/mctop.bpf.c at f0a06ad), for
the tests that show it is gone: two multiply-xorshift lanes over the key's
8-byte little-endian words (the last one zero-padded), with fixed initial
states and no secret, murmur3's fmix64 on each.  The slot is the low bits
of the first, the fingerprint the second with its low bit set.  Anyone
could compute both offline; tests/e2e/test_key_hash.py sends keys chosen
with it."""

M = 0xFFFFFFFFFFFFFFFF
C1, C2 = 0x87c37b91114253d5, 0x4cf5ad432745937f
WINDOW = 32  # MCTOP_PROBE_SLOTS


def words(key):
    key = key + b"\0" * (-len(key) % 8)
    return [int.from_bytes(key[i:i + 8], "little")
            for i in range(0, len(key), 8)]


def lane1(h, w):
    h = ((h ^ w) * C1) & M
    return h ^ (h >> 31)


def lane2(h, w):
    h = ((h + w) * C2) & M
    return h ^ (h >> 29)


def start(n):
    """The two lanes' states before a key of n bytes."""
    return 0x9e3779b97f4a7c15 ^ n, (0x94d049bb133111eb + n) & M


def fmix64(h):
    h ^= h >> 33
    h = (h * 0xff51afd7ed558ccd) & M
    h ^= h >> 33
    h = (h * 0xc4ceb9fe1a85ec53) & M
    return h ^ (h >> 33)


def old_hash(key):
    """(slot hash, fingerprint) of key under the old hash."""
    h1, h2 = start(len(key))
    for w in words(key):
        h1, h2 = lane1(h1, w), lane2(h2, w)
    return fmix64(h1), fmix64(h2) | 1


def home(key, slots):
    """The slot a key's probe starts at in a table of slots slots."""
    return old_hash(key)[0] & 0xFFFFFFFF & (slots - 1)
