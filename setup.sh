#!/usr/bin/env bash
# glass set-up, run once as root from the repository root:
#   sudo ./setup.sh
# Installs the system packages glass needs (Debian/Ubuntu), the npm packages,
# and builds the native shim and the CLI. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: run as root (sudo ./setup.sh): glass creates namespaces, cgroups and mounts" >&2
  exit 1
fi

# busybox-static: the default image is built from the host's static busybox.
# gcc, make, libc6-dev: build native/ (the shim); libseccomp-dev (and its
# runtime library libseccomp2): the shim builds the containers' seccomp filter
# with libseccomp. g++: npm ci compiles node-pty (no Linux prebuild) with
# node-gyp. tar: image layers.
# bsdutils (script): terminal tests. util-linux: setpriv, mount.
# python3: native/test-shim.py drives the shim over its protocol in the tests.
# iptables, iproute2: the tests' leak check lists rules and interfaces.
# docker-registry (a real registry on loopback), apache2-utils (htpasswd for
# its basic auth), skopeo and umoci (images glass saves or pushes must be
# read by other tools): the registry tests; curl: lesson 16 fetches a
# manifest and a blob by hand. attr (setfattr, getfattr): pulled layers'
# OCI whiteouts become overlayfs ones (an xattr on a directory), and diff
# reads them back.
# jupyter-*, python3-nb*, python3-ipykernel: the notebooks (npm run notebooks;
# the tests execute them headless with nbconvert); chromium: the test that
# runs notebook 2 in a real browser.
# libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config ripgrep:
# code-server (tools/code-server), the real editor the VS Code extension's
# end-to-end test runs in (its native modules build against them; Debian's rg
# stands in for the one @vscode/ripgrep would download).
need=(busybox-static gcc g++ make libc6-dev libseccomp-dev libseccomp2 tar bsdutils util-linux python3 iptables iproute2
  docker-registry apache2-utils skopeo umoci attr curl
  jupyter-core jupyter-client jupyter-nbconvert jupyter-notebook python3-nbclient python3-nbformat python3-ipykernel chromium
  libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config ripgrep)
missing=()
for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" </dev/null
fi

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "setup: glass needs Node.js 20 or newer" >&2
  exit 1
fi

npm ci --no-audit --no-fund </dev/null
# The VS Code extension has its own package (language server and client
# libraries, vsce); npm run build bundles and packages it (a .vsix).
npm ci --no-audit --no-fund --prefix vscode-extension </dev/null
npm run build </dev/null

# The notebooks' TypeScript kernel, tslab, in its own folder (it brings its own
# TypeScript 5.0 and zeromq), registered with Jupyter inside this checkout
# (.jupyter/), with Debian's python3 (not a pyenv one without Jupyter).
npm ci --no-audit --no-fund --prefix tools/tslab </dev/null
tools/tslab/node_modules/.bin/tslab install --python=/usr/bin/python3 \
  --binary="$PWD/tools/tslab/node_modules/.bin/tslab" --prefix="$PWD/.jupyter" >/dev/null

# code-server, in its own folder: the editor the extension's end-to-end test
# drives, and where the README's "install the .vsix in code-server" works.
bash tools/code-server/install.sh </dev/null

# Run with sudo in a user's own clone: give what set-up made back to that
# user, so a later `npm run build`, `git clean` or editor works without root.
# (As root without sudo, as .ci/run does, there is no one to give it to.)
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ] && id "$SUDO_USER" >/dev/null 2>&1; then
  for d in node_modules dist native/build tools/tslab/node_modules .jupyter vscode-extension/node_modules vscode-extension/dist tools/code-server/node_modules; do
    if [ -e "$d" ]; then chown -R "$SUDO_USER": "$d"; fi
  done
  echo "setup: node_modules/, dist/, native/build/, tools/tslab/node_modules/, .jupyter/, vscode-extension/ and tools/code-server/'s node_modules and dist belong to $SUDO_USER"
fi
echo "setup: done. Try: sudo bin/glass run --rm busybox echo hello"
