"""Render resources/icons/rnnsim.svg to the PNGs beside it (rnnsim-<size>.png) with Qt's own SVG renderer.

    python scripts/render_icons.py            # QT_QPA_PLATFORM=offscreen is set when unset

Run it after editing the SVG and commit the PNGs: ``rnnsim install-desktop`` copies them into the
freedesktop icon theme, and the window can use them where an SVG cannot be read.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rnnsim.commands.install_desktop import ICON_SIZES as SIZES, ICONS  # noqa: E402  (the sizes the menu entry installs)


def render(svg: Path, sizes=SIZES, folder: Path = ICONS) -> list[Path]:
    """One transparent, antialiased PNG ``rnnsim-<size>.png`` per size; returns their paths."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: {svg} is not an SVG Qt can read")
    written = []
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        path = folder / f"rnnsim-{size}.png"
        if not image.save(str(path)):
            raise SystemExit(f"render_icons: cannot write {path}")
        written.append(path)
    del app
    return written


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    for written_path in render(ICONS / "rnnsim.svg"):
        print(written_path)
