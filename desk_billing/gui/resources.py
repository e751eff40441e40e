"""Where the GUI finds its icons: desk_billing/gui/icons/, shipped inside the package.

They live in the package rather than in the top-level resources/ folder because a wheel (the
README's `pip install .`) carries only package files; resources/ keeps what the app does not
load at run time (desktop entry, screenshots).
"""

from __future__ import annotations

from pathlib import Path

ICONS = Path(__file__).resolve().parent / "icons"


def icon_path(name: str) -> Path:
    """The icon file (it may be missing in an unusual install; Qt then shows no icon)."""
    return ICONS / name
