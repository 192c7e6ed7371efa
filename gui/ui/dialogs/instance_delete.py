"""Delete a StarRocks instance, confirmed by typing its name. The dialog starts the delete itself so
a refusal (a job running on the instance) is shown here; ``started(job)`` is emitted once the service
accepted, and the job is followed in the Activity panel."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QWidget

from ...services.instances import SERVICE, HuaweiInstancesService, StarRocksRow
from ..context import UiContext
from .confirm_name import ConfirmNameDialog


class DeleteInstanceDialog(ConfirmNameDialog):
    def __init__(
        self,
        ctx: UiContext,
        service: HuaweiInstancesService,
        row: StarRocksRow,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            ctx,
            row.name,
            noun="instance",
            button="Delete instance",
            service=SERVICE,
            start=lambda: service.delete(row),
            starting="Starting the delete…",
            parent=parent,
        )
        self.row = row
        self.setObjectName("deleteInstanceDialog")
        self.setWindowTitle(f"Delete {row.name}")
        self.delete_button = self.action
        self.delete_button.setObjectName("deleteButton")
        self.outcome.setObjectName("deleteResult")
        name = html.escape(row.name)
        self.text.setText(
            f"Deleting <b>{name}</b> removes its {row.fe.count or '?'} FE and {row.be.count or '?'} BE "
            f"nodes and <b>all the data it holds</b>, on TaurusDB instance {html.escape(row.taurus_name)}. "
            "This cannot be undone."
        )
