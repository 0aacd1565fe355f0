#!/usr/bin/env bash
# Make the machine ready for ./run: system packages, then nox and uv (pinned
# in tools/constraints.txt) in a private virtual environment, .tools/.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
while read -r pkg; do
  case "$pkg" in ''|'#'*) continue ;; esac
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done < tools/system-packages.txt
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing Debian packages: ${missing[*]}"
    # Installing bind9 would start a system named on port 53 of every
    # interface: forbid service starts for the install (policy-rc.d exit
    # 101), unless a policy is already in place, and lift ours afterwards.
    policy=/usr/sbin/policy-rc.d
    ours=""
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
      $sudo chmod 755 "$policy"
      ours=1
      trap '$sudo rm -f "$policy"' EXIT
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
    if [ -n "$ours" ]; then
      $sudo rm -f "$policy"
      trap - EXIT
    fi
  else
    echo "warning: cannot install ${missing[*]} (no apt-get); the tests that need them will say so" >&2
  fi
fi

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
