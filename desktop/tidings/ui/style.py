"""Fonts and icons shared by the item models."""

from __future__ import annotations

from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QApplication, QStyle


def bold_font() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


def warning_icon() -> QIcon:
    return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
