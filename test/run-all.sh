#!/usr/bin/env bash
# The full test suite (npm test): installs the servers it needs if missing, builds, then runs
# jest's unit and e2e projects. The e2e globalSetup starts mosquitto and influxd on loopback
# (non-default ports, data in a temp dir) and globalTeardown stops them.
#
# Without arguments the two projects run side by side, each in one process (one core each on a
# 2-core box): the e2e files share one broker and one InfluxDB and run in band; the unit files
# need no server. The unit output is printed after the e2e output; either failing fails the run.
# With arguments (a path, -t ...), one jest gets them, in band.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/install-services.sh
npm run build
if [ "$#" -gt 0 ]; then
  exec npx jest --runInBand "$@"
fi
unit_log=$(mktemp)
trap 'rm -f "$unit_log"' EXIT
npx jest --selectProjects unit --runInBand >"$unit_log" 2>&1 &
unit_pid=$!
e2e_rc=0
npx jest --selectProjects e2e --runInBand || e2e_rc=$?
unit_rc=0
wait "$unit_pid" || unit_rc=$?
echo "---- unit project (ran beside the e2e project) ----"
cat "$unit_log"
echo "---- e2e exit $e2e_rc, unit exit $unit_rc ----"
[ "$e2e_rc" -eq 0 ] && [ "$unit_rc" -eq 0 ]
