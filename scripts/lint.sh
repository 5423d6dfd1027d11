#!/usr/bin/env bash
# Lint, format check, types, the architecture contracts (import-linter) and a missing-migration check.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_venv
.venv/bin/ruff check .
.venv/bin/ruff format --check .
DEBUG=1 .venv/bin/mypy .
DEBUG=1 .venv/bin/lint-imports --no-cache
DEBUG=1 .venv/bin/python manage.py makemigrations --check --dry-run >/dev/null
say "lint, format, types, architecture contracts and migrations: clean"
