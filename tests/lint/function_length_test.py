#!/usr/bin/env python3
"""Checks that function_length.py measures the fixture as expected and fails on it.

    function_length_test.py

The fixture (fixtures/long_function.cpp) has a 121-line function that hides braces in strings,
a raw string, a character literal, comments and a macro, a 120-line one, and functions in a class
body, a ctor-initializer with braces, a namespace-scope lambda and an operator.
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "function_length.py")
FIXTURES = os.path.join(HERE, "fixtures")

EXPECTED_ALL = """\
long_function.cpp:8 tooLong 121
long_function.cpp:130 justRight 120
long_function.cpp:253 Widget::Widget 3
long_function.cpp:257 Widget::grow 3
long_function.cpp:266 kTwice 3
long_function.cpp:270 operator== 3
long_function.cpp:256 Widget::size 1
"""


def run(*args):
    return subprocess.run([sys.executable, TOOL, "--root", FIXTURES, *args], capture_output=True,
                          text=True, check=False)


def main():
    failures = []
    listing = run("--all", "long_function.cpp")
    if listing.stdout != EXPECTED_ALL:
        failures.append(f"--all measured:\n{listing.stdout}expected:\n{EXPECTED_ALL}")
    check = run("long_function.cpp")
    if check.returncode != 1:
        failures.append(f"exit status {check.returncode}, expected 1")
    if check.stderr != "error: long_function.cpp:8 tooLong 121 (over 120 lines)\n":
        failures.append(f"stderr was:\n{check.stderr}")
    if "info: long_function.cpp:130 justRight 120" not in check.stdout:
        failures.append(f"stdout lacks the 120-line function as information:\n{check.stdout}")
    relaxed = run("--fail-over", "121", "long_function.cpp")
    if relaxed.returncode != 0:
        failures.append(f"--fail-over 121 exit status {relaxed.returncode}, expected 0")
    for failure in failures:
        print(f"FAIL: {failure}")
    print("function_length_test: " + ("failed" if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
