#!/usr/bin/env python3
"""Checks that two JUnit files give every testcase the same outcome.

    same_outcomes.py EXPECTED.xml ACTUAL.xml

EXPECTED is a `hil run --backend sim` report, ACTUAL the same scenarios through another backend
(the stand-in rig). Prints one line per difference and exits 1 when there is any, or when a
testcase is missing from either side; the last line says how many agreed.
"""
import sys
import xml.etree.ElementTree as ET


def outcomes(path):
    cases = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        key = (case.get("classname"), case.get("name"))
        if case.find("failure") is not None or case.find("error") is not None:
            status = "failed"
        elif case.find("skipped") is not None:
            status = "skipped"
        else:
            status = "passed"
        failure = case.find("failure")
        cases[key] = (status, failure.get("message", "") if failure is not None else "")
    return cases


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    expected, actual = outcomes(sys.argv[1]), outcomes(sys.argv[2])
    differences = 0
    for key in sorted(set(expected) | set(actual)):
        want, got = expected.get(key), actual.get(key)
        if want is None or got is None:
            differences += 1
            side = sys.argv[2] if got is None else sys.argv[1]
            print(f"{key[0]} {key[1]}: missing from {side}")
        elif want[0] != got[0]:
            differences += 1
            print(f"{key[0]} {key[1]}: {want[0]} on the simulator, {got[0]} here: {got[1] or want[1]}")
    agreed = len(set(expected) & set(actual)) - sum(
        1 for k in set(expected) & set(actual) if expected[k][0] != actual[k][0])
    print(f"same-outcomes: {agreed} passed, {differences} failed")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
