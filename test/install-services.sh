#!/usr/bin/env bash
# Install, if missing, the Debian packages the tests run against, and check each one the way the
# tests use it (not merely that a file exists): mosquitto + mosquitto_passwd, influxd (1.6),
# prometheus-alertmanager, mbpoll, Debian's /usr/bin/python3 with pymodbus's server, datastore
# and framers (which need python3-serial and python3-serial-asyncio, only "recommended" by
# python3-pymodbus and so not installed with --no-install-recommends), and chromium
# launching headless (driven by playwright-core).
# Services are never started through systemd: the tests start them on loopback themselves.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each check: "package|description|command". A check passes when the command exits 0.
checks=(
  "mosquitto|/usr/sbin/mosquitto (MQTT broker)|/usr/sbin/mosquitto -h | grep -q 'mosquitto version'"
  "mosquitto|/usr/bin/mosquitto_passwd (deploy ACL test)|test -x /usr/bin/mosquitto_passwd"
  "influxdb|/usr/bin/influxd (InfluxDB 1.x server)|/usr/bin/influxd version | grep -q 'InfluxDB v1'"
  "prometheus-alertmanager|/usr/bin/prometheus-alertmanager|/usr/bin/prometheus-alertmanager --version"
  "mbpoll|/usr/bin/mbpoll (independent Modbus client)|/usr/bin/mbpoll -V"
  "python3-pymodbus|/usr/bin/python3 with pymodbus server, datastore and framers|/usr/bin/python3 test/support/pymodbus_server.py --check"
  "python3-serial|/usr/bin/python3 module serial (pymodbus.server imports it)|/usr/bin/python3 -c 'import serial'"
  "python3-serial-asyncio|/usr/bin/python3 module serial_asyncio (pymodbus.server imports it)|/usr/bin/python3 -c 'import serial_asyncio'"
  "chromium|/usr/bin/chromium launching headless|timeout 60 /usr/bin/chromium --headless --no-sandbox --disable-gpu --dump-dom about:blank | grep -q '<html'"
)

missing_packages() {
  local pkgs=() line pkg what cmd
  for line in "${checks[@]}"; do
    IFS='|' read -r pkg what cmd <<<"$line"
    if ! bash -c "$cmd" >/dev/null 2>&1; then
      [[ " ${pkgs[*]} " == *" $pkg "* ]] || pkgs+=("$pkg")
    fi
  done
  echo "${pkgs[*]}"
}

report_failures() {
  local failed=0 line pkg what cmd
  for line in "${checks[@]}"; do
    IFS='|' read -r pkg what cmd <<<"$line"
    if ! out=$(bash -c "$cmd" 2>&1); then
      echo "install-services: $what does not work (Debian package $pkg; check: $cmd)" >&2
      [ -n "$out" ] && echo "$out" | tail -5 | sed 's/^/  | /' >&2
      failed=1
    fi
  done
  return $failed
}

read -r -a need <<<"$(missing_packages)"
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  report_failures || true
  echo "missing Debian packages: ${need[*]} (run as root, or: sudo apt-get install -y ${need[*]})" >&2
  exit 1
fi
echo "installing ${need[*]} ..."
# keep package scripts from starting the daemons (no systemd here; we start our own)
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Check again, the way the tests use them: a package that installs but does not work is named.
report_failures
