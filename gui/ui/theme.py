"""Light and dark themes that follow the system's colour scheme (Qt 6.5+ reports it)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from .style import restyle_all


def _dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor("#1e1f22"), QColor("#2b2d30"), QColor("#dfe1e5")
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#26282b"))
    p.setColor(QPalette.ColorRole.ToolTipBase, window)
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, window)
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.BrightText, QColor("#ff6b68"))
    p.setColor(QPalette.ColorRole.Highlight, QColor("#2f65ca"))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("white"))
    p.setColor(QPalette.ColorRole.Link, QColor("#589df6"))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#868a91"))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6f737a"))
    return p


def apply_theme(app: QApplication, choice: str = "system") -> None:
    """Fusion everywhere (the same look on every platform); ``choice`` is ``system`` (dark when the
    system is dark, and switching when the system switches), ``light`` or ``dark``."""
    app.setStyle("Fusion")
    app.setProperty("scTheme", choice)

    def update() -> None:
        wanted = app.property("scTheme") or "system"
        if wanted == "system":
            dark = QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
        else:
            dark = wanted == "dark"
        app.setPalette(_dark_palette() if dark else app.style().standardPalette())
        restyle_all()

    update()
    if not app.property("scThemeWatched"):
        app.setProperty("scThemeWatched", True)
        QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _s: update())
