#!/usr/bin/env bash
# Renders hil certify's HTML report in headless Chromium (Debian's `chromium`, installed by
# scripts/deps.sh), checks the rendered DOM for the verdict and the matrix cells, and saves a
# screenshot. Exits 77 (CTest SKIP_RETURN_CODE) when no chromium is installed.
#   certification_report.sh HIL PROJECT_ROOT OUT_DIR
set -euo pipefail

hil="$1"
root="$2"
out="$3"

browser=""
for candidate in chromium chromium-browser; do
  if command -v "$candidate" >/dev/null 2>&1; then
    browser="$(command -v "$candidate")"
    break
  fi
done
if [[ -z "$browser" ]]; then
  echo "SKIP: no chromium on PATH (scripts/deps.sh installs Debian's chromium)"
  exit 77
fi

mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Headless, offline, and a fresh profile each time: nothing leaks in from a user profile.
render() { # render HTML_FILE EXTRA_FLAGS...
  local page="$1"
  shift
  local profile
  profile="$(mktemp -d "$work/profile.XXXXXX")"
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-dev-shm-usage --user-data-dir="$profile" "$@" "file://$page" 2>"$work/chromium.log"
}

expect_dom() { # expect_dom DOM_FILE FIXED_STRING WHAT
  grep -qF -- "$2" "$1" || fail "$3: the rendered DOM has no $2"
}

# 1. The library on the simulator, certified against the project's release policy.
junit="$work/library-junit.xml"
"$hil" run --junit "$junit" "$root/scenarios" >"$work/run.log" || fail "hil run failed"
html="$out/certification.html"
status=0
"$hil" certify --policy "$root/scenarios/policies/release.xml" --scenarios "$root/scenarios" \
  --html "$html" --out "$out/certificate.xml" "$junit" >"$work/certify.log" || status=$?
[[ "$status" == 0 ]] || { cat "$work/certify.log"; fail "certify exited $status, expected 0"; }

started=$(date +%s%N)
render "$html" --dump-dom >"$work/dom.html" || fail "chromium could not render $html"
finished=$(date +%s%N)
expect_dom "$work/dom.html" '<header id="verdict" class="verdict certified"' "certified report"
expect_dom "$work/dom.html" '>CERTIFIED</h1>' "certified report"
expect_dom "$work/dom.html" '<table class="matrix">' "certified report"
expect_dom "$work/dom.html" 'id="cell-0-0" class="cell pass' "certified report"
expect_dom "$work/dom.html" 'id="group-0-0"' "certified report"
cells=$(grep -o 'class="cell pass" data-rig-class="sim"' "$work/dom.html" | wc -l)
((cells >= 10)) || fail "expected at least 10 passing matrix cells, found $cells"
grep -q 'class="cell fail"' "$work/dom.html" && fail "a certified report shows a failing cell"

render "$html" --screenshot="$out/certification.png" --window-size=1280,900 >/dev/null ||
  fail "chromium could not take a screenshot"
[[ "$(head -c 8 "$out/certification.png" | od -An -tx1 | tr -d ' \n')" == 89504e470d0a1a0a ]] ||
  fail "the screenshot is not a PNG"
# The PNG's IHDR: width and height, big-endian, at bytes 16..23.
size="$(od -An -tu1 -j16 -N8 "$out/certification.png" | tr -s ' ' | sed 's/^ //')"
read -r w1 w2 w3 w4 h1 h2 h3 h4 <<<"$size"
width=$(((w1 << 24) | (w2 << 16) | (w3 << 8) | w4))
height=$(((h1 << 24) | (h2 << 16) | (h3 << 8) | h4))
[[ "$width" == 1280 && "$height" == 900 ]] || fail "screenshot is ${width}x${height}, not 1280x900"

# 2. One required scenario flipped to a failure: not certified, and the scenario is named.
broken="$work/broken-junit.xml"
target="t4-dda-server-2019"
awk -v name="$target" '
  index($0, "<testcase ") && index($0, "name=\"" name "\"") && !done {
    print
    print "      <failure type=\"gpu-count\" message=\"flipped by the browser test\">flipped</failure>"
    done = 1
    next
  }
  { print }' "$junit" >"$broken"
grep -q 'flipped by the browser test' "$broken" || fail "could not flip $target in the JUnit"
status=0
"$hil" certify --policy "$root/scenarios/policies/release.xml" --scenarios "$root/scenarios" \
  --html "$out/certification-failed.html" "$broken" >"$work/certify-broken.log" || status=$?
[[ "$status" == 1 ]] || { cat "$work/certify-broken.log"; fail "certify exited $status, expected 1"; }
grep -q "$target failed: gpu-count: flipped by the browser test" "$work/certify-broken.log" ||
  fail "certify's reasons do not name $target"
render "$out/certification-failed.html" --dump-dom >"$work/dom-failed.html" ||
  fail "chromium could not render the failed report"
expect_dom "$work/dom-failed.html" '<header id="verdict" class="verdict not-certified"' "failed report"
expect_dom "$work/dom-failed.html" "$target failed: gpu-count" "failed report"
expect_dom "$work/dom-failed.html" 'class="cell fail" data-rig-class="sim"' "failed report"
render "$out/certification-failed.html" --screenshot="$out/certification-failed.png" \
  --window-size=1280,900 >/dev/null || fail "chromium could not take the second screenshot"

bytes=$(wc -c <"$html")
echo "PASS: $(basename "$browser") rendered $html ($bytes bytes) in" \
  "$(((finished - started) / 1000000)) ms (--dump-dom, whole browser start included);" \
  "verdict, $cells passing matrix cells; screenshot $out/certification.png (${width}x${height})"
