#!/usr/bin/env bash
# sudo npm run notebooks: Jupyter (Debian's packages, installed by setup.sh)
# with the TypeScript kernel (tslab, in tools/tslab) registered in this
# checkout's own .jupyter/, serving notebooks/ on 127.0.0.1 only, behind a
# token. The kernel runs as root — containers need it — so the server never
# listens beyond loopback.
#   GLASS_NOTEBOOK_PORT  port (default 8888)
#   JUPYTER_TOKEN        token (default: a new random one)
#   GLASS_ROOT           the state root the notebooks' containers use (default /var/lib/glass)
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD

if [ "$(id -u)" -ne 0 ]; then
  echo "notebooks: the notebooks' kernel starts containers, which needs root: run sudo npm run notebooks" >&2
  exit 1
fi
if ! command -v jupyter >/dev/null || ! jupyter notebook --version >/dev/null 2>&1; then
  echo "notebooks: Jupyter is not installed: run sudo ./setup.sh (it installs Debian's jupyter-notebook)" >&2
  exit 1
fi
tslab="$here/tools/tslab/node_modules/.bin/tslab"
if [ ! -x "$tslab" ]; then
  echo "notebooks: the TypeScript kernel (tslab) is not installed: run sudo ./setup.sh" >&2
  exit 1
fi
if [ ! -f "$here/dist/runtime/notebook/index.js" ]; then
  echo "notebooks: glass is not built: run npm run build" >&2
  exit 1
fi
# The kernel is registered here, not in ~/.local or /usr/local: nothing outside the checkout changes.
if [ ! -f "$here/.jupyter/share/jupyter/kernels/tslab/kernel.json" ]; then
  "$tslab" install --python=/usr/bin/python3 --binary="$tslab" --prefix="$here/.jupyter" >/dev/null
fi

port="${GLASS_NOTEBOOK_PORT:-8888}"
token="${JUPYTER_TOKEN:-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
export JUPYTER_PATH="$here/.jupyter/share/jupyter"
export JUPYTER_CONFIG_DIR="$here/.jupyter/config"
mkdir -p "$JUPYTER_CONFIG_DIR"

echo "glass notebooks: http://127.0.0.1:$port/tree?token=$token"
echo "  (the TypeScript kernel runs as root; the server listens on 127.0.0.1 only; Ctrl-C stops it)"
exec jupyter notebook --no-browser --allow-root --ip=127.0.0.1 --port="$port" --port-retries=0 \
  --NotebookApp.token="$token" --notebook-dir="$here/notebooks" --MappingKernelManager.default_kernel_name=tslab
