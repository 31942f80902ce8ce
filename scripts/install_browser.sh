#!/usr/bin/env bash
# Install what the browser test (tests/test_browser.py) needs: Debian's `chromium` at
# /usr/bin/chromium, and a CJK font so that screenshots of the Chinese chart show text
# rather than empty boxes. Idempotent: installs only what is missing, says what it did.
#
# Playwright's own browser download (`playwright install`) cannot be reached from our
# machines and CI, so Playwright for Python (the `test` extra) drives the Debian package.
#
# Usage: scripts/install_browser.sh        (as root, or as a user with sudo)
set -euo pipefail

CHROMIUM=/usr/bin/chromium
packages=()

if [ -x "$CHROMIUM" ]; then
    echo "install_browser: $CHROMIUM already present ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))"
else
    echo "install_browser: $CHROMIUM is missing"
    packages+=(chromium)
fi

if command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh 2>/dev/null | head -n 1)" ]; then
    echo "install_browser: a CJK font is already present"
else
    echo "install_browser: no CJK font found"
    packages+=(fonts-wqy-microhei)
fi

if [ "${#packages[@]}" -eq 0 ]; then
    echo "install_browser: nothing to do"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_browser: apt-get is not available; install ${packages[*]} by hand" >&2
    exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "install_browser: not root and sudo is not available; run as root" >&2
        exit 1
    fi
fi

echo "install_browser: apt-get install ${packages[*]}${SUDO[*]:+ (via sudo)}"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}"

if [ ! -x "$CHROMIUM" ]; then
    echo "install_browser: apt-get finished but $CHROMIUM is still missing" >&2
    exit 1
fi
echo "install_browser: done: $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
