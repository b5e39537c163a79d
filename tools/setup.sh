#!/usr/bin/env bash
# Sets up a fresh Debian machine that has only Node 20 and npm: pnpm, the workspace's packages, and the Debian
# packages the integration tests and smoke tests run for real. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=12.4.2
# Real servers the integration tests start (victoria-metrics also brings vmagent and vmalert, prometheus promtool),
# what the arm64 binary smoke test runs under, openssl for the TLS tests' certificates, and procps for the `ps` the
# process tests read (neither is in a minimal Debian).
APT_PACKAGES=(victoria-metrics prometheus prometheus-node-exporter wrk docker-compose qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross openssl procps bindfs stress)

say() { printf 'setup: %s\n' "$*" >&2; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  say "Node 20 or newer is needed (found: $(node --version 2>/dev/null || echo none))"
  exit 1
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  say "installing pnpm $PNPM_VERSION"
  npm install --global "pnpm@$PNPM_VERSION" >/dev/null
fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=(); elif command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else SUDO=(); fi
  if [ "$(id -u)" -eq 0 ] || [ "${#SUDO[@]}" -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    "${SUDO[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "cannot install ${missing[*]} (not root, no sudo): the tests that run them will fail and say so"
  fi
fi

say "installing the workspace"
pnpm install --frozen-lockfile
