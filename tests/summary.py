#!/usr/bin/env python3
"""Prints one 'N passed, N failed, N skipped' line for a make check run.

Counts the TAP results in each test's .trs file (automake writes one per
test script), so the line counts checks, not scripts, and a run that
executed nothing prints '0 passed' and exits 1.
"""
import pathlib
import sys


def main(build_dir):
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0, "ERROR": 0, "XFAIL": 0, "XPASS": 0}
    for trs in pathlib.Path(build_dir).rglob("*.trs"):
        for line in trs.read_text(errors="replace").splitlines():
            if line.startswith(":test-result: "):
                result = line.split()[1]
                counts[result] = counts.get(result, 0) + 1
    passed = counts["PASS"] + counts["XFAIL"]
    failed = counts["FAIL"] + counts["ERROR"] + counts["XPASS"]
    print(f"{passed} passed, {failed} failed, {counts['SKIP']} skipped")
    return 0 if passed > 0 and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
