"""Where the GUI finds its icons: resources/icons/ next to the package in a checkout or build."""

from __future__ import annotations

from pathlib import Path

ICONS = Path(__file__).resolve().parents[2] / "resources" / "icons"


def icon_path(name: str) -> Path:
    """The icon file (it may be missing in an unusual install; Qt then shows no icon)."""
    return ICONS / name
