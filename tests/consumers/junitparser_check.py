#!/usr/bin/env python3
"""Loads a gpu-hil JUnit file with junitparser, an independent consumer, and checks what it read.

usage: junitparser_check.py FILE MIN_CASES
Exit 0 when the file loads, every suite's counts match its test cases, and it holds at least
MIN_CASES cases with the properties our users read (backend, gpu, windows-build, technique, seed).
"""
import sys

from junitparser import JUnitXml, TestSuite


def main() -> int:
    path, minimum = sys.argv[1], int(sys.argv[2])
    xml = JUnitXml.fromfile(path)
    suites = [xml] if isinstance(xml, TestSuite) else list(xml)
    cases = 0
    for suite in suites:
        suite_cases = list(suite)
        if int(suite.tests) != len(suite_cases):
            print(f"{path}: suite {suite.name}: tests={suite.tests} but {len(suite_cases)} cases")
            return 1
        failed = sum(1 for case in suite_cases if case.result and
                     any(r._tag == "failure" for r in case.result))
        if int(suite.failures) != failed:
            print(f"{path}: suite {suite.name}: failures={suite.failures} but {failed} failed")
            return 1
        names = {p.name for p in suite.properties()}
        for wanted in ("backend", "gpu", "windows-build", "technique", "seed"):
            if wanted not in names:
                print(f"{path}: suite {suite.name}: no property {wanted}")
                return 1
        for case in suite_cases:
            # The suite's path with dots: Jenkins groups packages by them.
            path_part, bracket, label = suite.name.partition(" [")
            if case.classname != path_part.replace("/", ".") + bracket + label:
                print(f"{path}: case {case.name}: classname {case.classname} is not "
                      f"{suite.name} with dots")
                return 1
            if not case.system_out:
                print(f"{path}: case {case.name}: no system-out log")
                return 1
        cases += len(suite_cases)
    if cases < minimum:
        print(f"{path}: {cases} test cases, expected at least {minimum}")
        return 1
    print(f"junitparser read {len(suites)} suites, {cases} cases from {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
