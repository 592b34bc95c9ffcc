#!/usr/bin/env python3
"""Which memcached command probes fire for which command, per key.

usage: check-command-probes.py [--expect] MEMCACHED_BINARY

Starts BINARY on a free loopback port, attaches bpftrace to its
command__* and process__command__start probes, sends one command at a
time (text, meta and binary protocol) and prints, per command, the probes
that fired as "probe key size" (size is the value for incr/decr; "start"
is process__command__start).  With --expect it also compares with what a
memcached carrying memcached-1.6.45-command-probes.patch fires and exits 1
on any difference.  It checks that keylen equals the key's length and that
every probe of one connection carries the same connid.

Commands are separated by binary-protocol GETs on a connection of their
own, which fire command__get on every version, so the trace is split
exactly, without sleeps.  Needs root, bpftrace and readelf.
"""
import os
import select
import socket
import struct
import subprocess
import sys
import time

# (label, connection, request, expected probes on a patched 1.6.45)
# connection: "t" text/meta, "b" binary.  Binary requests are tuples
# (opcode, key, extras, value).  "setup" rows are sent but not reported.
S = "start"
CASES = [
    ("set k1 (stored)", "t", b"set k1 0 0 5\r\nhello\r\n", [S, "set k1 7"]),
    ("get k1 (hit)", "t", b"get k1\r\n", [S, "get k1 7"]),
    ("get nokey (miss)", "t", b"get nokey\r\n", [S, "get nokey -1"]),
    ("setup", "t", b"set k2 0 0 3\r\nabc\r\n", None),
    ("get k1 nokey k2 (multi-get)", "t", b"get k1 nokey k2\r\n",
     [S, "get k1 7", "get nokey -1", "get k2 5"]),
    ("gets k1", "t", b"gets k1\r\n", [S, "get k1 7"]),
    ("gat 100 k1 (hit)", "t", b"gat 100 k1\r\n", [S, "get k1 7"]),
    ("gat 100 nokey (miss)", "t", b"gat 100 nokey\r\n", [S, "get nokey -1"]),
    ("add k1 (exists: not stored)", "t", b"add k1 0 0 2\r\nxx\r\n", [S, "add k1 -1"]),
    ("add k3 (stored)", "t", b"add k3 0 0 4\r\nabcd\r\n", [S, "add k3 6"]),
    ("replace k3 (stored)", "t", b"replace k3 0 0 6\r\nabcdef\r\n", [S, "replace k3 8"]),
    ("replace nokey (not stored)", "t", b"replace nokey 0 0 1\r\nx\r\n", [S, "replace nokey -1"]),
    ("append k3 2 bytes (stored)", "t", b"append k3 0 0 2\r\ngh\r\n", [S, "append k3 4"]),
    ("append nokey (not stored)", "t", b"append nokey 0 0 1\r\nx\r\n", [S, "append nokey -1"]),
    ("prepend k3 1 byte (stored)", "t", b"prepend k3 0 0 1\r\nz\r\n", [S, "prepend k3 3"]),
    ("prepend nokey (not stored)", "t", b"prepend nokey 0 0 1\r\nx\r\n", [S, "prepend nokey -1"]),
    ("cas k2 (stored)", "t", b"cas k2 0 0 3 {cas}\r\nxyz\r\n", [S, "cas k2 5"]),
    ("cas k2 again (exists)", "t", b"cas k2 0 0 3 {cas}\r\nxyz\r\n", [S, "cas k2 5"]),
    ("cas nokey (not found)", "t", b"cas nokey 0 0 1 1\r\nx\r\n", [S, "cas nokey 3"]),
    ("setup", "t", b"set n 0 0 2\r\n10\r\n", None),
    ("incr n 5 (hit)", "t", b"incr n 5\r\n", [S, "incr n 15"]),
    ("decr n 3 (hit)", "t", b"decr n 3\r\n", [S, "decr n 12"]),
    ("incr nokey 1 (miss)", "t", b"incr nokey 1\r\n", [S]),
    ("decr nokey 1 (miss)", "t", b"decr nokey 1\r\n", [S]),
    ("delete k1 (hit)", "t", b"delete k1\r\n", [S, "delete k1"]),
    ("delete k1 (miss)", "t", b"delete k1\r\n", [S]),
    ("touch k2 100 (hit)", "t", b"touch k2 100\r\n", [S, "touch k2 5"]),
    ("touch nokey 100 (miss)", "t", b"touch nokey 100\r\n", [S, "touch nokey -1"]),
    ("mg k2 v (hit)", "t", b"mg k2 v\r\n", [S, "get k2 5"]),
    ("mg k2 (hit, no value)", "t", b"mg k2\r\n", [S, "get k2 5"]),
    ("mg nokey v (miss)", "t", b"mg nokey v\r\n", [S, "get nokey -1"]),
    ("mg k4 N30 v (miss, autovivified)", "t", b"mg k4 N30 v\r\n", [S, "get k4 2"]),
    ("ms m1 4 (set)", "t", b"ms m1 4\r\nabcd\r\n", [S, "set m1 6"]),
    ("ms m1 2 MA (append)", "t", b"ms m1 2 MA\r\nef\r\n", [S, "append m1 4"]),
    ("ms m2 1 ME (add)", "t", b"ms m2 1 ME\r\nx\r\n", [S, "add m2 3"]),
    ("md m1 (hit)", "t", b"md m1\r\n", [S, "delete m1"]),
    ("md m1 (miss)", "t", b"md m1\r\n", [S]),
    ("setup", "t", b"set c 0 0 1\r\n7\r\n", None),
    ("ma c (hit: incr)", "t", b"ma c v\r\n", [S, "incr c 8"]),
    ("ma c MD D5 (hit: decr)", "t", b"ma c MD D5 v\r\n", [S, "decr c 3"]),
    ("ma nokey (miss)", "t", b"ma nokey\r\n", [S]),
    ("binary set bk", "b", (0x01, b"bk", struct.pack("!II", 0, 0), b"val"), [S, "set bk 5"]),
    ("binary get bk (hit)", "b", (0x00, b"bk", b"", b""), [S, "get bk 5"]),
    ("binary get nokey (miss)", "b", (0x00, b"nokey", b"", b""), [S, "get nokey -1"]),
    ("binary touch bk (hit)", "b", (0x1c, b"bk", struct.pack("!I", 100), b""), [S, "touch bk 5"]),
    ("setup", "b", (0x01, b"bn", struct.pack("!II", 0, 0), b"5"), None),
    ("binary incr bn 2 (hit)", "b", (0x05, b"bn", struct.pack("!QQI", 2, 0, 0xffffffff), b""),
     [S, "incr bn 7"]),
    ("binary decr bn 1 (hit)", "b", (0x06, b"bn", struct.pack("!QQI", 1, 0, 0xffffffff), b""),
     [S, "decr bn 6"]),
    ("binary delete bk (hit)", "b", (0x04, b"bk", b"", b""), [S, "delete bk"]),
    ("binary delete bk (miss)", "b", (0x04, b"bk", b"", b""), [S]),
]

