"""Light, dark or the system's look: the application palette, and the reader's colours and font to match.

Light and dark use the Fusion style with our own palette (native styles such as Windows' ignore a palette);
"system" brings back the platform's style and palette. On Qt 6.8 and later the choice is also passed to
the platform as a colour-scheme hint, so title bars and native dialogs follow it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from .preferences import SANS, SERIF, PreferenceValues, Theme

PLATFORM_STYLE = "tidingsPlatformStyle"  # a dynamic property of the application: the style it started with
FUSION = "fusion"

Role = QPalette.ColorRole
Group = QPalette.ColorGroup

DARK = {
    Role.Window: "#2b2b2e",
    Role.WindowText: "#e6e6e6",
    Role.Base: "#1e1e20",
    Role.AlternateBase: "#27272a",
    Role.ToolTipBase: "#2b2b2e",
    Role.ToolTipText: "#e6e6e6",
    Role.PlaceholderText: "#9a9a9a",
    Role.Text: "#e6e6e6",
    Role.Button: "#333337",
    Role.ButtonText: "#e6e6e6",
    Role.BrightText: "#ff7b72",
    Role.Light: "#46464b",
    Role.Midlight: "#3a3a3e",
    Role.Mid: "#29292c",
    Role.Dark: "#19191b",
    Role.Shadow: "#000000",
    Role.Highlight: "#2f6db5",
    Role.HighlightedText: "#ffffff",
    Role.Link: "#7ab7ff",
    Role.LinkVisited: "#c3a6ff",
}
LIGHT = {
    Role.Window: "#f2f2f2",
    Role.WindowText: "#1d1d1f",
    Role.Base: "#ffffff",
    Role.AlternateBase: "#f6f6f7",
    Role.ToolTipBase: "#ffffdc",
    Role.ToolTipText: "#1d1d1f",
    Role.PlaceholderText: "#6b6b6b",
    Role.Text: "#1d1d1f",
    Role.Button: "#ececec",
    Role.ButtonText: "#1d1d1f",
    Role.BrightText: "#ffffff",
    Role.Light: "#ffffff",
    Role.Midlight: "#f7f7f7",
    Role.Mid: "#b8b8b8",
    Role.Dark: "#9f9f9f",
    Role.Shadow: "#767676",
    Role.Highlight: "#2f6db5",
    Role.HighlightedText: "#ffffff",
    Role.Link: "#0b5cad",
    Role.LinkVisited: "#6a3fa0",
}
DISABLED = {Theme.DARK: "#7d7d80", Theme.LIGHT: "#9a9a9a"}
MARKER = {Theme.DARK: "#5c4a00", Theme.LIGHT: "#fff0a0"}  # highlighted words: search hits, annotations


def apply_theme(app: QApplication, theme: Theme | str) -> None:
    """Give the whole application the theme's look; an unknown name means the system's."""
    theme = as_theme(theme)
    platform_style = _platform_style(app)
    _hint_color_scheme(app, theme)
    if theme is Theme.SYSTEM:
        if app.style().name().lower() != platform_style.lower():
            app.setStyle(platform_style)
        app.setPalette(QPalette())  # an empty palette: the platform's again
        return
    if app.style().name().lower() != FUSION:
        app.setStyle(FUSION)
    app.setPalette(theme_palette(theme))


def theme_palette(theme: Theme) -> QPalette:
    """The palette of the light or dark theme (the current application palette for "system")."""
    if theme is Theme.SYSTEM:
        return QGuiApplication.palette()
    palette = QPalette()
    for role, color in (DARK if theme is Theme.DARK else LIGHT).items():
        palette.setColor(role, QColor(color))
    if hasattr(Role, "Accent"):  # Qt 6.6
        palette.setColor(Role.Accent, palette.color(Role.Highlight))
    disabled = QColor(DISABLED[theme])
    for role in (Role.WindowText, Role.Text, Role.ButtonText, Role.HighlightedText):
        palette.setColor(Group.Disabled, role, disabled)
    palette.setColor(Group.Disabled, Role.Highlight, palette.color(Role.Mid))
    return palette


def reader_colors(theme: Theme | str, palette: QPalette | None = None) -> dict[str, str]:
    """The reader's colours as "#rrggbb": text, background, link, muted (bylines, hints), highlight (the
    background of marked words) and rule (lines). "system" reads them from `palette`, by default the
    application's, so the reader matches whatever the platform chose."""
    theme = as_theme(theme)
    source = palette if palette is not None and theme is Theme.SYSTEM else theme_palette(theme)
    text, background = source.color(Role.Text), source.color(Role.Base)
    dark = background.lightnessF() < 0.5
    return {
        "text": text.name(),
        "background": background.name(),
        "link": source.color(Role.Link).name(),
        "muted": _mix(text, background, 0.62).name(),
        "highlight": MARKER[Theme.DARK if dark else Theme.LIGHT],
        "rule": _mix(text, background, 0.22).name(),
    }


def reader_css(colors: dict[str, str]) -> str:
    """A stylesheet fragment for a QTextDocument that colours a story with `colors` (see reader_colors)."""
    return (
        f"body {{ color: {colors['text']}; background-color: {colors['background']}; }}\n"
        f"a {{ color: {colors['link']}; }}\n"
        f".byline, .hint {{ color: {colors['muted']}; }}\n"
        f"hr {{ color: {colors['rule']}; }}\n"
        f"mark {{ background-color: {colors['highlight']}; color: {colors['text']}; }}\n"
    )


def reader_font(values: PreferenceValues) -> QFont:
    """The reader's font: serif, sans or the chosen family, at its size times the zoom."""
    font = QFont()
    if values.reader_family == SERIF:
        font.setFamilies(["serif"])
        font.setStyleHint(QFont.StyleHint.Serif)  # where no family is called "serif" (Windows, macOS)
    elif values.reader_family == SANS:
        font.setFamilies(["sans-serif"])
        font.setStyleHint(QFont.StyleHint.SansSerif)
    else:
        font.setFamilies([values.reader_family])
    font.setPointSizeF(max(1.0, values.reader_size))
    return font


def as_theme(theme: Theme | str) -> Theme:
    try:
        return Theme(theme)
    except ValueError:
        return Theme.SYSTEM


def _platform_style(app: QApplication) -> str:
    """The style the application started with, remembered on the application itself at the first call."""
    name = app.property(PLATFORM_STYLE)
    if not isinstance(name, str) or not name:
        name = app.style().name()
        app.setProperty(PLATFORM_STYLE, name)
    return name


def _hint_color_scheme(app: QApplication, theme: Theme) -> None:
    hints = app.styleHints()
    if not hasattr(hints, "setColorScheme"):  # Qt < 6.8
        return
    if theme is Theme.SYSTEM:
        hints.unsetColorScheme()
    else:
        hints.setColorScheme(Qt.ColorScheme.Dark if theme is Theme.DARK else Qt.ColorScheme.Light)


def _mix(front: QColor, back: QColor, amount: float) -> QColor:
    """`amount` of `front` over `back`."""
    return QColor.fromRgbF(
        front.redF() * amount + back.redF() * (1 - amount),
        front.greenF() * amount + back.greenF() * (1 - amount),
        front.blueF() * amount + back.blueF() * (1 - amount),
    )
