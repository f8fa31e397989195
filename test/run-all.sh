#!/usr/bin/env bash
# The full test suite (npm test): installs the servers it needs if missing, builds, then runs
# jest's unit and e2e projects. The e2e globalSetup starts mosquitto and influxd on loopback
# (non-default ports, data in a temp dir) and globalTeardown stops them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/install-services.sh
npm run build
exec npx jest --runInBand "$@"
