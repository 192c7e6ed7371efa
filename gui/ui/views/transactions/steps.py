"""The steps of a load transaction: Begin, Load (repeatable), Prepare, Commit, Roll back, or the
whole load at once; progress with throughput and row counts; the latest answer in plain words with
its raw JSON a click away, and every answer of the transaction in a list."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ....services.transactions import Answer
from ...models.table import Role
from ...models.transactions import AnswersModel
from ...style import TONES, set_tone
from ...widgets.badge import BadgeDelegate


class TxnStepsPanel(QWidget):
    raw_requested = Signal(object)  # an Answer whose raw JSON the user asked to see

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("txnSteps")
        self.state_label = QLabel(self)
        self.state_label.setObjectName("txnState")
        self.state_label.setWordWrap(True)
        self.state_label.setTextFormat(Qt.TextFormat.RichText)
        self._step_buttons()
        self.next_label = QLabel(self)
        self.next_label.setObjectName("nextPiece")
        self.next_label.setWordWrap(True)
        progress_row = self._progress_row()
        self.stats = QLabel(self)
        self.stats.setObjectName("txnStats")
        self.stats.setWordWrap(True)
        self.answer_box = self._answer_box()
        self.answers = AnswersModel(self)
        self.answers_view = self._answers_table()
        lay = QVBoxLayout(self)
        # The panel's own minimumSizeHint (the buttons on two rows) decides how narrow it may go.
        lay.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.state_label)
        lay.addLayout(self.grid)
        lay.addWidget(self.next_label)
        lay.addLayout(progress_row)
        lay.addWidget(self.stats)
        lay.addWidget(self.answer_box)
        answers_title = QLabel("Answers of this transaction (double-click for the raw JSON):", self)
        answers_title.setWordWrap(True)
        lay.addWidget(answers_title)
        lay.addWidget(self.answers_view, 1)
        self.clear()

    def _button(self, text: str, name: str, tip: str) -> QPushButton:
        b = QPushButton(text, self)
        b.setObjectName(name)
        b.setToolTip(tip)
        return b

    def _step_buttons(self) -> None:
        self.begin_button = self._button("Begin", "beginButton", "Start a transaction with this label")
        self.load_button = self._button("Load", "loadButton", "Send the next file, or the next chunk of it")
        self.prepare_button = self._button(
            "Prepare",
            "prepareButton",
            "Pre-commit: the rows are kept, even across a restart, but not visible",
        )
        self.commit_button = self._button("Commit", "commitButton", "Make the rows visible")
        self.rollback_button = self._button("Roll back", "rollbackButton", "Discard the transaction (Delete)")
        self.all_button = self._button(
            "Load all at once",
            "allButton",
            "Begin, every chunk, prepare and commit, exactly once: after a failure or a restart the "
            "same label finishes the job or reports it done (files after the first get -2, -3… labels)",
        )
        self._steps = (
            self.begin_button,
            self.load_button,
            self.prepare_button,
            self.commit_button,
            self.rollback_button,
        )
        self.grid = QGridLayout()
        self._columns = 0
        self._arrange(5)

    def _progress_row(self) -> QHBoxLayout:
        self.progress = QProgressBar(self)
        self.progress.setObjectName("txnProgress")
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setToolTip("Stop the running step (the Activity panel's Cancel does the same)")
        self.cancel_button.hide()
        row = QHBoxLayout()
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        return row

    def _answer_box(self) -> QFrame:
        box = QFrame(self)
        box.setObjectName("answerBox")
        box.setFrameShape(QFrame.Shape.StyledPanel)
        self.headline = QLabel(box)
        self.headline.setObjectName("answerHeadline")
        self.headline.setWordWrap(True)
        self.detail = QLabel(box)
        self.detail.setObjectName("answerDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_url = QLabel(box)
        self.error_url.setObjectName("answerErrorUrl")
        self.error_url.setWordWrap(True)
        self.error_url.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.raw_button = QPushButton("Raw answer…", box)
        self.raw_button.setObjectName("rawButton")
        self.raw_button.clicked.connect(self._raw_of_latest)
        top = QHBoxLayout()
        top.addWidget(self.headline, 1)
        top.addWidget(self.raw_button, 0, Qt.AlignmentFlag.AlignTop)
        al = QVBoxLayout(box)
        al.addLayout(top)
        al.addWidget(self.detail)
        al.addWidget(self.error_url)
        return box

    def _answers_table(self) -> QTableView:
        table = QTableView(self)
        table.setObjectName("answersTable")
        table.setModel(self.answers)
        table.setItemDelegateForColumn(1, BadgeDelegate(table))
        table.verticalHeader().setVisible(False)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setToolTip("Double-click an answer for its raw JSON")
        table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        table.setColumnWidth(0, 70)
        table.setColumnWidth(1, 80)
        table.doubleClicked.connect(self._raw_of_row)
        return table

    # -- the step buttons: one row when there is room, two in a narrow window -----------------------
    def _arrange(self, columns: int) -> None:
        if columns == self._columns:
            return
        self._columns = columns
        for b in (*self._steps, self.all_button):
            self.grid.removeWidget(b)
        for i, b in enumerate(self._steps):
            self.grid.addWidget(b, i // columns, i % columns)
        rows = (len(self._steps) + columns - 1) // columns
        self.grid.addWidget(self.all_button, rows, 0, 1, columns)

    def _row_width(self, columns: int) -> int:
        widest = max(b.sizeHint().width() for b in self._steps)
        return columns * widest + (columns - 1) * max(0, self.grid.horizontalSpacing())

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(self._row_width(3), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._arrange(5 if event.size().width() >= self._row_width(5) else 3)
        super().resizeEvent(event)

    # -- answers ----------------------------------------------------------------------------------
    def show_answer(self, answer: Answer) -> None:
        self.answers.append([answer])
        self.answers_view.scrollToBottom()
        self._show(answer)

    def _show(self, answer: Answer) -> None:
        self.answer_box.show()
        set_tone(self.headline, TONES.get(answer.severity), bold=True)
        self.headline.setText(answer.headline)
        self.detail.setText(answer.detail)
        self.detail.setVisible(bool(answer.detail))
        self.error_url.setText(f"Refused rows: {answer.error_url}" if answer.error_url else "")
        self.error_url.setVisible(bool(answer.error_url))
        self.raw_button.setEnabled(answer.raw is not None)

    def latest(self) -> Answer | None:
        rows = self.answers.rows
        return rows[-1] if rows else None

    def clear(self) -> None:
        self.answers.set_rows([])
        self.answer_box.hide()
        self.progress.setValue(0)
        self.progress.hide()
        self.stats.setText("")
        self.next_label.setText("")

    def _raw_of_latest(self) -> None:
        answer = self.latest()
        if answer is not None:
            self.raw_requested.emit(answer)

    def _raw_of_row(self, index: QModelIndex) -> None:
        answer = index.data(Role.RECORD)
        if isinstance(answer, Answer):
            self.raw_requested.emit(answer)

    # -- progress ---------------------------------------------------------------------------------
    def set_progress(self, fraction: float | None) -> None:
        self.progress.show()
        if fraction is None:
            self.progress.setRange(0, 0)
            return
        self.progress.setRange(0, 1000)
        self.progress.setValue(int(max(0.0, min(1.0, fraction)) * 1000))
