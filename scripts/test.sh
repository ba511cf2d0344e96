#!/usr/bin/env bash
# Installs everything the tests need (Python packages, Debian's chromium for the browser tests)
# and runs the whole suite: Python tests (engine, notebooks, browser) and the front-end's JS tests.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -e ".[test]"
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
fi

echo "== JavaScript tests (node --test)"
node --test js/test/
echo "== Python tests (pytest)"
python3 -m pytest "$@"
