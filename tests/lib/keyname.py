"""A second, independent implementation of mctop's key naming rule, used as
the test oracle for the names that arrive in the writers (logic/keyname.c
is the one that runs; README.md states the rule): percent-encoding of
everything but printable ASCII other than . / % ~ and well-formed UTF-8 (C1
controls, bidi controls, U+2028, U+2029 and U+FEFF byte by byte too), cut
with a hash suffix past 127 bytes."""

import hashlib

ROOM = 127
SUFFIX = 25  # "~" + 24 hex digits of SHA-256


# Well-formed, but acted on by terminals or reordering the text around them.
UNSAFE = set(range(0x80, 0xA0)) | {0x061C, 0x200E, 0x200F, 0xFEFF} | \
    set(range(0x2028, 0x202F)) | set(range(0x2066, 0x206A))



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


def _units(key, escape=b""):
    """(text, escaped) for each unit of key: a kept byte, a whole UTF-8
    sequence, or one byte written as %XX."""
    i = 0
    while i < len(key):
        c = key[i]
        if 0x20 < c < 0x7F and c not in b"./%~" and c not in escape:
            yield chr(c), False
            i += 1
            continue
        n = _utf8_len(key, i) if c >= 0x80 else 0
        if n and ord(key[i:i + n].decode("utf-8")) in UNSAFE:
            n = 0
        if n:
            yield key[i:i + n].decode("utf-8"), False
            i += n
        else:
            yield "%%%02X" % c, True
            i += 1


def key_name(key, escape=b""):
    """The collectd type_instance mctop gives key (bytes); escape: the
    instance's KeyEscape characters (bytes)."""
    whole = "".join(t for t, _ in _units(key, escape))
    if len(whole.encode("utf-8")) <= ROOM:
        return whole
    out = ""
    for t, _ in _units(key, escape):
        if len((out + t).encode("utf-8")) > ROOM - SUFFIX:
            break
        out += t
    return out + "~" + hashlib.sha256(key).hexdigest()[:SUFFIX - 1]
