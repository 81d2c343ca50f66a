#!/usr/bin/env bash
# Make sure Debian's chromium is present for the browser tests.
# Playwright's own browser download does not work on the desk's machines;
# the tests drive the system Chromium through playwright's executable_path.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian chromium for the browser tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq chromium >/dev/null
  command -v chromium >/dev/null
  exit 0
fi
echo "chromium is not installed and cannot be installed here (need root + apt-get);" >&2
echo "browser tests will be skipped outside CI." >&2
