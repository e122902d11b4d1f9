#!/usr/bin/env python3
"""Regenerate what is derived from resources/, then copy it into the Python package.

    python packaging/build_resources.py               # PNGs, .ico, .icns from the SVG; copy into the package
    python packaging/build_resources.py --screenshot  # also resources/screenshots/main-window.png (AppStream)

resources/ is the one source. Run this after editing the SVG, the .desktop file or the metainfo, and commit
what it writes: resources/icons/ (PNG sizes, tidings.ico for Windows, tidings.icns for macOS) and the copies
in desktop/tidings/resources/, which tests/test_packaging.py compares with resources/.
Needs the dev environment (PySide6 with QtSvg, which PySide6-Essentials has).
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "desktop"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt  # noqa: E402, TID251
from PySide6.QtGui import QImage, QPainter  # noqa: E402, TID251
from PySide6.QtSvg import QSvgRenderer  # noqa: E402, TID251
from PySide6.QtWidgets import QApplication  # noqa: E402, TID251

from tidings import APP_ID  # noqa: E402
from tidings.resources import ICON_SIZES  # noqa: E402

SOURCE = ROOT / "resources"
PACKAGE = ROOT / "desktop" / "tidings" / "resources"
HICOLOR = SOURCE / "icons" / "hicolor"
SVG = HICOLOR / "scalable" / "apps" / f"{APP_ID}.svg"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS entry types holding PNG data, by pixel size (the @2x types reuse the bigger renderings).
ICNS_TYPES = (
    (b"icp4", 16), (b"icp5", 32), (b"icp6", 64), (b"ic07", 128), (b"ic08", 256), (b"ic09", 512),
    (b"ic11", 32), (b"ic12", 64), (b"ic13", 256), (b"ic14", 512), (b"ic10", 1024),
)  # fmt: skip


def png_path(size: int) -> Path:
    return HICOLOR / f"{size}x{size}" / "apps" / f"{APP_ID}.png"


def render(renderer: QSvgRenderer, size: int) -> bytes:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # WORKAROUND: PySide6 6.11 accepts only a str format here, although its stubs ask for bytes.
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]
        raise SystemExit(f"could not encode the {size} px icon as PNG")
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico whose entries are PNGs (supported since Windows Vista)."""
    sizes = [s for s in ICO_SIZES if s in pngs]
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, blobs = b"", b""
    for size in sizes:
        data = pngs[size]
        dim = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset + len(blobs))
        blobs += data
    return header + entries + blobs


def icns(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns whose entries are PNGs."""
    body = b"".join(kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for kind, size in ICNS_TYPES)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def write(path: Path, data: bytes) -> None:
    if path.exists() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    print(f"wrote {path.relative_to(ROOT)}")


def build_icons() -> None:
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"{SVG} is not an SVG that Qt can render")
    pngs = {size: render(renderer, size) for size in (*ICON_SIZES, 1024)}
    for size in ICON_SIZES:
        write(png_path(size), pngs[size])
    write(SOURCE / "icons" / "tidings.ico", ico(pngs))
    write(SOURCE / "icons" / "tidings.icns", icns(pngs))


def packaged_files() -> list[Path]:
    """The files of resources/ that ship inside the Python package (relative to resources/)."""
    icons = [SVG, *(png_path(size) for size in ICON_SIZES)]
    linux = [SOURCE / "linux" / f"{APP_ID}.desktop", SOURCE / "linux" / f"{APP_ID}.metainfo.xml"]
    return [p.relative_to(SOURCE) for p in (*icons, *linux)]


def sync_package() -> None:
    for relative in packaged_files():
        write(PACKAGE / relative, (SOURCE / relative).read_bytes())


def take_screenshot() -> None:
    """The AppStream screenshot: the self-test's window, at the size the metainfo states."""
    import tempfile

    from tidings import selftest

    with tempfile.TemporaryDirectory() as tmp, selftest.open_library(Path(tmp) / "library") as library:
        selftest.store_bundled_feed(library)
        selftest.extract_bundled_page(library)
        shot = Path(tmp) / "main-window.png"
        selftest.render_window(library, shot, (1200, 720))
        write(SOURCE / "screenshots" / "main-window.png", shot.read_bytes())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--screenshot", action="store_true", help="also render the AppStream screenshot")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])  # a widgets one: the screenshot needs it
    build_icons()
    sync_package()
    if args.screenshot:
        take_screenshot()
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
