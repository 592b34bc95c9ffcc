"""Minimal memcached clients for mctop's end-to-end tests.

Two classes, one TCP connection each, standard library only:

MemcacheClient(host, port)
    The text protocol (get, gets, get_multi, gat, set, add, replace, append,
    prepend, cas, incr, decr, delete, touch, version, flush_all, stats) and
    the memcached 1.6 meta protocol (mg, ms, md, ma, plus meta() for raw
    meta commands).

BinaryClient(host, port)
    The binary protocol (get, gat, set, add, replace, append, prepend,
    delete, incr, decr, touch, version, flush, noop).

Keys and values may be given as bytes or str (str is UTF-8 encoded); keys
are sent byte for byte, so tests can use '.', ':', '/', UTF-8 and 250-byte
keys.  Text/meta keys must not contain spaces or control bytes (that would
split or end the command line); the client raises ValueError for those and
for keys over 250 bytes, because memcached would otherwise desynchronise
the stream.  Binary keys may contain any byte.

Conventions: a miss returns None (or False for commands that return a
bool); a negative server answer (NOT_STORED, EXISTS, NOT_FOUND) returns
False; ERROR / CLIENT_ERROR / SERVER_ERROR and binary error statuses raise
ServerError; a malformed or unexpected reply raises ProtocolError; a closed
connection raises ConnectionError.
"""

import socket
import struct

__all__ = ['MemcacheClient', 'BinaryClient', 'ProtocolError', 'ServerError',
           'KEY_MAX']

KEY_MAX = 250
CRLF = b'\r\n'


class ProtocolError(Exception):
    """The server sent something this client did not expect."""


