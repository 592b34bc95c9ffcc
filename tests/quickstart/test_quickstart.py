#!/usr/bin/env python3
"""README's quick start, run as a newcomer runs it: its lines taken from
README.md literally and run in a fresh clone of this checkout, in a root
shell with no working sudo (a `sudo` placed first on PATH fails and says
it was called), then as a user without sudo.

- the first line (the demo) installs what it needs, builds and shows live
  hot keys: first from the mctop command, then as collectd received them,
  and names where the command is;
- the second line (the tests) is what .ci/run runs;
- as a user, with no sudo on the machine, the demo says to run it in a root
  shell, and changes nothing.

Needs root and a git checkout (it clones it): run by .ci/run, or by hand.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import mctest  # noqa: E402

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def quick_start_lines():
    """The commands of the README's quick-start block, comments dropped."""
    with open(os.path.join(SRC, "README.md")) as f:
        text = f.read()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line.split("#", 1)[0].strip() for line in block.splitlines()
            if line.split("#", 1)[0].strip()]


def main():
    tap = mctest.Tap()
    mctest.require_root(tap)
    lines = quick_start_lines()
    tap.ok(len(lines) == 2 and not any("sudo" in ln for ln in lines),
           "README's quick start is two commands, neither through sudo",
           str(lines))
    with open(os.path.join(SRC, ".ci", "run")) as f:
        ci = f.read()
    tap.ok(len(lines) == 2 and re.search(r"^" + re.escape(lines[1]) + r"$",
                                         ci, re.M),
           f"CI runs the second line as written ({lines[1:]})")
    work = tempfile.mkdtemp(prefix="mctop-quickstart-")
    os.chmod(work, 0o755)     # the user below reads the clone too
    try:
        clone = os.path.join(work, "mctop")
        subprocess.run(["git", "clone", "-q", SRC, clone], check=True)
        shim = os.path.join(work, "bin")
        os.mkdir(shim)
        marker = os.path.join(work, "sudo-was-called")
        with open(os.path.join(shim, "sudo"), "w") as f:
            f.write(f"#!/bin/sh\necho \"$@\" > {marker}\n"
                    "echo 'sudo: command not found' >&2\nexit 127\n")
        os.chmod(os.path.join(shim, "sudo"), 0o755)
        env = dict(os.environ, PATH=shim + ":" + os.environ["PATH"],
                   MCTOP_DEMO_SECONDS="8")
        env.pop("BUILD_DIR", None)
        p = subprocess.run(["bash", "-c", lines[0]], cwd=clone, env=env,
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=1200)
        out = p.stdout + p.stderr
        tap.ok(p.returncode == 0, f"as root, `{lines[0]}` runs to its end "
               f"in a fresh clone (status {p.returncode})", out[-3000:])
        tap.ok(not os.path.exists(marker), "as root it never calls sudo")
        m = re.search(r"its last interval's top keys.*?\n  (product:\d+) +"
                      r"(\d+) calls", out, re.S)
        tap.ok(m and int(m.group(2)) > 0, "the mctop command part shows live "
               f"hot keys ({m and m.group(1)}: {m and m.group(2)} calls)",
               out[-3000:])
        rows = re.findall(r"^(product:\d+) +(\d+) +(\d+)", out, re.M)
        tap.ok(rows and max(int(r[1]) for r in rows) > 0,
               "collectd's side shows live hot keys with calls per second "
               f"({len(rows)} rows)", out[-2000:])
        tap.ok(re.search(r"the command is build/mctop", out),
               "the demo ends naming the command: build/mctop", out[-600:])
        tap.ok(os.access(os.path.join(clone, "build", "mctop"), os.X_OK),
               "build/mctop is there, as README says")
        noise = [ln for ln in out.splitlines()
                 if re.search(r"aclocal: warning|installing '", ln)]
        tap.ok(not noise, "no build noise (aclocal warnings, autoreconf's "
               "installing lines)", "\n".join(noise[:5]))
        # As a user, on this machine without sudo: a clear word, no change.
        nobody = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             "bash", "-c", lines[0]], cwd=clone, capture_output=True,
            text=True, timeout=60,
            env=dict(os.environ, PATH="/usr/local/bin:/usr/bin:/bin"))
        have_sudo = shutil.which("sudo", path="/usr/local/bin:/usr/bin:/bin")
        if have_sudo:
            tap.skip("as a user without sudo, the demo says to run it in a "
                     "root shell", "sudo is installed here: the no-sudo "
                     "message is not reachable")
        else:
            tap.ok(nobody.returncode == 1 and
                   "needs root (apt-get, BPF), and sudo is not installed: "
                   "run it in a root shell (su -, then scripts/demo)" in
                   nobody.stderr,
                   "as a user without sudo, the demo says to run it in a "
                   f"root shell (status {nobody.returncode})",
                   nobody.stdout + nobody.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(tap.done())


if __name__ == "__main__":
    main()
