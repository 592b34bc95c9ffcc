#!/usr/bin/env python3
"""End to end: a target's bytes can't forge log lines or drive a terminal.

A scratch copy of memcached 1.6.18, stripped, names in its .gnu_debuglink
a debug file called ESC ] 0 ; title BEL, CR LF and a forged
"mctop plugin: " line, so that symbol mode goes looking for it (and fails:
the file holds nothing).  The mctop command (`-b COPY --probes symbols`,
with and without -v) and collectd loading mctop.so with the copy as an
instance's Binary must report the failure with no raw ESC, BEL or CR on
stderr or in collectd's log and no line that starts with the forged text;
the name is shown escaped (\\x1b ... \\x0d\\x0a) or refused with a message.
collectd keeps running.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import mctest
import mctopcmd

LINK = b"x\x1b]0;PWNED\x07\r\nmctop plugin: forged line\x1b[2J.debug"
RAW = (b"\x1b", b"\x07", b"\r", b"\xc2\x9b")
FORGED = re.compile(rb"^(\[[^\]]*\] )*mctop(:| plugin:) forged", re.M)


def scratch_copy(work):
    """The stripped copy, its .gnu_debuglink naming LINK beside it."""
    copy = os.path.join(work, "memcached")
    shutil.copy(mctest.memcached_binary("1.6.18"), copy)
    subprocess.run(["strip", "--strip-all", copy], check=True)
    debug = os.path.join(work.encode(), LINK)
    with open(debug, "wb") as f:
        f.write(b"not an ELF file\n")
    subprocess.run([b"objcopy", b"--add-gnu-debuglink=" + debug,
                    copy.encode()], check=True)
    return copy


def check(tap, label, data):
    raw = [r for r in RAW if r in data]
    tap.ok(not raw and not FORGED.search(data),
           f"{label}: no raw ESC, BEL, CR or C1, no line starting with the "
           "forged text", repr(data[-1500:]))
    shown = b"\\x1b]0;PWNED\\x07\\x0d\\x0amctop plugin: forged" in data
    # The message names only the first place a debug file was looked for
    # (by build id) and counts the others, the debuglink's among them.
    refused = (b"debuglink" in data or b"no memcached function symbols" in data
               or b"nor at 3 other places" in data)
    tap.ok(shown or refused, f"{label}: the failure is reported, the name "
           f"{'escaped' if shown else 'refused'}", repr(data[-1500:]))


def command(tap, copy):
    for extra in ([], ["-v"]):
        p = subprocess.run([mctopcmd.command(), "-b", copy, "--probes",
                            "symbols", "--json", "-n", "1", *extra],
                           capture_output=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        label = "mctop -b" + (" -v" if extra else "")
        tap.ok(p.returncode == 1, f"{label}: status 1 ({p.returncode})",
               p.stderr.decode(errors="replace"))
        check(tap, label + " stderr", p.stderr + p.stdout)


def collectd(tap, copy):
    conf = (f'<Instance "evil">\n  Binary "{copy}"\n  Probes "symbols"\n'
            "</Instance>\n")
    cd = mctest.Collectd(os.environ["MCTOP_PLUGIN"], conf, interval=1)
    try:
        cd.start()
        mctest.wait_until(lambda: "symbols" in cd.log() and
                          "evil" in cd.log(), 15, 0.2)
        time.sleep(1)
        tap.ok(cd.running(), "collectd keeps running", cd.log()[-2000:])
        with open(cd.log_path, "rb") as f:
            log = f.read()
        check(tap, "collectd's log", log + cd.output().encode())
    finally:
        cd.stop()
        shutil.rmtree(cd.tmp, ignore_errors=True)


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    work = tempfile.mkdtemp(prefix="mctop-log-escape-")
    try:
        copy = scratch_copy(work)
        command(tap, copy)
        collectd(tap, copy)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
