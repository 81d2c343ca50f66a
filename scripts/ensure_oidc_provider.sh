#!/usr/bin/env bash
# Install the loopback OpenID Connect provider the sign-in tests run (tests/oidc: npm's oidc-provider,
# pinned with integrity hashes in tests/oidc/package-lock.json). Needs Node.js and npm.
set -euo pipefail
cd "$(dirname "$0")/../tests/oidc"
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian nodejs and npm for the sign-in tests..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "node/npm are not installed and cannot be installed here (need root + apt-get);" >&2
    echo "the sign-in tests will be skipped outside CI." >&2
    exit 0
  fi
fi
# npm ci again only when the lock changed since the last install
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
