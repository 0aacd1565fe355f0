#!/usr/bin/env bash
# Install the Debian packages named in the given lists (one a line, '#'
# comments) that are not installed yet. Used by bootstrap.sh for the test
# tools (system-packages.txt) and by `nox -s bench` for the load generator
# (bench-packages.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for list in "$@"; do
  while read -r pkg; do
    case "$pkg" in ''|'#'*) continue ;; esac
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done < "$list"
done
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
    echo "warning: cannot install ${missing[*]} (no apt-get); what needs them will say so" >&2
  fi
fi
