#!/usr/bin/env bash
# Install code-server (tools/code-server/node_modules) for the VS Code
# extension's end-to-end test and for trying the extension by hand.
# Run as root by setup.sh; needs Debian's libkrb5-dev libx11-dev libxkbfile-dev
# libsecret-1-dev pkg-config ripgrep (setup.sh installs them). Safe to run again.
#
# Pitfalls solved here:
# - As root, npm runs code-server's install scripts only with unsafe-perm, and
#   its postinstall asks before installing its own deps unless npm_config_yes.
# - @vscode/ripgrep downloads rg from GitHub at install time, which this
#   network does not reach: its download cache is seeded with Debian's rg.
set -euo pipefail
cd "$(dirname "$0")"
if [ -x node_modules/.bin/code-server ] && node_modules/.bin/code-server --version >/dev/null 2>&1; then
  exit 0
fi
rg=$(command -v rg || true)
if [ -z "$rg" ]; then
  echo "code-server: needs Debian's ripgrep (apt-get install ripgrep)" >&2
  exit 1
fi
tmp=${TMPDIR:-/tmp}
cache="$tmp/vscode-ripgrep-cache-1.15.11"
mkdir -p "$cache"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$rg" "$work/rg"
# The version code-server 4.100.3's @vscode/ripgrep 1.15.11 asks for.
tar -C "$work" -czf "$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" rg
export npm_config_unsafe_perm=true npm_config_yes=true
npm ci --no-audit --no-fund </dev/null
node_modules/.bin/code-server --version >/dev/null
