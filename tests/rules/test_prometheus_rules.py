#!/usr/bin/env python3
"""The shipped Prometheus rules, checked and unit-tested with promtool.

contrib/prometheus/mctop-rules.yml must be valid (promtool check rules),
and tests/rules/mctop-rules.test.yml must pass (promtool test rules): on
series shaped as Prometheus stores a scrape of collectd's write_prometheus,
a hot key, a miss storm, an instance tracing nothing, one with no probe,
rising key_slot_misses and a slow drain each fire their alert, with its
labels and text, and uniform, idle and healthy instances fire none.
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import mctest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RULES = os.path.join(mctest.SRCDIR, "contrib", "prometheus",
                     "mctop-rules.yml")
TESTS = os.path.join(HERE, "mctop-rules.test.yml")


def main():
    tap = mctest.Tap()
    if shutil.which("promtool") is None:
        tap.bail("promtool is missing: scripts/install-deps installs "
                 "Debian's prometheus package, which ships it")
    p = subprocess.run(["promtool", "check", "rules", RULES],
                       capture_output=True, text=True)
    tap.ok(p.returncode == 0 and "SUCCESS" in p.stdout,
           "promtool check rules: the rules file is valid",
           p.stdout + p.stderr)
    # promtool resolves rule_files against the test file's directory.
    p = subprocess.run(["promtool", "test", "rules", TESTS],
                       capture_output=True, text=True, cwd=HERE)
    tap.ok(p.returncode == 0 and "SUCCESS" in p.stdout,
           "promtool test rules: every alert fires where it should, with its "
           "labels and text, and nowhere else", p.stdout + p.stderr)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
