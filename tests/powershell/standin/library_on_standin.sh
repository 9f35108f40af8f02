#!/usr/bin/env bash
# The whole scenario library through real PowerShell and the stand-in rig gives every scenario
# the outcome the simulator gives it, and a JUnit file that validates against both schemas.
#   library_on_standin.sh HIL RIG SCENARIOS SIM_JUNIT OUT_DIR [SCHEMAS_DIR]
# SCHEMAS_DIR holds junit-10.xsd and jenkins-junit.xsd (default: tests/schemas beside SCENARIOS).
set -euo pipefail

hil=$1 rig=$2 scenarios=$3 sim_junit=$4 out=$5 schemas=${6:-$3/../tests/schemas}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$out"
junit="$out/$(basename "$rig" .xml)-junit.xml"
rm -f "$junit"
# The rig's journal (kept by every real run) lives in this test's folder, fresh each time.
export XDG_STATE_HOME="$out/state-home-$(basename "$rig" .xml)"
rm -rf "$XDG_STATE_HOME"

# The run's own status says whether each scenario met its expectations; what this test checks
# is that the outcomes equal the simulator's, passes and failures alike.
"$hil" run --backend real --rig "$rig" --junit "$junit" "$scenarios" >"$out/$(basename "$rig" .xml).log" 2>&1 ||
  true
tail -n 3 "$out/$(basename "$rig" .xml).log"
if [[ ! -s "$junit" ]]; then
  echo "no JUnit written; the run's log:" >&2
  tail -n 40 "$out/$(basename "$rig" .xml).log" >&2
  exit 1
fi
bash "$here/../../cli/validate_junit.sh" "$schemas" "$junit"
grep -q '<property name="backend" value="real"' "$junit"
/usr/bin/python3 "$here/same_outcomes.py" "$sim_junit" "$junit"
