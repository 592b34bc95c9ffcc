"""A second, independent implementation of mctop's key naming rule, used as
the test oracle for the names that arrive in the writers (plugin/keyname.c
is the one that runs; README.md states the rule)."""

ROOM = 127
SUFFIX = 13  # "~" + 12 hex digits


def _fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def _utf8_len(data, i):
    lead = data[i]
    n = 2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF else \
        4 if 0xF0 <= lead <= 0xF4 else 0
    if n == 0 or i + n > len(data):
        return 0
    try:
        data[i:i + n].decode("utf-8")  # rejects overlongs and surrogates
    except UnicodeDecodeError:
        return 0
    return n


def key_name(key):
    """The collectd type_instance mctop gives key (bytes)."""
    out = bytearray()
    altered = False
    i = 0
    while i < len(key):
        c = key[i]
        if 0x20 < c < 0x7F and c not in b"/~":
            n = 1
        else:
            n = _utf8_len(key, i)
        if n == 0:
            out.append(ord("_"))
            altered = True
            i += 1
        else:
            out += key[i:i + n]
            i += n
    if not altered and len(out) <= ROOM:
        return out.decode("utf-8")
    cut = min(len(out), ROOM - SUFFIX)
    while 0 < cut < len(out) and (out[cut] & 0xC0) == 0x80:
        cut -= 1
    return out[:cut].decode("utf-8") + "~%012x" % (_fnv1a64(key) >> 16)
