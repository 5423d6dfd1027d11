#!/usr/bin/env bash
# Retakes the console's screenshots in docs/console/ (the README shows them) from the demo data, in the browser
# the tests use: the same test the suite runs, told to write into the docs.
set -euo pipefail
cd "$(dirname "$0")/.."
CONSOLE_SCREENSHOT_DIR="$PWD/docs/console" exec scripts/test.sh -q tests/console/test_screenshots.py "$@"
