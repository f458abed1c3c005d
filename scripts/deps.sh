#!/usr/bin/env bash
# Installs the Debian packages Ferry needs, only those missing. Idempotent.
set -euo pipefail
packages=(
  g++ cmake ninja-build ccache pkg-config
  libboost1.81-dev libssl-dev libsqlite3-dev
  catch2 libtomlplusplus-dev libspdlog-dev libfmt-dev libcli11-dev
  mosquitto mosquitto-clients python3-paho-mqtt python3-pytest
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
# MQTT.js tests need node and npm; Debian's npm conflicts with some nodejs builds, so
# install it only when no npm is on the machine.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
