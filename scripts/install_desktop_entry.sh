#!/usr/bin/env bash
# Adds desk-billing to the desktop's application menu, for the current user only:
#   <build>/install-desktop-entry.sh [--uninstall]          (from an unpacked build)
#   scripts/install_desktop_entry.sh [--uninstall] [APP_DIR] (from a checkout; APP_DIR
#                                                           defaults to dist/desk-billing)
# Writes $XDG_DATA_HOME/applications/desk-billing.desktop and the icon
# $XDG_DATA_HOME/icons/hicolor/scalable/apps/desk-billing.svg (XDG_DATA_HOME defaults to
# ~/.local/share). The entry starts the build in APP_DIR by its absolute path, so run this
# again after moving the folder.
set -euo pipefail

usage() {
    echo "usage: $0 [--uninstall] [APP_DIR]" >&2
    exit 2
}

uninstall=0
app_dir=""
for arg in "$@"; do
    case "$arg" in
        --uninstall) uninstall=1 ;;
        -h | --help) usage ;;
        -*) usage ;;
        *) [ -z "$app_dir" ] || usage; app_dir="$arg" ;;
    esac
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -z "$app_dir" ]; then
    if [ -x "$here/desk-billing" ]; then
        app_dir="$here"  # shipped beside the binary
    else
        app_dir="$here/../dist/desk-billing"
    fi
fi

data_home="${XDG_DATA_HOME:-$HOME/.local/share}"
entry="$data_home/applications/desk-billing.desktop"
icon="$data_home/icons/hicolor/scalable/apps/desk-billing.svg"

if [ "$uninstall" -eq 1 ]; then
    rm -f "$entry" "$icon"
    echo "Removed $entry and $icon"
    exit 0
fi

if [ ! -d "$app_dir" ]; then
    echo "$0: no build in $app_dir; build it with scripts/build_app.sh or name its folder." >&2
    exit 1
fi
app_dir="$(cd "$app_dir" && pwd)"
binary="$app_dir/desk-billing"
resources="$app_dir/_internal/resources"
if [ ! -x "$binary" ] || [ ! -f "$resources/desk-billing.desktop" ]; then
    echo "$0: $app_dir is not a desk-billing build (no desk-billing binary and resources)." >&2
    exit 1
fi

# Exec takes a quoted argument: \ " ` $ are escaped with a backslash, and that backslash is
# itself written \\ in the file; % is written %%. TryExec is a plain string: only \ doubles.
quoted="$binary"
quoted="${quoted//\\/\\\\\\\\}"
quoted="${quoted//\"/\\\\\"}"
quoted="${quoted//\`/\\\\\`}"
quoted="${quoted//\$/\\\\\$}"
quoted="${quoted//%/%%}"
plain="${binary//\\/\\\\}"

mkdir -p "$(dirname "$entry")" "$(dirname "$icon")"
cp "$resources/desk-billing.svg" "$icon"
tmp="$(mktemp "$entry.XXXXXX")"
while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
        Exec=*) printf 'TryExec=%s\nExec="%s"\n' "$plain" "$quoted" ;;
        TryExec=*) ;;
        *) printf '%s\n' "$line" ;;
    esac
done <"$resources/desk-billing.desktop" >"$tmp"
chmod 644 "$tmp"
mv "$tmp" "$entry"

if command -v update-desktop-database >/dev/null; then
    update-desktop-database -q "$data_home/applications" ||
        echo "note: update-desktop-database failed; the menu picks the entry up at next login" >&2
fi
echo "Installed $entry (starts $binary) and $icon"
