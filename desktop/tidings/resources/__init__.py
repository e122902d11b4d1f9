"""Files shipped inside the package: the app icon, the desktop entry and AppStream metainfo, and the
self-test's feed and page.

The icon and the Linux files are copies of `resources/` at the top of the repository, the one source:
`packaging/build_resources.py` renders the PNGs and copies them here, and tests/test_packaging.py checks
that the copies match. Real paths (not importlib.resources traversables): Qt and the XDG install need files.
"""

from __future__ import annotations

from pathlib import Path

from tidings import APP_ID

HERE = Path(__file__).parent
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def icon_png(size: int) -> Path:
    return HERE / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"


def icon_svg() -> Path:
    return HERE / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"


def desktop_file() -> Path:
    return HERE / "linux" / f"{APP_ID}.desktop"


def metainfo_file() -> Path:
    return HERE / "linux" / f"{APP_ID}.metainfo.xml"


def selftest_file(name: str) -> Path:
    return HERE / "selftest" / name
