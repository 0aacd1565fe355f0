#!/usr/bin/env bash
# Make the machine ready for ./run: system packages, then nox and uv (pinned
# in tools/constraints.txt) in a private virtual environment, .tools/.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/system-packages.sh tools/system-packages.txt

# nox and the tools need Python 3.11 or newer (tomllib).
python=""
for candidate in python3 python3.13 python3.12 python3.11; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    python=$candidate
    break
  fi
done
if [ -z "$python" ]; then
  echo "error: Python 3.11 or newer is needed to run the tools" >&2
  exit 1
fi

stamp=.tools/.constraints
if [ ! -x .tools/bin/nox ] || ! cmp -s tools/constraints.txt "$stamp"; then
  rm -rf .tools
  "$python" -m venv .tools
  .tools/bin/python -m pip install --quiet --disable-pip-version-check \
    -c tools/constraints.txt nox uv
  cp tools/constraints.txt "$stamp"
fi
