#!/usr/bin/env bash
# The full test suite (npm test): installs the servers it needs if missing, builds, then runs
# jest's unit and e2e projects. The e2e globalSetup starts mosquitto and influxd on loopback
# (non-default ports, data in a temp dir) and globalTeardown stops them.
#
# With arguments (a path, -t ...), one jest gets them, in band.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/install-services.sh
npm run build
if [ "$#" -gt 0 ]; then
  exec npx jest --runInBand "$@"
fi
# Three jest processes side by side on a 2-core box: most e2e time is real time (HV ramps,
# measurement windows, restarts), not CPU. Each e2e process has its own globalSetup, so its own
# mosquitto and influxd: the commissioning files (about half the e2e time) share nothing with the
# rest. Their output is printed after the main e2e output; any failing fails the run.
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
npx jest --selectProjects unit --runInBand >"$logs/unit" 2>&1 &
unit_pid=$!
npx jest --selectProjects e2e --runInBand test/commissioning >"$logs/commissioning" 2>&1 &
comm_pid=$!
e2e_rc=0
npx jest --selectProjects e2e --runInBand --testPathIgnorePatterns /commissioning || e2e_rc=$?
comm_rc=0
wait "$comm_pid" || comm_rc=$?
unit_rc=0
wait "$unit_pid" || unit_rc=$?
echo "---- e2e: the commissioning files (ran beside the other e2e files) ----"
cat "$logs/commissioning"
echo "---- unit project (ran beside the e2e files) ----"
cat "$logs/unit"
echo "---- e2e exit $e2e_rc, commissioning e2e exit $comm_rc, unit exit $unit_rc ----"
[ "$e2e_rc" -eq 0 ] && [ "$comm_rc" -eq 0 ] && [ "$unit_rc" -eq 0 ]
