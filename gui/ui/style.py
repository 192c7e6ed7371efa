"""Colours with a meaning (error, warning, ok, info, muted), taken against the palette in use.

A colour that reads well on a light window is unreadable on a dark one (a dark red on near-black), so
every meaningful colour of the window comes from here, in a light and a dark variant, and widgets
that carry one are restyled when the system switches between light and dark.
"""

from __future__ import annotations

import html
from typing import Literal

from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget

Tone = Literal["ok", "warning", "error", "info", "muted", "accent"]

_LIGHT: dict[str, str] = {
    "ok": "#2e7d32",
    "warning": "#a84f00",
    "error": "#c62828",
    "info": "#1565c0",
    "muted": "#616161",
    "accent": "#6a1b9a",
}
_DARK: dict[str, str] = {
    "ok": "#81c995",
    "warning": "#ffb74d",
    "error": "#ff8a80",
    "info": "#8ab4f8",
    "muted": "#a0a4aa",
    "accent": "#ce93d8",
}
# The tone of each severity the services give (Answer.severity and the like).
TONES: dict[str, Tone] = {"ok": "ok", "warning": "warning", "error": "error"}
_TONE_PROPERTY = "scTone"
_BOLD_PROPERTY = "scToneBold"


def _palette(palette: QPalette | None = None) -> QPalette:
    if palette is not None:
        return palette
    app = QGuiApplication.instance()
    return QGuiApplication.palette() if app is not None else QPalette()


def is_dark(palette: QPalette | None = None) -> bool:
    return _palette(palette).color(QPalette.ColorRole.Window).lightness() < 128


def tone(name: Tone, palette: QPalette | None = None) -> QColor:
    """The colour of a meaning, readable on the palette's window and base colours."""
    return QColor((_DARK if is_dark(palette) else _LIGHT)[name])


def tone_hex(name: Tone, palette: QPalette | None = None) -> str:
    return tone(name, palette).name()


def span(text: str, name: Tone, bold: bool = False, escape: bool = True) -> str:
    """Rich text of ``text`` in a meaning's colour (escaped unless told it is markup already)."""
    body = html.escape(text) if escape else text
    if bold:
        body = f"<b>{body}</b>"
    return f"<span style='color:{tone_hex(name)}'>{body}</span>"


def set_tone(widget: QWidget, name: Tone | None, bold: bool = False) -> None:
    """Colour a label's (or button's) text by meaning; None for the palette's own text colour.
    The widget keeps its meaning and is recoloured when the palette changes."""
    widget.setProperty(_TONE_PROPERTY, name or "")
    widget.setProperty(_BOLD_PROPERTY, bold)
    _apply(widget)


def _apply(widget: QWidget) -> None:
    name = widget.property(_TONE_PROPERTY)
    bold = bool(widget.property(_BOLD_PROPERTY))
    rules = []
    if name:
        rules.append(f"color: {tone_hex(name)};")
    if bold:
        rules.append("font-weight: bold;")
    sheet = " ".join(rules)
    # Qt repolishes a widget at every setStyleSheet, even to the sheet it has (its style computed
    # again, then its layout and repaint): a line set to the same tone at each reading paid that.
    if widget.styleSheet() != sheet:
        widget.setStyleSheet(sheet)


def blend(under: QColor, over: QColor, share: float) -> QColor:
    """``over`` laid on ``under`` at ``share`` opacity, as one opaque colour."""
    return QColor(
        round(under.red() * (1 - share) + over.red() * share),
        round(under.green() * (1 - share) + over.green() * share),
        round(under.blue() * (1 - share) + over.blue() * share),
    )


def banner_css(selector: str, name: Tone, palette: QPalette | None = None) -> str:
    """A panel's stylesheet that sets it apart in a meaning's colour: a light tint of it over the
    window colour, and a border in it. Text keeps the palette's colour, so it stays readable."""
    pal = _palette(palette)
    accent = tone(name, pal)
    tint = blend(pal.color(QPalette.ColorRole.Window), accent, 0.16 if is_dark(pal) else 0.12)
    return f"{selector} {{ background: {tint.name()}; border: 1px solid {accent.name()}; }}"


def restyle_all() -> None:
    """Recolour every toned widget, and tell widgets with a ``palette_changed`` method (called by the
    theme after it switched the palette)."""
    for w in QApplication.allWidgets():
        if w.property(_TONE_PROPERTY) is not None:
            _apply(w)
        restyle = getattr(w, "palette_changed", None)
        if callable(restyle):
            restyle()
