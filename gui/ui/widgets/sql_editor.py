"""The SQL console's editor: StarRocks highlighting, line numbers, completion from the catalogue
(Ctrl+Space, and by itself after a dot), and the keys that run SQL:

- Ctrl+Enter: ``run_statement`` with the statement under the cursor;
- Ctrl+Shift+Enter: ``run_script`` with the selection's statements, or all of them.

What runs is said as ``Statement`` objects (``gui.services.sql.statements``): their ``sql`` is the
text to send, their offsets are the editor's, so a view can show what ran and where an error is.
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QStandardItem,
    QStandardItemModel,
    QTextCursor,
)
from PySide6.QtWidgets import QAbstractItemView, QCompleter, QPlainTextEdit, QWidget

from ...services.sql.completion import Candidate, Catalogue
from ...services.sql.statements import ScriptIndex, Statement, statements_in
from .sql_highlight import SqlHighlighter

Scope = Literal["statement", "selection", "all"]
_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_KIND_ROLE = Qt.ItemDataRole.UserRole + 1


class SqlEditor(QPlainTextEdit):
    run_statement = Signal(object)  # Statement: the one under the cursor
    run_script = Signal(list)  # list[Statement]: the selection's, or all

    def __init__(self, catalogue: Catalogue | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sqlEditor")
        self.catalogue = catalogue if catalogue is not None else Catalogue()
        self.database = ""  # the connection's current database, for completion
        self._index = ScriptIndex()
        self._candidates: list[Candidate] = []
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * 4)
        self.setPlaceholderText("SQL — Ctrl+Enter runs the statement under the cursor, Ctrl+Shift+Enter all")
        self.highlighter = SqlHighlighter(self.document(), self.catalogue.keywords, self.catalogue.functions)
        self.line_numbers = _LineNumbers(self)
        self.blockCountChanged.connect(self._number_width)
        self.updateRequest.connect(self._scroll_numbers)
        self._number_width()
        self.completion_model = QStandardItemModel(self)
        self.completer = QCompleter(self.completion_model, self)
        self.completer.setWidget(self)
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setMaxVisibleItems(12)
        self.completer.activated[str].connect(self._insert)  # type: ignore[index]

    # -- what to run -------------------------------------------------------------------------------
    def statement_under_cursor(self) -> Statement | None:
        return self._index.statement_at(self.toPlainText(), self.textCursor().position())

    def statements(self, scope: Scope) -> list[Statement]:
        """The statement under the cursor, the selection's statements (all when nothing is
        selected), or all of the text's."""
        if scope == "statement":
            stmt = self.statement_under_cursor()
            return [stmt] if stmt is not None else []
        text = self.toPlainText()
        cursor = self.textCursor()
        if scope == "selection" and cursor.hasSelection():
            return statements_in(text, cursor.selectionStart(), cursor.selectionEnd())
        return statements_in(text, 0, len(text))

    def pieces(self, scope: Scope) -> list[str]:
        """The SQL text of each statement of ``scope``, as it is to be sent."""
        return [s.sql for s in self.statements(scope)]

    def select_statement(self, stmt: Statement) -> None:
        """Select a statement's text (to show which one ran, or failed)."""
        cursor = self.textCursor()
        cursor.setPosition(stmt.start)
        cursor.setPosition(stmt.end, QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)

    # -- keys --------------------------------------------------------------------------------------
    def keyPressEvent(self, e: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        popup = self.popup()
        if popup.isVisible() and e.key() in (*_ENTER, Qt.Key.Key_Tab, Qt.Key.Key_Escape, Qt.Key.Key_Backtab):
            e.ignore()  # the completer takes these
            return
        mods = e.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        if ctrl and e.key() in _ENTER:
            if mods & Qt.KeyboardModifier.ShiftModifier:
                self.run_script.emit(self.statements("selection"))
            else:
                stmt = self.statement_under_cursor()
                if stmt is not None:
                    self.run_statement.emit(stmt)
            return
        if ctrl and e.key() == Qt.Key.Key_Space:
            self.complete()
            return
        super().keyPressEvent(e)
        typed = e.text()
        if typed == ".":
            self.complete()
        elif popup.isVisible():
            if typed and not (typed.isalnum() or typed in "_$`") and e.key() != Qt.Key.Key_Backspace:
                popup.hide()
            else:
                self.complete()

    # -- completion --------------------------------------------------------------------------------
    def popup(self) -> QAbstractItemView:
        """The completion list."""
        popup = self.completer.popup()
        assert popup is not None  # QCompleter makes one when it is made
        return popup

    def complete(self) -> None:
        """Offer what may be typed at the cursor (hidden when nothing fits)."""
        cursor = self.textCursor()
        self._candidates = self.catalogue.complete(
            self.toPlainText(), cursor.position(), self.database, self._index
        )
        self.completion_model.clear()
        for cand in self._candidates[:500]:
            item = QStandardItem(cand.text)
            item.setData(cand.kind, _KIND_ROLE)
            item.setToolTip(f"{cand.kind} · {cand.detail}" if cand.detail else cand.kind)
            item.setEditable(False)
            self.completion_model.appendRow(item)
        popup = self.popup()
        if not self._candidates:
            popup.hide()
            return
        self.completer.setCompletionPrefix("")
        popup.setCurrentIndex(self.completer.completionModel().index(0, 0))
        rect = self.cursorRect()
        rect.setWidth(popup.sizeHintForColumn(0) + popup.verticalScrollBar().sizeHint().width() + 16)
        self.completer.complete(rect)

    def _insert(self, text: str) -> None:
        cand = next((c for c in self._candidates if c.text == text), None)
        if cand is None:
            return
        cursor = self.textCursor()
        cursor.setPosition(cand.start, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(cand.text)
        self.setTextCursor(cursor)

    # -- line numbers ------------------------------------------------------------------------------
    def number_area_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        return 12 + self.fontMetrics().horizontalAdvance("9") * max(3, digits)

    def _number_width(self, _count: int = 0) -> None:
        self.setViewportMargins(self.number_area_width(), 0, 0, 0)

    def _scroll_numbers(self, rect: QRect, dy: int) -> None:
        if dy:
            self.line_numbers.scroll(0, dy)
        else:
            self.line_numbers.update(0, rect.y(), self.line_numbers.width(), rect.height())

    def resizeEvent(self, e: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(e)
        r = self.contentsRect()
        self.line_numbers.setGeometry(QRect(r.left(), r.top(), self.number_area_width(), r.height()))

    def paint_numbers(self, event: QPaintEvent) -> None:
        painter = QPainter(self.line_numbers)
        pal = self.palette()
        painter.fillRect(event.rect(), pal.color(pal.ColorRole.Window))
        current = self.textCursor().blockNumber()
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        width = self.line_numbers.width() - 6
        muted = pal.color(pal.ColorRole.PlaceholderText)
        while block.isValid() and top <= event.rect().bottom():
            bottom = top + round(self.blockBoundingRect(block).height())
            if block.isVisible() and bottom >= event.rect().top():
                n = block.blockNumber()
                painter.setPen(pal.color(pal.ColorRole.Text) if n == current else QColor(muted))
                painter.drawText(0, top, width, height, Qt.AlignmentFlag.AlignRight, str(n + 1))
            block = block.next()
            top = bottom
        painter.end()

    def palette_changed(self) -> None:
        """The window switched between light and dark: recolour the text."""
        self.highlighter.palette_changed()
        self.line_numbers.update()


class _LineNumbers(QWidget):
    def __init__(self, editor: SqlEditor) -> None:
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(self.editor.number_area_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        self.editor.paint_numbers(event)
