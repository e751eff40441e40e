#!/usr/bin/env bash
# Builds the one-folder desktop app (dist/desk-billing/) from this checkout and smoke-tests it.
#   scripts/build_app.sh [--no-smoke]
# The build runs in its own virtual environment (build/venv, kept for the next run) with the
# dependencies and the "build" extra that pyproject.toml declares, so it changes nothing in the
# Python it starts from and freezes this checkout's code, not an installed copy. The venv sees
# that Python's packages, so what is already installed is not downloaded again.
# Exit status: 0 when the build and every smoke check passed.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

smoke=1
case "${1:-}" in
    "") ;;
    --no-smoke) smoke=0 ;;
    *) echo "usage: $0 [--no-smoke]" >&2; exit 2 ;;
esac

python="${PYTHON:-python3}"
venv="$root/build/venv"
export PIP_DISABLE_PIP_VERSION_CHECK=1

step() { printf '\n== %s\n' "$*"; }

step "build environment ($venv)"
started=$SECONDS
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv --system-site-packages "$venv"
fi
"$venv/bin/python" - >"$venv/requirements.txt" <<'EOF'
import tomllib

project = tomllib.load(open("pyproject.toml", "rb"))["project"]
print("\n".join(project["dependencies"] + project["optional-dependencies"]["build"]))
EOF
"$venv/bin/python" -m pip install -q -r "$venv/requirements.txt"
echo "ready in $((SECONDS - started)) s: $("$venv/bin/python" -m PyInstaller --version | sed 's/^/PyInstaller /')"

step "build (pyinstaller build.spec)"
started=$SECONDS
rm -rf "$root/dist/desk-billing"
# PYTHONPATH: the checkout's desk_billing wins over any installed one
PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" "$venv/bin/python" -m PyInstaller \
    --noconfirm --log-level WARN --distpath "$root/dist" --workpath "$root/build/pyinstaller" \
    build.spec
echo "built in $((SECONDS - started)) s: dist/desk-billing, $(du -sh dist/desk-billing | cut -f1)"

if [ "$smoke" -eq 1 ]; then
    step "smoke test of the build"
    "$venv/bin/python" scripts/smoke_app.py "$root/dist/desk-billing/desk-billing"
fi
