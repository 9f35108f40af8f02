#!/usr/bin/env bash
# Loads gpu-hil JUnit XML in Allure's command line, an independent consumer, and checks what it
# read against what the JUnit says of itself.
#
# usage: allure_check.sh ALLURE JUNIT [MIN_CASES]
#   ALLURE     Allure 2's command line (scripts/deps.sh installs it; scripts/tools.sh names it)
#   JUNIT      a JUnit XML file, or a folder of them (its *.xml files, not its subfolders)
#   MIN_CASES  fail when Allure reads fewer test cases (default 1)
#
# `allure generate` writes a report into a temporary folder (removed on exit); the check then reads
# the report's widgets/summary.json and data/test-cases/*.json. Exit 0 when Allure's totals equal
# the JUnit's own counts (tests, failures, errors, skipped: Allure's total, failed, broken,
# skipped), when Allure knows every testcase by its classname, name and own properties (Allure's
# parameters) with the status the JUnit gives it, and when it read at least MIN_CASES cases.
# Exit 1 otherwise, and when generation fails or Allure reads no test at all (it exits 0 with an
# empty report on a file it cannot parse).
set -euo pipefail

me=allure_check.sh
fail() {
  echo "$me: $*" >&2
  exit 1
}

(($# >= 2 && $# <= 3)) || fail "usage: $me ALLURE JUNIT [MIN_CASES]"
allure=$1
junit=$2
minimum=${3:-1}
[[ "$minimum" =~ ^[0-9]+$ ]] || fail "MIN_CASES must be a number, not '$minimum'"

if [[ ! -x "$allure" ]] && ! command -v "$allure" >/dev/null 2>&1; then
  fail "no Allure command line at '$allure': run scripts/deps.sh (it installs allure-commandline" \
    "into the tools folder), or configure with -DHIL_ALLURE=/path/to/allure"
fi
command -v python3 >/dev/null 2>&1 ||
  fail "python3 not found (it reads the JUnit and Allure's JSON)"

work=$(mktemp -d "${TMPDIR:-/tmp}/allure-check.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Allure reads a folder, never a file: `allure generate FILE` exits 0 with an empty report. And it
# reads only the folder's files named *.xml. So the JUnit goes into a folder of its own.
results="$work/results"
mkdir "$results"
if [[ -d "$junit" ]]; then
  shopt -s nullglob
  files=("$junit"/*.xml)
  shopt -u nullglob
  ((${#files[@]} > 0)) || fail "$junit: a folder without *.xml files"
  cp -- "${files[@]}" "$results/"
elif [[ -f "$junit" ]]; then
  name=$(basename -- "$junit")
  [[ "$name" == *.xml ]] || name="$name.xml"
  cp -- "$junit" "$results/$name"
else
  fail "$junit: no such file or folder"
fi

report="$work/report"
if ! "$allure" generate --clean --output "$report" "$results" >"$work/allure.log" 2>&1; then
  sed 's/^/  /' "$work/allure.log" >&2
  fail "'$allure generate' failed on $junit (its output above)"
fi
[[ -f "$report/widgets/summary.json" ]] ||
  fail "'$allure generate' wrote no widgets/summary.json for $junit (is it Allure 2?)"

# Compare, in Python's standard library: xml.etree for the JUnit, json for Allure's report.
status=0
python3 - "$junit" "$results" "$report" "$minimum" "$work/allure.log" <<'PYTHON' || status=$?
import collections
import glob
import json
import os
import sys
import xml.etree.ElementTree as ET

junit, results, report, log = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[5]
minimum = int(sys.argv[4])
problems = []

def local(tag):
    return tag.rsplit("}", 1)[-1]

# Allure's statistic, and its test cases (a retry is a case of its own file: "retry": true).
with open(os.path.join(report, "widgets", "summary.json"), encoding="utf-8") as f:
    stat = json.load(f)["statistic"]
if stat.get("total", 0) == 0:
    said = list(dict.fromkeys(
        line.rstrip() for line in open(log, encoding="utf-8", errors="replace")
        if any(w in line.lower() for w in ("could not", "error", "exception"))))
    print(f"Allure read no test from {junit}" + (": it said" if said else ""), file=sys.stderr)
    for line in said[:5]:
        print(f"  {line}", file=sys.stderr)
    sys.exit(1)
seen = {}
for path in glob.glob(os.path.join(report, "data", "test-cases", "*.json")):
    with open(path, encoding="utf-8") as f:
        case = json.load(f)
    if case.get("retry"):
        continue
    labels = {l["name"]: l["value"] for l in case.get("labels", [])}
    parameters = tuple(sorted((p.get("name", ""), p.get("value", ""))
                              for p in case.get("parameters", [])))
    seen[(labels.get("testClass", ""), case.get("name", ""), parameters)] = case.get("status")

# The JUnit's own counts: the attributes of every <testsuite> that holds test cases, and of the
# <testsuites> above them; and each test case with the status its child elements give it.
declared = collections.Counter()
wanted = {}
names = collections.Counter()
for path in sorted(glob.glob(os.path.join(results, "*.xml"))):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        print(f"{junit}: not well-formed XML ({os.path.basename(path)}: {e})", file=sys.stderr)
        sys.exit(1)
    suites = [s for s in root.iter() if local(s.tag) == "testsuite"
              and any(local(c.tag) == "testcase" for c in s)]
    file_counts = collections.Counter()
    for suite in suites:
        for key in ("tests", "failures", "errors", "skipped"):
            value = suite.get(key, "0" if key in ("errors", "skipped") else None)
            if value is None or not value.isdigit():
                problems.append(f"suite {suite.get('name')}: no number in {key}={value!r}")
                continue
            file_counts[key] += int(value)
        for case in (c for c in suite if local(c.tag) == "testcase"):
            kinds = {local(c.tag) for c in case}
            status = ("failed" if "failure" in kinds else "broken" if "error" in kinds
                      else "skipped" if "skipped" in kinds else "passed")
            # A testcase's own <properties> are Allure's parameters: part of who it is.
            parameters = tuple(sorted((p.get("name", ""), p.get("value", ""))
                                      for c in case if local(c.tag) == "properties"
                                      for p in c if local(p.tag) == "property"))
            key = (case.get("classname", ""), case.get("name", ""), parameters)
            names[key] += 1
            wanted[key] = status
    if local(root.tag) == "testsuites":
        for key in ("tests", "failures", "errors", "skipped"):
            if root.get(key) is not None and root.get(key) != str(file_counts[key]):
                problems.append(f"<testsuites {key}=\"{root.get(key)}\"> but its suites add up "
                                f"to {file_counts[key]}")
    declared.update(file_counts)

if not wanted:
    print(f"{junit}: no <testcase> in a <testsuite>", file=sys.stderr)
    sys.exit(1)

expected = {
    "total": declared["tests"],
    "failed": declared["failures"],
    "broken": declared["errors"],
    "skipped": declared["skipped"],
    "passed": declared["tests"] - declared["failures"] - declared["errors"] - declared["skipped"],
    "unknown": 0,
}
for key, value in expected.items():
    if stat.get(key, 0) != value:
        problems.append(f"Allure counts {key}={stat.get(key, 0)}, the JUnit {value}")
twice = [k for k, n in names.items() if n > 1]
if twice:
    classname, name, _ = twice[0]
    problems.append(f"{len(twice)} testcase(s) occur more than once with the same classname, name "
                    f"and properties (Allure keeps one of each and files the others as its "
                    f"retries), e.g. {classname} / {name}")
missing = [k for k in wanted if k not in seen]
if missing:
    problems.append(f"Allure lacks {len(missing)} test case(s), e.g. classname "
                    f"{missing[0][0]!r} name {missing[0][1]!r}"
                    + (f" properties {dict(missing[0][2])}" if missing[0][2] else ""))
extra = [k for k in seen if k not in wanted]
if extra:
    problems.append(f"Allure has {len(extra)} test case(s) the JUnit lacks, e.g. classname "
                    f"{extra[0][0]!r} name {extra[0][1]!r}")
differ = [(k, wanted[k], seen[k]) for k in wanted if k in seen and seen[k] != wanted[k]]
for (classname, name, _), want, got in differ[:5]:
    problems.append(f"{classname} / {name}: Allure says {got}, the JUnit {want}")
if stat["total"] < minimum:
    problems.append(f"Allure read {stat['total']} test cases, expected at least {minimum}")

if problems:
    for p in problems:
        print(f"{junit}: {p}", file=sys.stderr)
    sys.exit(1)
print(f"Allure read {stat['total']} test cases from {junit}: {stat['passed']} passed, "
      f"{stat['failed']} failed, {stat['broken']} broken, {stat['skipped']} skipped; "
      f"as the JUnit counts them, each testcase by classname and name with its status")
PYTHON
((status == 0)) || fail "$junit does not load in Allure as its JUnit counts say (above)"
