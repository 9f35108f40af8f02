#!/usr/bin/env bash
# Renders hil certify's HTML report in headless Chromium (Debian's `chromium`, installed by
# scripts/deps.sh), checks the rendered DOM for the verdict and the matrix cells (a refusal cell
# says the refusal, styled apart from a technique that works), a failed and a stale
# certification, and saves screenshots. Exits 77 (CTest SKIP_RETURN_CODE) when no chromium is
# installed.
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

# 1b. A rejection test that passed is a refusal in its cell, not a plain pass: GeForce on Home.
check=$'\xe2\x9c\x93' # the check mark a passing cell shows
row_of() { # row_of DOM_FILE GPU WINDOWS: the matrix row, one line of the DOM
  grep -F "data-gpu=\"$2\" data-windows=\"$3\"" "$1" || true
}
home="$(row_of "$work/dom.html" geforce-rtx-3060 "home 22621")"
[[ -n "$home" ]] || fail "the matrix has no row for geforce-rtx-3060 on home 22621"
grep -qF 'class="cell pass refused"' <<<"$home" || fail "GeForce on Home is not a refusal cell: $home"
grep -qF "refused: unsupported-edition $check" <<<"$home" ||
  fail "GeForce on Home does not say refused: unsupported-edition: $home"
grep -qF '>PASS<' <<<"$home" && fail "GeForce on Home shows a plain PASS: $home"
server="$(row_of "$work/dom.html" tesla-t4 "server 17763")"
grep -qF ">DDA $check<" <<<"$server" || fail "the T4 on Server 2019 does not say DDA: $server"
# What the browser shows: the cells' text and colours, read by a page that frames the report.
cp "$html" "$work/report.html"
cat >"$work/probe.html" <<'PROBE'
<!DOCTYPE html><html><body><iframe id="report" src="report.html" width="1280" height="900"></iframe>
<pre id="probe">not loaded</pre>
<script>
document.getElementById('report').addEventListener('load', () => {
  const doc = document.getElementById('report').contentDocument;
  const lines = [];
  for (const [name, gpu, windows] of [['home', 'geforce-rtx-3060', 'home 22621'],
                                      ['server', 'tesla-t4', 'server 17763']]) {
    const cell = doc.querySelector(`tr[data-gpu="${gpu}"][data-windows="${windows}"] td.cell`);
    lines.push(cell ? `${name}|${getComputedStyle(cell).backgroundColor}|` +
                      cell.innerText.split('\n')[0] : `${name}|missing|`);
  }
  document.getElementById('probe').textContent = lines.join('\n');
});
</script></body></html>
PROBE
render "$work/probe.html" --allow-file-access-from-files --virtual-time-budget=10000 --dump-dom \
  >"$work/probe-dom.html" || fail "chromium could not render the probe page"
probe() { sed -n "s/^\(<pre id=\"probe\">\)\{0,1\}$1|//p" "$work/probe-dom.html"; }
home_seen="$(probe home)"
server_seen="$(probe server)"
[[ "$home_seen" == *"|refused: unsupported-edition $check"* ]] ||
  fail "the browser shows GeForce on Home as '$home_seen', not the refusal"
[[ "$server_seen" == *"|DDA $check"* ]] || fail "the browser shows the T4 cell as '$server_seen'"
[[ "${home_seen%%|*}" != "${server_seen%%|*}" ]] ||
  fail "a refusal cell has the colour of a working one (${home_seen%%|*})"

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

# 3. Results older than the policy allows, from two rig classes: one reason per rig class, with
# the oldest result and the policy's max age, not one per scenario.
rig="$work/rig-junit.xml"
sed 's/name="rig-class" value="sim"/name="rig-class" value="t4-server"/' "$junit" >"$rig"
grep -q 'name="rig-class" value="t4-server"' "$rig" || fail "could not move the results to t4-server"
cat >"$work/stale.xml" <<'POLICY'
<policy name="stale-check" max-age-days="2">
  <require id="dda-flows" tags="dda" rig-classes="sim t4-server"/>
  <require id="gpu-pv-flows" tags="gpu-pv" rig-classes="sim t4-server"/>
</policy>
POLICY
ran="$(sed -n 's/.*<testsuite [^>]*timestamp="\([^"]*\)".*/\1/p' "$junit" | sort | head -n 1)"
later="$(date -u -d "${ran}Z + 10 days" +%Y-%m-%dT%H:%M:%S)" || fail "cannot add 10 days to '$ran'"
status=0
"$hil" certify --policy "$work/stale.xml" --scenarios "$root/scenarios" --now "$later" \
  --html "$out/certification-stale.html" "$junit" "$rig" >"$work/certify-stale.log" || status=$?
[[ "$status" == 1 ]] || { cat "$work/certify-stale.log"; fail "certify exited $status, expected 1"; }
grep -q '^NOT CERTIFIED: 2 reason(s)$' "$work/certify-stale.log" ||
  { cat "$work/certify-stale.log"; fail "a stale certification is not one reason per rig class"; }
render "$out/certification-stale.html" --dump-dom >"$work/dom-stale.html" ||
  fail "chromium could not render the stale report"
reasons=$(grep -c '<li class="reason' "$work/dom-stale.html" || true)
stale=$(grep -c '<li class="reason stale">' "$work/dom-stale.html" || true)
[[ "$reasons" == 2 && "$stale" == 2 ]] ||
  fail "the stale report lists $reasons reason(s), $stale stale; expected one per rig class"
for rig_class in sim t4-server; do
  expect_dom "$work/dom-stale.html" "dda-flows, gpu-pv-flows on $rig_class: " "stale report"
done
expect_dom "$work/dom-stale.html" "results are stale; the oldest, " "stale report"
expect_dom "$work/dom-stale.html" "${ran}Z, 10 day(s) before ${later}Z; the policy allows 2 day(s)" \
  "stale report"
render "$out/certification-stale.html" --screenshot="$out/certification-stale.png" \
  --window-size=1280,900 >/dev/null || fail "chromium could not take the stale screenshot"

bytes=$(wc -c <"$html")
echo "PASS: $(basename "$browser") rendered $html ($bytes bytes) in" \
  "$(((finished - started) / 1000000)) ms (--dump-dom, whole browser start included);" \
  "verdict, $cells passing matrix cells, GeForce on Home refused (${home_seen%%|*}), one stale" \
  "reason per rig class; screenshot $out/certification.png (${width}x${height})"