FIVE = ["get", "set", "add", "replace", "append", "prepend", "cas", "touch"]


def bpftrace_program(binary):
    notes = subprocess.run(["readelf", "-n", binary], capture_output=True,
                           text=True, check=True).stdout
    have = {l.split()[1] for l in notes.splitlines() if l.strip().startswith("Name:")}
    u = "usdt:%s:memcached:" % binary
    prog = []
    for p in FIVE:
        if "command__" + p in have:
            prog.append(u + 'command__%s { printf("%s %%d %%s %%d %%d\\n", arg0, '
                        'str(arg1, arg2), arg2, (int32)arg3); }' % (p, p))
    for p in ["incr", "decr"]:
        if "command__" + p in have:
            prog.append(u + 'command__%s { printf("%s %%d %%s %%d %%ld\\n", arg0, '
                        'str(arg1, arg2), arg2, (int64)arg3); }' % (p, p))
    if "command__delete" in have:
        prog.append(u + 'command__delete { printf("delete %d %s %d\\n", arg0, '
                    'str(arg1, arg2), arg2); }')
    prog.append(u + 'process__command__start { printf("start %d\\n", arg0); }')
    return "\n".join(prog)


class Tracer:
    def __init__(self, binary, pid):
        self.p = subprocess.Popen(["bpftrace", "-B", "none", "-p", str(pid), "-e",
                                   bpftrace_program(binary)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines, self.partial = [], b""

    def pump(self, timeout=0.05):
        fd = self.p.stdout.fileno()
        while select.select([fd], [], [], timeout)[0]:
            data = os.read(fd, 65536)
            if not data:
                return
            *full, self.partial = (self.partial + data).split(b"\n")
            self.lines.extend(l.decode(errors="replace") for l in full)

    def wait_for(self, prefix, timeout=5.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.pump()
            if any(l.startswith(prefix) for l in self.lines):
                return True
            if self.p.poll() is not None:
                raise SystemExit("bpftrace exited: " + self.p.stderr.read().decode())
        return False


def text_req(sock, data):
    sock.sendall(data)
    buf = b""
    # replies here end in END, a status line, or a meta value block
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return buf
        buf += chunk
        if buf.startswith(b"VALUE") and not buf.endswith(b"END\r\n"):
            continue
        if buf.startswith(b"VA ") and buf.count(b"\r\n") < 2:
            continue
        if buf.endswith(b"\r\n"):
            return buf


def bin_req(sock, op, key, extras=b"", value=b""):
    sock.sendall(struct.pack("!BBHBBHIIQ", 0x80, op, len(key), len(extras), 0, 0,
                             len(extras) + len(key) + len(value), 0, 0)
                 + extras + key + value)
    hdr = b""
    while len(hdr) < 24:
        hdr += sock.recv(24 - len(hdr))
    status, blen = struct.unpack("!6xH I", hdr[:12])
    body = b""
    while len(body) < blen:
        body += sock.recv(blen - len(body))
    return "status %d" % status


def main():
    args = sys.argv[1:]
    expect = "--expect" in args
    args = [a for a in args if a != "--expect"]
    if len(args) != 1:
        raise SystemExit(__doc__)
    binary = os.path.realpath(args[0])

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    mc = subprocess.Popen([binary, "-U", "0", "-u", "root", "-t", "2",
                           "-l", "127.0.0.1", "-p", str(port)])
    tr = None
    try:
        for _ in range(100):
            try:
                conns = {k: socket.create_connection(("127.0.0.1", port), timeout=5)
                         for k in "tbm"}
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise SystemExit("memcached did not start")
        tr = Tracer(binary, mc.pid)

        # "Attaching N probes" comes before the uprobes are live: resend a
        # marker until it is seen.
        n, deadline = 0, time.time() + 60
        while not tr.wait_for("get ", 0.5):
            if time.time() > deadline:
                raise SystemExit("bpftrace did not attach")
            n += 1
            bin_req(conns["m"], 0x00, b"SYNC%d" % n)
        mark_fd = next(l for l in tr.lines if l.startswith("get ")).split()[1]
        marks = [0]

        def mark():
            marks[0] += 1
            bin_req(conns["m"], 0x00, b"MARK%d" % marks[0])
            if not tr.wait_for("get %s MARK%d " % (mark_fd, marks[0])):
                raise SystemExit("marker %d not seen" % marks[0])

        mark()
        cas = b"0"
        rows, failed, connids = [], 0, {}
        for label, conn, req, want in CASES:
            if label.startswith("cas k2"):
                if cas == b"0":
                    r = text_req(conns["t"], b"gets k2\r\n")
                    cas = r.split(b"\r\n")[0].split()[-1]
                    mark()
                req = req.replace(b"{cas}", cas)
            first = len(tr.lines)
            if conn == "t":
                reply = text_req(conns["t"], req).decode(errors="replace")
                reply = reply.strip().split("\r\n")[0]
            else:
                reply = bin_req(conns["b"], *req)
            mark()
            if want is None:
                continue
            got = []
            for l in tr.lines[first:]:
                f = l.split()
                if f[1] == mark_fd:
                    continue
                if f[0] == "start":
                    got.append("start")
                else:
                    key, klen = f[2], int(f[3])
                    if klen != len(key):
                        got.append("%s %s KEYLEN=%d" % (f[0], key, klen))
                    else:
                        got.append(" ".join([f[0], key] + f[4:]))
                if connids.setdefault(conn, f[1]) != f[1]:
                    got.append("CONNID %s != %s" % (f[1], connids[conn]))
            ok = got == want
            failed += not ok
            rows.append((label, reply, got, want, ok))

        print("| command | reply | probes fired |%s" % (" expected |" if expect else ""))
        print("|---|---|---|%s" % ("---|" if expect else ""))
        for label, reply, got, want, ok in rows:
            print("| %s | %s | %s |%s" % (
                label, reply.replace("|", "\\|"), ", ".join(got) or "-",
                (" ok |" if ok else " **%s** |" % (", ".join(want) or "-")) if expect else ""))
        if expect:
            print("\n%d of %d commands as expected" % (len(rows) - failed, len(rows)))
            return 1 if failed else 0
        return 0
    finally:
        if tr is not None and tr.p.poll() is None:
            tr.p.terminate()
            tr.p.wait()
        mc.terminate()
        mc.wait()


if __name__ == "__main__":
    sys.exit(main())