class ServerError(Exception):
    """The server answered with an error (text ERROR lines, binary status)."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


def to_bytes(x):
    """bytes as is, str as UTF-8, int as its decimal digits."""
    if isinstance(x, (bytes, bytearray, memoryview)):
        return bytes(x)
    if isinstance(x, str):
        return x.encode('utf-8')
    if isinstance(x, int):
        return str(x).encode()
    raise TypeError('expected bytes, str or int, got %r' % type(x))


def text_key(key):
    """Encode a key for the text/meta protocol; reject unsafe keys."""
    k = to_bytes(key)
    if not k or len(k) > KEY_MAX:
        raise ValueError('text key must be 1..%d bytes: %r' % (KEY_MAX, k))
    if any(b <= 0x20 or b == 0x7f for b in k):
        raise ValueError('text key contains whitespace/control: %r' % k)
    return k


class _Conn:
    """A TCP socket with a buffered reader (shared by both clients)."""

    def __init__(self, host, port, timeout):
        self.host, self.port = host, port
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile = self.sock.makefile('rb')

    def close(self):
        """Close the connection (idempotent)."""
        if self.sock is not None:
            self.rfile.close()
            self.sock.close()
            self.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _send(self, data):
        self.sock.sendall(data)

    def _read_exact(self, n):
        data = self.rfile.read(n)
        if data is None or len(data) != n:
            raise ConnectionError('connection closed by memcached')
        return data


class MemcacheClient(_Conn):
    """Text and meta protocol client over one connection."""

    def __init__(self, host='127.0.0.1', port=11211, timeout=5.0):
        super().__init__(host, port, timeout)

    # -- plumbing -------------------------------------------------------
    def _readline(self):
        """One reply line without CRLF; raise ServerError on error lines."""
        line = self.rfile.readline()
        if not line.endswith(CRLF):
            raise ConnectionError('connection closed by memcached')
        line = line[:-2]
        if line == b'ERROR' or line.startswith((b'CLIENT_ERROR',
                                                b'SERVER_ERROR')):
            raise ServerError(line.decode('utf-8', 'replace'))
        return line

    def _read_data(self, size):
        data = self._read_exact(size + 2)
        if data[-2:] != CRLF:
            raise ProtocolError('data block not terminated by CRLF')
        return data[:-2]

    def command(self, line, data=None):
        """Send a raw command line (+ optional data block); return 1 line."""
        msg = to_bytes(line) + CRLF
        if data is not None:
            msg += to_bytes(data) + CRLF
        self._send(msg)
        return self._readline()

    def _expect(self, line, answers):
        """Map a reply line through answers, else raise ProtocolError."""
        if line in answers:
            return answers[line]
        raise ProtocolError('unexpected reply: %r' % line)

    def _read_values(self):
        """Read VALUE blocks until END: {key bytes: (value, flags, cas)}."""
        out = {}
        while True:
            line = self._readline()
            if line == b'END':
                return out
            parts = line.split(b' ')
            if parts[0] != b'VALUE' or len(parts) not in (4, 5):
                raise ProtocolError('unexpected reply: %r' % line)
            cas = int(parts[4]) if len(parts) == 5 else None
            out[parts[1]] = (self._read_data(int(parts[3])), int(parts[2]),
                             cas)

    def _retrieve(self, cmd, keys):
        """Send a retrieval command; {original key: (value, flags, cas)}."""
        enc = {text_key(k): k for k in keys}
        self._send(cmd + b' ' + b' '.join(enc) + CRLF)
        return {enc[k]: v for k, v in self._read_values().items() if k in enc}

    # -- retrieval ------------------------------------------------------
    def get(self, key):
        """`get key` -> value bytes, or None on a miss."""
        hit = self._retrieve(b'get', [key]).get(key)
        return hit[0] if hit else None

    def get_multi(self, keys):
        """`get k1 k2 ...` -> {key: value} for the hits only."""
        return {k: v[0] for k, v in self._retrieve(b'get', keys).items()}

    def gets(self, key):
        """`gets key` -> (value, cas) or None on a miss."""
        hit = self._retrieve(b'gets', [key]).get(key)
        return (hit[0], hit[2]) if hit else None

    def gat(self, exptime, key):
        """`gat exptime key` (get and touch) -> value or None."""
        hit = self._retrieve(b'gat %d' % exptime, [key]).get(key)
        return hit[0] if hit else None

    # -- storage --------------------------------------------------------
    def _store(self, cmd, key, value, flags, exptime, noreply, cas=None):
        """Send a storage command; return the reply line (None: noreply)."""
        v = to_bytes(value)
        line = b'%s %s %d %d %d' % (cmd, text_key(key), flags, exptime,
                                    len(v))
        if cas is not None:
            line += b' %d' % cas
        if noreply:
            self._send(line + b' noreply' + CRLF + v + CRLF)
            return None
        self._send(line + CRLF + v + CRLF)
        return self._readline()

    def _store_bool(self, cmd, key, value, flags, exptime, noreply):
        reply = self._store(cmd, key, value, flags, exptime, noreply)
        if reply is None:
            return None
        return self._expect(reply, {b'STORED': True, b'NOT_STORED': False,
                                    b'EXISTS': False, b'NOT_FOUND': False})

    def set(self, key, value, flags=0, exptime=0, noreply=False):
        """STORED -> True (None with noreply)."""
        return self._store_bool(b'set', key, value, flags, exptime, noreply)

    def add(self, key, value, flags=0, exptime=0, noreply=False):
        """True if stored, False (NOT_STORED) if the key exists."""
        return self._store_bool(b'add', key, value, flags, exptime, noreply)

    def replace(self, key, value, flags=0, exptime=0, noreply=False):
        """True if stored, False (NOT_STORED) if the key is missing."""
        return self._store_bool(b'replace', key, value, flags, exptime,
                                noreply)

    def append(self, key, value, flags=0, exptime=0, noreply=False):
        """True if stored, False (NOT_STORED) if the key is missing."""
        return self._store_bool(b'append', key, value, flags, exptime,
                                noreply)

    def prepend(self, key, value, flags=0, exptime=0, noreply=False):
        """True if stored, False (NOT_STORED) if the key is missing."""
        return self._store_bool(b'prepend', key, value, flags, exptime,
                                noreply)

    def cas(self, key, value, cas, flags=0, exptime=0, noreply=False):
        """-> 'STORED', 'EXISTS' or 'NOT_FOUND' (None with noreply)."""
        reply = self._store(b'cas', key, value, flags, exptime, noreply,
                            cas=cas)
        if reply is None:
            return None
        return self._expect(reply, {b'STORED': 'STORED', b'EXISTS': 'EXISTS',
                                    b'NOT_FOUND': 'NOT_FOUND'})

    # -- other commands -------------------------------------------------
    def _simple(self, line, answers, noreply=False):
        if noreply:
            self._send(line + b' noreply' + CRLF)
            return None
        return self._expect(self.command(line), answers)

    def _arith(self, cmd, key, delta, noreply):
        line = b'%s %s %d' % (cmd, text_key(key), delta)
        if noreply:
            self._send(line + b' noreply' + CRLF)
            return None
        reply = self.command(line)
        if reply == b'NOT_FOUND':
            return None
        if not reply.isdigit():
            raise ProtocolError('unexpected reply: %r' % reply)
        return int(reply)

    def incr(self, key, delta=1, noreply=False):
        """-> new value, or None if the key is missing."""
        return self._arith(b'incr', key, delta, noreply)

    def decr(self, key, delta=1, noreply=False):
        """-> new value, or None if the key is missing."""
        return self._arith(b'decr', key, delta, noreply)

    def delete(self, key, noreply=False):
        """True if deleted, False if the key was missing."""
        return self._simple(b'delete ' + text_key(key),
                            {b'DELETED': True, b'NOT_FOUND': False}, noreply)

    def touch(self, key, exptime, noreply=False):
        """True if touched, False if the key was missing."""
        return self._simple(b'touch %s %d' % (text_key(key), exptime),
                            {b'TOUCHED': True, b'NOT_FOUND': False}, noreply)

    def version(self):
        """-> the version string, e.g. '1.6.18'."""
        reply = self.command(b'version')
        if not reply.startswith(b'VERSION '):
            raise ProtocolError('unexpected reply: %r' % reply)
        return reply[8:].decode()

    def flush_all(self, delay=0):
        """Invalidate every item; True on OK."""
        return self._expect(self.command(b'flush_all %d' % delay),
                            {b'OK': True})

    def stats(self, group=''):
        """`stats [group]` -> {name: value} as str."""
        self._send(b'stats %s\r\n' % to_bytes(group) if group
                   else b'stats\r\n')
        out = {}
        while True:
            line = self._readline()
            if line == b'END':
                return out
            parts = line.decode('utf-8', 'replace').split(' ', 2)
            if parts[0] != 'STAT' or len(parts) != 3:
                raise ProtocolError('unexpected reply: %r' % line)
            out[parts[1]] = parts[2]

    # -- meta protocol (memcached >= 1.6) ------------------------------
    def meta(self, cmd, key, flags='', data=None):
        """Raw meta command: `<cmd> <key> [datalen] <flags>`.

        flags is a space-separated string of meta flags ('v c t', 'MI N0').
        data (for ms) is sent as the value block.  Returns (code, flags,
        value): code is the 2-letter reply (b'HD', b'VA', b'EN', b'NF',
        b'NS', b'EX'), flags the list of returned flag tokens (str), value
        the data block for VA replies, else None.  Quiet mode ('q') is not
        supported here: it would leave a hit-or-nothing reply to match.
        """
        if 'q' in flags.split():
            raise ValueError('quiet meta mode is not supported')
        line = to_bytes(cmd) + b' ' + text_key(key)
        if data is not None:
            data = to_bytes(data)
            line += b' %d' % len(data)
        if flags:
            line += b' ' + to_bytes(flags)
        self._send(line + CRLF + (data + CRLF if data is not None else b''))
        parts = self._readline().split(b' ')
        code, rest = parts[0], [p.decode('utf-8', 'replace')
                                for p in parts[1:]]
        if code == b'VA':
            return code, rest[1:], self._read_data(int(rest[0]))
        if code in (b'HD', b'EN', b'NF', b'NS', b'EX'):
            return code, rest, None
        raise ProtocolError('unexpected meta reply: %r' % parts)

    def mg(self, key, flags='v'):
        """Meta get.  Miss (EN) -> None.  Hit -> the value if 'v' is among
        flags, else True (HD)."""
        code, _, value = self.meta(b'mg', key, flags)
        if code == b'EN':
            return None
        if code == b'VA':
            return value
        return self._expect(code, {b'HD': True})

    def ms(self, key, value, flags=''):
        """Meta set (flags e.g. 'T60', 'MA' for append, 'C<cas>').
        HD -> True; NS / EX / NF -> False."""
        code, _, _ = self.meta(b'ms', key, flags, data=value)
        return self._expect(code, {b'HD': True, b'NS': False, b'EX': False,
                                   b'NF': False})

    def md(self, key, flags=''):
        """Meta delete.  HD -> True, NF -> False."""
        code, _, _ = self.meta(b'md', key, flags)
        return self._expect(code, {b'HD': True, b'NF': False, b'EX': False})

    def ma(self, key, mode=None, delta=None, return_value=False):
        """Meta arithmetic.  mode: None/'I'/'+' increment, 'D'/'-'
        decrement; delta defaults to 1.  Miss (NF) -> None if return_value
        else False; hit -> the new value (int) if return_value else True."""
        flags = []
        if mode is not None:
            flags.append('M' + {'+': 'I', '-': 'D'}.get(mode, mode))
        if delta is not None:
            flags.append('D%d' % delta)
        if return_value:
            flags.append('v')
        code, _, value = self.meta(b'ma', key, ' '.join(flags))
        if code == b'NF':
            return None if return_value else False
        if code == b'VA':
            return int(value)
        return self._expect(code, {b'HD': True})


# -- binary protocol --------------------------------------------------------
_HDR = struct.Struct('>BBHBBHIIQ')  # magic op keylen extlen dtype vb/status
#                                    bodylen opaque cas
_OP = {'get': 0x00, 'set': 0x01, 'add': 0x02, 'replace': 0x03,
       'delete': 0x04, 'incr': 0x05, 'decr': 0x06, 'flush': 0x08,
       'noop': 0x0a, 'version': 0x0b, 'append': 0x0e, 'prepend': 0x0f,
       'touch': 0x1c, 'gat': 0x1d}
ST_OK, ST_NOT_FOUND, ST_EXISTS, ST_NOT_STORED = 0x00, 0x01, 0x02, 0x05
NO_CREATE = 0xffffffff  # incr/decr expiration meaning "fail on a miss"


class BinaryClient(_Conn):
    """Binary protocol client over one connection (keys: any bytes)."""

    def __init__(self, host='127.0.0.1', port=11211, timeout=5.0):
        super().__init__(host, port, timeout)
        self._opaque = 0

    def request(self, op, key=b'', extras=b'', value=b'', cas=0):
        """Send one request; return (status, extras, key, value, cas)."""
        key, value = to_bytes(key), to_bytes(value)
        self._opaque = (self._opaque + 1) & 0xffffffff
        self._send(_HDR.pack(0x80, _OP[op], len(key), len(extras), 0, 0,
                             len(extras) + len(key) + len(value),
                             self._opaque, cas) + extras + key + value)
        (magic, rop, klen, elen, _, status, blen, opaque,
         rcas) = _HDR.unpack(self._read_exact(_HDR.size))
        body = self._read_exact(blen)
        if magic != 0x81 or rop != _OP[op] or opaque != self._opaque:
            raise ProtocolError('bad response header: magic %#x op %#x '
                                'opaque %d' % (magic, rop, opaque))
        return (status, body[:elen], body[elen:elen + klen],
                body[elen + klen:], rcas)

    def _call(self, op, key=b'', extras=b'', value=b'', cas=0, ok=()):
        """request(); statuses in ok are returned, others raise."""
        r = self.request(op, key, extras, value, cas)
        if r[0] != ST_OK and r[0] not in ok:
            raise ServerError('binary %s: status %#x %r' % (op, r[0], r[3]),
                              status=r[0])
        return r

    def get(self, key):
        """-> value bytes, or None on a miss."""
        st, _, _, value, _ = self._call('get', key, ok=(ST_NOT_FOUND,))
        return value if st == ST_OK else None

    def gat(self, key, exptime):
        """Get and touch -> value bytes, or None on a miss."""
        st, _, _, value, _ = self._call('gat', key, struct.pack('>I', exptime),
                                        ok=(ST_NOT_FOUND,))
        return value if st == ST_OK else None

    def _store(self, op, key, value, flags, exptime, cas=0):
        extras = struct.pack('>II', flags, exptime)
        st = self._call(op, key, extras, value, cas,
                        ok=(ST_NOT_FOUND, ST_EXISTS, ST_NOT_STORED))[0]
        return st == ST_OK

    def set(self, key, value, flags=0, exptime=0, cas=0):
        """True if stored (False only when a non-zero cas mismatches)."""
        return self._store('set', key, value, flags, exptime, cas)

    def add(self, key, value, flags=0, exptime=0):
        """True if stored, False if the key exists."""
        return self._store('add', key, value, flags, exptime)

    def replace(self, key, value, flags=0, exptime=0):
        """True if stored, False if the key is missing."""
        return self._store('replace', key, value, flags, exptime)

    def _concat(self, op, key, value):
        st = self._call(op, key, b'', value, ok=(ST_NOT_FOUND,
                                                  ST_NOT_STORED))[0]
        return st == ST_OK

    def append(self, key, value):
        """True if stored, False if the key is missing."""
        return self._concat('append', key, value)

    def prepend(self, key, value):
        """True if stored, False if the key is missing."""
        return self._concat('prepend', key, value)

    def delete(self, key):
        """True if deleted, False if the key was missing."""
        return self._call('delete', key, ok=(ST_NOT_FOUND,))[0] == ST_OK

    def touch(self, key, exptime):
        """True if touched, False if the key was missing."""
        st = self._call('touch', key, struct.pack('>I', exptime),
                        ok=(ST_NOT_FOUND,))[0]
        return st == ST_OK

    def _arith(self, op, key, delta, initial, exptime):
        if initial is None:
            initial, exptime = 0, NO_CREATE
        extras = struct.pack('>QQI', delta, initial, exptime)
        st, _, _, value, _ = self._call(op, key, extras, ok=(ST_NOT_FOUND,))
        return struct.unpack('>Q', value)[0] if st == ST_OK else None

    def incr(self, key, delta=1, initial=None, exptime=0):
        """-> new value.  initial=None: a miss returns None (the item is
        not created); an int: a miss creates the item with that value."""
        return self._arith('incr', key, delta, initial, exptime)

    def decr(self, key, delta=1, initial=None, exptime=0):
        """Like incr(), decrementing (memcached floors at 0)."""
        return self._arith('decr', key, delta, initial, exptime)

    def version(self):
        """-> the version string."""
        return self._call('version')[3].decode()

    def flush(self):
        """Invalidate every item."""
        self._call('flush')
        return True

    def noop(self):
        """Round trip with no effect."""
        self._call('noop')
        return True
