#!/usr/bin/env bash
# Prints the path of a headless-capable Chromium, installing Debian's `chromium` package first when none is
# there. The render test calls this, so the README's test command needs nothing installed by hand.
# Exit 0 with the path on standard output, or exit 1 with one line on standard error saying why not.
set -uo pipefail

find_chromium() {
  local c
  for c in chromium chromium-browser google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
  done
  return 1
}

find_chromium && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "Chromium is not installed and this machine has no apt-get: install a chromium package by hand" >&2
  exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n); else
    echo "Chromium is not installed and installing it needs root: run apt-get install -y chromium as root" >&2
    exit 1
  fi
fi

# One installer at a time, even when several test processes ask at once.
lock=/tmp/novamm-ensure-chromium.lock
exec 9>"$lock"
flock -w 900 9 || { echo "timed out waiting for another Chromium install ($lock)" >&2; exit 1; }
find_chromium && exit 0

log=$(mktemp)
if ! { "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium; } >"$log" 2>&1; then
  echo "apt-get install chromium failed: $(tail -n 1 "$log")" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
find_chromium && exit 0
echo "apt-get installed chromium but no chromium binary is on PATH" >&2
exit 1
