"""Which USDT probe each memcached command fires, per memcached version.

The table is what mctop can count per command.  It was measured with
bpftrace on builds from Debian's source packages (docs/probe-measurements.md)
and is enforced by tests/e2e/test_probe_matrix.py and test_core.py: a future
memcached that changes its probes fails there, row by row.  README.md shows
the same table.

Rows: (protocol, command) -> what fires:
  "get", "set", ...   that command__* probe, on hit and miss alike
  "get:miss"          command__get only when the key is missing (mg)
  "X:hit"             command__X only when the key exists (incr, decr,
                      delete, md, ma: memcached fires them after finding it)
  None                no command probe
Every command also does exactly one key lookup (assoc__find) per key on every
version; see LOOKUPS_PER_COMMAND for the exceptions.
"""

FLAVORS = ("1.6.18", "1.6.38", "1.6.45", "1.6.45+patch")

_1_6_18 = {
    ("text", "get"): "get", ("text", "gets"): "get", ("text", "gat"): "get",
    ("text", "touch"): None,
    ("text", "set"): "set", ("text", "add"): "add",
    ("text", "replace"): "replace", ("text", "append"): "append",
    ("text", "prepend"): "prepend", ("text", "cas"): "cas",
    ("text", "incr"): "incr:hit", ("text", "decr"): "decr:hit",
    ("text", "delete"): "delete:hit",
    ("binary", "get"): "get", ("binary", "set"): "set",
    ("binary", "add"): "add", ("binary", "touch"): "touch",
    ("binary", "gat"): "touch", ("binary", "incr"): "incr:hit",
    ("binary", "delete"): "delete:hit",
    ("meta", "mg"): "get:miss", ("meta", "ms"): "set",
    ("meta", "md"): "delete:hit", ("meta", "ma"): "incr:hit",
}

# 1.6.38 dropped the incr/decr probe calls (no call sites left at all).
_1_6_38 = dict(_1_6_18)
_1_6_38.update({("text", "incr"): None, ("text", "decr"): None,
                ("binary", "incr"): None, ("meta", "ma"): None})

# 1.6.40+: text and meta commands fire command probes only for stores.
_1_6_45 = dict(_1_6_38)
_1_6_45.update({("text", "get"): None, ("text", "gets"): None,
                ("text", "gat"): None, ("text", "delete"): None,
                ("meta", "mg"): None, ("meta", "md"): None})

# contrib/memcached-1.6.45-command-probes.patch: 1.6.18's probes again, plus
# mg hits and text touch.
_patched = dict(_1_6_18)
_patched.update({("meta", "mg"): "get", ("text", "touch"): "touch"})

MATRIX = {"1.6.18": _1_6_18, "1.6.38": _1_6_38, "1.6.45": _1_6_45,
          "1.6.45+patch": _patched}

# Commands that look a key up twice (both create the key on a miss); none
# of the tests' workloads uses them.
LOOKUPS_PER_COMMAND = {("binary", "incr+initial"): 2, ("meta", "ma+N"): 2}


def fired(flavor, protocol, command, hit):
    """The probe that (protocol, command) fires on flavor, or None."""
    row = MATRIX[flavor][(protocol, command)]
    if row is None:
        return None
    probe, _, cond = row.partition(":")
    if (cond == "hit" and not hit) or (cond == "miss" and hit):
        return None
    return probe


def markdown():
    """The matrix as README.md shows it."""
    label = {None: "-", "get:miss": "get (miss only)"}
    lines = ["| protocol | command | " + " | ".join(FLAVORS) + " |",
             "|---|---|" + "---|" * len(FLAVORS)]
    for proto, cmd in MATRIX["1.6.18"]:
        cells = []
        for f in FLAVORS:
            row = MATRIX[f][(proto, cmd)]
            cells.append(label.get(row, (row or "").replace(":hit", " (hit)")))
        lines.append(f"| {proto} | {cmd} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
