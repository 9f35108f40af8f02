#!/usr/bin/env python3
"""Runs every command the README and docs/ show, and checks it does what the text says.

usage: documented_commands.py REPOSITORY_ROOT BUILD_DIR [DOC...]
(DOC: only these Markdown files; default: README.md and docs/*.md)

A command is a line of a code block that starts with `build/hil`, or runs a script of scripts/
or tests/
(a `$ ` prompt before it is dropped; a trailing backslash continues it). Each file's commands run
in order, in a scratch folder of their own that links the repository's folders (and BUILD_DIR as
`build`), so what they write stays there and /tmp paths are moved inside it.

What a command must do:
- its exit status: 0, or what its comment says (`# exits 3`, `(exit 2)`; `refuses` means 2);
- in a block that shows the output after a `$ ` command, that output: every line shown appears,
  in order and together (`...` skips lines; times, rates, dates and git commits may differ);
- a command naming a scenario file that is not in the repository runs on the XML block shown just
  before it in the same document.

A few commands cannot run here; each is listed in SKIPPED below with the reason, and those said
to run under another CTest test name one that exists.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Commands that cannot run inside this test, by a substring of the command: the reason, and the
# CTest test that runs them instead (checked to exist), if any.
SKIPPED = {
    "scripts/demo.sh": ("runs the whole set-up; .ci/run runs it on every change", None),
    "scripts/test.sh": ("runs every test, this one included; .ci/run runs it", None),
    "tests/powershell/pester/bench.sh": ("a benchmark", "pester_vs_hil_bench"),
    "--rig rigs/standin.xml scenarios ": ("the whole library on the stand-in rig",
                                           "standin_library_standin"),
    "--junit hil.xml scenarios/dda/t4-dda-server-2019.xml ...": (
        "the Pester comparison's own files", "pester_junit_merge_certify"),
    "merge -o merged.xml pester.xml hil.xml": ("needs the Pester run's JUnit",
                                               "pester_junit_merge_certify"),
    "--policy scenarios/policies/pester.xml": ("needs the Pester run's JUnit",
                                               "pester_junit_merge_certify"),
    "merge -o nightly.xml t4-server.xml geforce-workstation.xml": (
        "needs results from real rigs", None),
    "--policy scenarios/policies/nightly-rigs.xml nightly.xml": (
        "needs results from real rigs", None),
}

# Rigs that are examples of real hosts: not reachable here, so a run that would reach one stops
# at once (exit 2, "does not answer"), which proves the command line and the rig file are valid.
REAL_RIG = re.compile(r"--rig rigs/(t4-ssh|t4-server|geforce-workstation)\.xml")

START = re.compile(r"^(build/hil|scripts/\S+\.sh|tests/\S+\.(sh|py))")
FENCE = re.compile(r"^\s*```(\S*)")


class Command:
    def __init__(self, doc, line, text, comment, output):
        self.doc, self.line, self.text, self.comment = doc, line, text, comment
        self.output = output  # lines shown after a `$ ` command, or None
        self.xml = None       # the XML block shown before it

    def where(self):
        return f"{self.doc}:{self.line}"


def split_comment(text):
    """The command and its trailing `# comment` (a # outside quotes, after white space)."""
    quote = None
    for i, c in enumerate(text):
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or text[i - 1].isspace()):
            return text[:i].rstrip(), text[i + 1:].strip()
    return text.rstrip(), ""


def commands_of(path, root):
    doc = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    lines = path.read_text(encoding="utf-8").split("\n")
    found = []
    in_block, lang, last_xml, block = False, "", None, []
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if fence and not in_block:
            in_block, lang, block = True, fence.group(1), []
            i += 1
            continue
        if fence and in_block:
            if lang == "xml":
                last_xml = "\n".join(block) + "\n"
            in_block = False
            i += 1
            continue
        if not in_block:
            i += 1
            continue
        block.append(lines[i])
        text = lines[i].strip()
        prompt = text.startswith("$ ")
        if prompt:
            text = text[2:]
        if lang == "xml" or not START.match(text):
            i += 1
            continue
        start = i + 1
        while text.endswith("\\") and i + 1 < len(lines):
            i += 1
            block.append(lines[i])
            text = text[:-1].rstrip() + " " + lines[i].strip()
        command, comment = split_comment(text)
        output = None
        if prompt:
            output = []
            while i + 1 < len(lines) and not FENCE.match(lines[i + 1]) \
                    and not lines[i + 1].strip().startswith("$ "):
                i += 1
                block.append(lines[i])
                output.append(lines[i])
        found.append(Command(doc, start, command, comment, output))
        found[-1].xml = last_xml
        i += 1
    return found


