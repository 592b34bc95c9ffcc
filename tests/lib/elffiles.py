"""ELF files the tests make of a memcached build: its GNU build id, and a
stripped copy with its debug file apart (as distributions ship them)."""
import os
import re
import subprocess


def build_id(path):
    """The file's GNU build id, in hex (readelf -n)."""
    out = subprocess.run(["readelf", "-n", path], capture_output=True,
                         text=True, check=True).stdout
    return re.search(r"Build ID: ([0-9a-f]+)", out).group(1)


def split_debug(binary, work, name="memcached.stripped"):
    """(a stripped copy of binary named name, with a .gnu_debuglink to
    memcached.debug; that debug file), both in work."""
    stripped = os.path.join(work, name)
    debug = os.path.join(work, "memcached.debug")
    subprocess.run(["objcopy", "--only-keep-debug", binary, debug], check=True)
    subprocess.run(["strip", "--strip-all", "-o", stripped, binary],
                   check=True)
    subprocess.run(["objcopy", f"--add-gnu-debuglink={debug}", stripped],
                   check=True)
    return stripped, debug
