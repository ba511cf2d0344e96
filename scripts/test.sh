#!/usr/bin/env bash
# Installs everything the tests need (Python packages, Debian's chromium for the browser tests)
# and runs the whole suite: Python tests (engine, notebooks, browser) and the front-end's JS tests.
#
# Python packages go into the active virtual environment, or into the current python3 when pip may
# install there (CI's pyenv Python). A system Python that refuses pip installs outside a virtual
# environment (PEP 668, "externally-managed-environment": Debian's, Ubuntu's) gets ./.venv instead,
# created on the first run and reused afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
    if [ "$(id -u)" = "0" ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Exit status 0 when pip would refuse to install into python3: outside a virtual environment, with
# the EXTERNALLY-MANAGED marker of PEP 668 next to the standard library, and no override set.
externally_managed() {
    python3 - <<'EOF'
import os, sys, sysconfig
outside_venv = sys.prefix == sys.base_prefix
marker = os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")
override = os.environ.get("PIP_BREAK_SYSTEM_PACKAGES", "").lower() in ("1", "true", "yes", "on")
sys.exit(0 if outside_venv and os.path.exists(marker) and not override else 1)
EOF
}

PYTHON=python3
if externally_managed; then
    if ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
        echo "== python3 is externally managed: creating the virtual environment .venv"
        rm -rf .venv
        if ! python3 -m venv .venv; then  # Debian ships venv's pip bootstrap separately
            rm -rf .venv
            apt_install python3-venv
            python3 -m venv .venv
        fi
    fi
    PYTHON=.venv/bin/python
fi

"$PYTHON" -m pip install --quiet --disable-pip-version-check -e ".[test]"
if ! command -v chromium >/dev/null 2>&1; then
    apt_install chromium
fi

echo "== JavaScript tests (node --test)"
node --test js/test/
if [ "$#" -gt 0 ]; then  # arguments (test files, -k, -m, ...): one plain pytest run of what they select
    echo "== Python tests (pytest $*)"
    "$PYTHON" -m pytest "$@"
    exit
fi
# The whole suite in three passes; the script fails if any fails. First every test not marked `serial`, in two
# processes (pytest-xdist; `loadgroup` keeps the tests of one `xdist_group` in one process, e.g. the two mypy runs
# that share a cache). Then the `serial` ones, alone on the machine: the browser tests' frame-time bounds, and
# the tests that kill workers or drivers and bound how long that takes.
status=0
echo "== Python tests not marked serial (pytest, two processes)"
"$PYTHON" -m pytest -n 2 --dist loadgroup -m "not serial" || status=$?
echo "== Python tests marked serial, but the browser tests (pytest, one process)"
"$PYTHON" -m pytest -m serial --ignore=tests/browser || status=$?
# The browser tests last, in a process of their own: run in one process before test_faults, they left its
# Ctrl-C tests without their KeyboardInterrupt (the interrupt never reached the sweep), which they get alone.
echo "== Browser tests (pytest, one process)"
"$PYTHON" -m pytest -m serial tests/browser || status=$?
exit "$status"
