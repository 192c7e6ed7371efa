"""StarRocks SQL highlighting, one block (line) at a time: keywords, functions, strings, numbers,
comments and `backquoted` names, in colours chosen for the palette in use.

A line is coloured from its own text and from how the line before it ended (inside a /* comment, a
string, a backquoted name or a $$ attachment — the block state), so typing re-colours the line typed
in, and the lines after it only while the state it ends in changes: a 10,000-line script stays
responsive. The words are the completion catalogue's (StarRocks' own lists).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import IntEnum

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from ..style import is_dark

# Syntax colours carry no meaning (the tones of style.py do), so they are kept apart from them, in a
# light and a dark variant each, all readable on the palette's base colour.
_LIGHT = {
    "keyword": "#0033b3",
    "function": "#7a3e9d",
    "string": "#067d17",
    "number": "#a04f00",
    "comment": "#767676",
    "name": "#00627a",
}
_DARK = {
    "keyword": "#7aa2f7",
    "function": "#c4a7e7",
    "string": "#9ece6a",
    "number": "#ff9e64",
    "comment": "#8b8fa3",
    "name": "#73daca",
}


class State(IntEnum):
    """How a line ends: what the next line begins inside of."""

    NORMAL = 0
    COMMENT = 1
    SINGLE = 2  # '...'
    DOUBLE = 3  # "..."
    BACKQUOTE = 4  # `...`
    ATTACHMENT = 5  # $$...$$


# What closes each open construct, read from the start of a line that begins inside it.
_CLOSE = {
    State.COMMENT: re.compile(r"(?:(?!\*/).)*(\*/)?", re.S),
    State.SINGLE: re.compile(r"(?:\\.|''|[^'\\])*(')?", re.S),
    State.DOUBLE: re.compile(r'(?:\\.|""|[^"\\])*(")?', re.S),
    State.BACKQUOTE: re.compile(r"(?:``|[^`])*(`)?", re.S),
    State.ATTACHMENT: re.compile(r"(?:(?!\$\$).)*(\$\$)?", re.S),
}
_STYLE_OF = {
    State.COMMENT: "comment",
    State.SINGLE: "string",
    State.DOUBLE: "string",
    State.BACKQUOTE: "name",
    State.ATTACHMENT: "string",
}
_TOKEN = re.compile(
    r"""
      (?P<line_comment>--.*|\#.*)
    | (?P<comment>/\*)
    | (?P<single>')
    | (?P<double>")
    | (?P<backquote>`)
    | (?P<attachment>\$\$)
    | (?P<word>[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*)
    | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    """,
    re.X,
)
_OPENS = {
    "comment": (State.COMMENT, 2),
    "single": (State.SINGLE, 1),
    "double": (State.DOUBLE, 1),
    "backquote": (State.BACKQUOTE, 1),
    "attachment": (State.ATTACHMENT, 2),
}


class SqlHighlighter(QSyntaxHighlighter):
    def __init__(self, document: QTextDocument, keywords: Iterable[str], functions: Iterable[str]) -> None:
        super().__init__(document)
        self.keywords = frozenset(k.upper() for k in keywords)
        self.functions = frozenset(f.lower() for f in functions)
        self.formats: dict[str, QTextCharFormat] = {}
        self.palette_changed(rehighlight=False)

    def palette_changed(self, rehighlight: bool = True) -> None:
        """Take the colours of the palette now in use (light or dark)."""
        colours = _DARK if is_dark() else _LIGHT
        self.formats = {}
        for kind, colour in colours.items():
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(colour))
            if kind == "keyword":
                fmt.setFontWeight(QFont.Weight.Bold)
            if kind == "comment":
                fmt.setFontItalic(True)
            self.formats[kind] = fmt
        if rehighlight:
            self.rehighlight()

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt's name
        pos = 0
        state = State(max(0, self.previousBlockState()))
        if state is not State.NORMAL:
            m = _CLOSE[state].match(text)
            assert m is not None  # every pattern matches the empty string
            self.setFormat(0, m.end(), self.formats[_STYLE_OF[state]])
            if m.group(1) is None:
                self.setCurrentBlockState(state)
                return
            pos = m.end()
        self.setCurrentBlockState(self._scan(text, pos))

    def _scan(self, text: str, pos: int) -> State:
        formats = self.formats
        while True:
            m = _TOKEN.search(text, pos)
            if m is None:
                return State.NORMAL
            kind = m.lastgroup or ""
            start = m.start()
            if kind in _OPENS:
                state, opener = _OPENS[kind]
                close = _CLOSE[state].match(text, start + opener)
                assert close is not None
                self.setFormat(start, close.end() - start, formats[_STYLE_OF[state]])
                if close.group(1) is None:
                    return state
                pos = close.end()
                continue
            end = m.end()
            if kind == "line_comment":
                self.setFormat(start, end - start, formats["comment"])
            elif kind == "number":
                if start == 0 or not (text[start - 1].isalnum() or text[start - 1] in "_$"):
                    self.setFormat(start, end - start, formats["number"])
            elif kind == "word":
                word = m.group()
                if word.lower() in self.functions and text[end:].lstrip().startswith("("):
                    self.setFormat(start, end - start, formats["function"])
                elif word.upper() in self.keywords:
                    self.setFormat(start, end - start, formats["keyword"])
            pos = end if end > start else start + 1