def expected_status(command):
    if "without a GPU" in command.comment and Path("/dev/nvidiactl").exists():
        return 0  # the smoke suite passes where there is one
    match = re.search(r"exits? (\d)", command.comment) or re.search(r"\(exit (\d)\)",
                                                                     command.comment)
    if match:
        return int(match.group(1))
    if "refuses" in command.comment:
        return 2
    if command.output is None and REAL_RIG.search(command.text):
        return 2
    return 0


VARIABLE = [
    (re.compile(r"\d+\.\d+ s\b"), "T s"),
    (re.compile(r"\d+ (scenario )?runs/s"), "R runs/s"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ?"), "DATE"),
    (re.compile(r"\[\d{4}-\d\d-\d\dT[^\]]*\]"), "[DATE]"),
    (re.compile(r"(git |hil-commit )[0-9a-f]+(-dirty)?"), r"\1COMMIT"),
]


def normal(line):
    for pattern, replacement in VARIABLE:
        line = pattern.sub(replacement, line)
    return line.rstrip()


def shows(expected, actual):
    """Every expected line in order, contiguous between `...` lines; None or the missing line."""
    actual = [normal(a) for a in actual]
    segments, segment = [], []
    for line in expected:
        if line.strip() == "...":
            segments.append(segment)
            segment = []
        else:
            segment.append(normal(line))
    segments.append(segment)
    at = 0
    for segment in segments:
        if not segment:
            continue
        for start in range(at, len(actual) - len(segment) + 1):
            if actual[start:start + len(segment)] == segment:
                at = start + len(segment)
                break
        else:
            return segment[0]
    return None


def scratch_for(root, build, base):
    scratch = Path(tempfile.mkdtemp(dir=base))
    for entry in root.iterdir():
        if entry.name in (".git", "build", "out") or entry.name.startswith("build-"):
            continue
        (scratch / entry.name).symlink_to(entry)
    (scratch / "build").symlink_to(build)
    (scratch / "out").mkdir()
    return scratch


def ctest_names(build):
    listed = subprocess.run(["ctest", "--test-dir", str(build), "-N"], capture_output=True,
                            text=True, check=False).stdout
    return set(re.findall(r"Test +#\d+: (\S+)", listed))


def main():
    root, build = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    docs = [Path(d).resolve() for d in sys.argv[3:]] or \
        [root / "README.md"] + sorted((root / "docs").glob("*.md"))
    failures, ran, skipped = [], 0, 0
    tests = ctest_names(build)
    base = Path(tempfile.mkdtemp(prefix="hil-docs-"))
    try:
        for doc in docs:
            scratch = scratch_for(root, build, base)
            # What scripts/demo.sh leaves, which the certify examples read.
            subprocess.run([str(build / "hil"), "run", "--junit", "out/demo-junit.xml",
                            "scenarios"], cwd=scratch, capture_output=True, check=False)
            for command in commands_of(doc, root):
                reason = next((r for key, r in SKIPPED.items() if key in command.text + " "), None)
                if reason:
                    why, test = reason
                    if test and test not in tests:
                        failures.append(f"{command.where()}: skipped as run by CTest test {test}, "
                                        "which does not exist")
                    skipped += 1
                    print(f"skip {command.where()}: {command.text}  ({why}"
                          f"{'; CTest: ' + test if test else ''})")
                    continue
                text = command.text.replace("/tmp/", f"{scratch}/tmp/")
                (scratch / "tmp").mkdir(exist_ok=True)
                for token in text.split():
                    if token.endswith(".xml") and "/" not in token and command.xml \
                            and not (scratch / token).exists():
                        (scratch / token).write_text(command.xml, encoding="utf-8")
                # A rig's default journal folder ($XDG_STATE_HOME/gpu-hil/rigs/NAME) stays in
                # the scratch folder, never in the home of whoever runs the tests.
                env = dict(os.environ, XDG_STATE_HOME=str(scratch / "state-home"))
                result = subprocess.run(["bash", "-c", text], cwd=scratch, capture_output=True,
                                        text=True, timeout=600, check=False, env=env)
                ran += 1
                out = (result.stdout + result.stderr).split("\n")
                want = expected_status(command)
                problem = None
                if result.returncode != want:
                    problem = f"exited {result.returncode}, the text says {want}"
                elif want == 2 and REAL_RIG.search(command.text) and command.output is None and \
                        "does not answer" not in result.stderr:
                    problem = "a real rig's run did not stop at its shell"
                elif command.output is not None:
                    missing = shows(command.output, out)
                    if missing is not None:
                        problem = f"the output shown is not what it prints: no line {missing!r}"
                if problem:
                    failures.append(f"{command.where()}: {command.text}: {problem}\n    " +
                                    "\n    ".join(out[-15:]))
                print(f"{'FAIL' if problem else 'ok  '} {command.where()}: {command.text}")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    print(f"documented commands: {ran - len(failures)} passed, {len(failures)} failed, "
          f"{skipped} skipped (covered elsewhere)")
    return 1 if failures or ran == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
