#!/usr/bin/env bash
# Install the system packages the tests need, from Debian, when they are missing:
# - Chromium at /usr/bin/chromium and a CJK font, for the browser tests (tests/browsing.py):
#   Playwright's own browser download cannot be reached from our machines and CI, so Playwright
#   for Python (the `test` extra) drives the Debian package; without a CJK font screenshots of
#   the Chinese chart show empty boxes;
# - the PostgreSQL server binaries (initdb, postgres), for the store and API tests on PostgreSQL
#   (tests/pg.py starts a throwaway server; without them those tests are skipped, with the reason).
# Idempotent: installs only what is missing, says what it did.
#
# Usage: scripts/install_test_packages.sh        (as root, or as a user with sudo)
set -euo pipefail

CHROMIUM=/usr/bin/chromium
packages=()

if [ -x "$CHROMIUM" ]; then
    echo "install_test_packages: $CHROMIUM already present ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))"
else
    echo "install_test_packages: $CHROMIUM is missing"
    packages+=(chromium)
fi

if command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh 2>/dev/null | head -n 1)" ]; then
    echo "install_test_packages: a CJK font is already present"
else
    echo "install_test_packages: no CJK font found"
    packages+=(fonts-wqy-microhei)
fi

if command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    echo "install_test_packages: the PostgreSQL server is already present"
else
    echo "install_test_packages: the PostgreSQL server is missing"
    packages+=(postgresql)
fi

if [ "${#packages[@]}" -eq 0 ]; then
    echo "install_test_packages: nothing to do"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_test_packages: apt-get is not available; install ${packages[*]} by hand" >&2
    exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "install_test_packages: not root and sudo is not available; run as root" >&2
        exit 1
    fi
fi

echo "install_test_packages: apt-get install ${packages[*]}${SUDO[*]:+ (via sudo)}"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
# the postgresql package would start a cluster of its own; the tests start their own servers
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -q --no-install-recommends "${packages[@]}"

if [ ! -x "$CHROMIUM" ]; then
    echo "install_test_packages: apt-get finished but $CHROMIUM is still missing" >&2
    exit 1
fi
echo "install_test_packages: done: $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
