#!/usr/bin/env bash
# Install, if missing, the Debian packages the tests run against: mosquitto, influxdb (1.6),
# prometheus-alertmanager, mbpoll and python3-pymodbus (independent Modbus peers), chromium
# (browser tests, driven by playwright-core).
# Services are never started through systemd: the tests start them on loopback themselves.
set -euo pipefail
need=()
[ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
[ -x /usr/bin/influxd ] || need+=(influxdb)
[ -x /usr/bin/mbpoll ] || need+=(mbpoll)
[ -x /usr/bin/prometheus-alertmanager ] || need+=(prometheus-alertmanager)
/usr/bin/python3 -c 'import pymodbus' 2>/dev/null || need+=(python3-pymodbus)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${need[*]} (run as root, or: sudo apt-get install -y ${need[*]})" >&2
  exit 1
fi
echo "installing ${need[*]} ..."
# keep package scripts from starting the daemons (no systemd here; we start our own)
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
