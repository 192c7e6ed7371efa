"""Add / edit a connection profile: one form per kind, each field checked where it is typed, a
Test connection button, secrets to the keyring on save (never to the settings file)."""

from __future__ import annotations

import os
import re
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...api import errors
from ...services.connection import test_profile
from ...services.credentials import KeyringState
from ...services.profiles import KIND_TITLES, SECRETS, Profile
from ..context import UiContext
from ..style import set_tone
from ..widgets.field import Field

HUAWEI_REGIONS = [
    "cn-north-4",
    "cn-north-1",
    "cn-east-3",
    "cn-east-2",
    "cn-south-1",
    "cn-southwest-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "af-south-1",
    "la-north-2",
    "la-south-2",
    "sa-brazil-1",
    "tr-west-1",
    "me-east-1",
    "eu-west-101",
]
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,63}$")
_HOSTPORT_RE = re.compile(r"^[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$")


class ProfileDialog(QDialog):
    """Emits ``saved(profile)`` once the profile and its secrets are stored."""

    saved = Signal(object)

    def __init__(
        self, ctx: UiContext, kind: str, profile: Profile | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.kind = kind
        self.original = profile
        self.setWindowTitle(("Edit " if profile else "New ") + KIND_TITLES[kind] + " profile")
        self.setObjectName("profileDialog")
        self.setMinimumWidth(560)
        p = profile or Profile(name="", kind=kind)  # type: ignore[arg-type]
        self.fields: dict[str, Field] = {}
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name = self._line("name", "Name", p.name, "e.g. prod-cluster")
        stored = " (stored; leave empty to keep it)" if profile else ""
        if kind == "starrocks":
            self.url = self._line("url", "FE address", p.url, "http://fe-host:8030")
            self.user = self._line("user", "User", p.user or "root")
            self.password = self._line("password", "Password", "", "password" + stored, secret=True)
            self.query_port, self.query_tls, self.read_only = _query_port_rows(self, self.form, p)
        elif kind == "ailake":
            self.url = self._line("url", "Organization URL", p.url, "https://org.cloud.gooddata.com")
            self.token = self._line("token", "API token", "", "token" + stored, secret=True)
        else:
            self._build_huawei(p, stored)
        self._build_tls(p)
        if kind == "starrocks":
            self._build_starrocks_extras(p)
        outer = QVBoxLayout(self)
        outer.addLayout(self.form)
        self._build_bottom(outer)
        if kind == "huawei":
            self._auth_changed(self.form)
        self._tls_warning()
        self.validate(quiet=True)

    # -- building ----------------------------------------------------------------------------------
    def _line(
        self, key: str, label: str, value: str = "", placeholder: str = "", secret: bool = False
    ) -> QLineEdit:
        edit = QLineEdit(value, self)
        edit.setObjectName(key)
        edit.setPlaceholderText(placeholder)
        if secret:
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.textChanged.connect(lambda _t: self.validate(quiet=True))
        field = Field(edit, self)
        self.fields[key] = field
        self.form.addRow(label, field)
        return edit

    def _build_huawei(self, p: Profile, stored: str) -> None:
        self.region = QComboBox(self)
        self.region.setObjectName("region")
        self.region.setEditable(True)
        self.region.addItems(HUAWEI_REGIONS)
        self.region.setCurrentText(p.region or "cn-north-4")
        self.region.currentTextChanged.connect(lambda _t: self.validate(quiet=True))
        self.fields["region"] = Field(self.region, self)
        self.form.addRow("Region", self.fields["region"])
        self.project_id = self._line(
            "project_id", "Project ID", p.project_id, "32 hex characters (found from IAM if empty)"
        )
        self.url = self._line(
            "url", "GaussDB endpoint", p.url, "default: https://gaussdb.<region>.myhuaweicloud.com"
        )
        self.iam_url = self._line(
            "iam_url", "IAM endpoint", p.iam_url, "default: https://iam.<region>.myhuaweicloud.com"
        )
        self.auth = QComboBox(self)
        self.auth.setObjectName("auth_method")
        self.auth.addItem("IAM user and password", "password")
        self.auth.addItem("Access key (AK/SK)", "aksk")
        self.auth.setCurrentIndex(1 if p.auth_method == "aksk" else 0)
        self.form.addRow("Sign in with", self.auth)
        self.user = self._line("user", "IAM user", p.user)
        self.domain = self._line("domain", "Account (domain)", p.domain)
        self.password = self._line("password", "IAM password", "", "password" + stored, secret=True)
        self.ak = self._line("ak", "Access key ID", p.ak)
        self.sk = self._line("sk", "Secret access key", "", "secret key" + stored, secret=True)
        self.auth.currentIndexChanged.connect(lambda _i: self._auth_changed(self.form))

    def _build_tls(self, p: Profile) -> None:
        self.verify = QCheckBox("Verify TLS certificates", self)
        self.verify.setObjectName("verify_tls")
        self.verify.setChecked(p.verify_tls)
        self.verify.toggled.connect(lambda _v: self._tls_warning())
        self.form.addRow("TLS", self.verify)
        ca_row = QWidget(self)
        ca_lay = QHBoxLayout(ca_row)
        ca_lay.setContentsMargins(0, 0, 0, 0)
        self.ca = QLineEdit(p.ca_bundle, ca_row)
        self.ca.setObjectName("ca_bundle")
        self.ca.setPlaceholderText("system certificates")
        browse = QPushButton("Browse…", ca_row)
        browse.clicked.connect(self._browse_ca)
        ca_lay.addWidget(self.ca, 1)
        ca_lay.addWidget(browse)
        self.fields["ca_bundle"] = Field(ca_row, self)
        self.form.addRow("CA bundle", self.fields["ca_bundle"])
        self.tls_note = QLabel("Certificates will not be checked for this profile only.", self)
        set_tone(self.tls_note, "warning")
        self.form.addRow("", self.tls_note)

    def _build_starrocks_extras(self, p: Profile) -> None:
        """The consent to send the password to BEs over plain HTTP, and the BE address map."""
        # StarRocks writes http:// in the redirects of an https FE: the password follows them to
        # the BEs only with this consent.
        self.plain_be = QCheckBox("Let the password go to BEs over plain HTTP", self)
        self.plain_be.setObjectName("allow_plain_http_be")
        self.plain_be.setChecked(p.allow_plain_http_be)
        self.plain_be.setToolTip(
            "An https FE redirects loads to its BEs by http:// addresses. Without this, such a load "
            "stops before anything is sent; with it, the password and the data cross the network "
            "in clear to the BEs the cluster lists. Better: give the BEs https addresses in the BE "
            "address map."
        )
        self.form.addRow("", self.plain_be)
        self.be_map = QTableWidget(0, 2, self)
        self.be_map.setObjectName("be_map")
        self.be_map.setHorizontalHeaderLabels(["BE address the FE names", "Reachable from here as"])
        self.be_map.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.be_map.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.be_map.setMinimumHeight(110)
        for src, dst in p.be_map.items():
            self._add_map_row(src, dst)
        buttons = QHBoxLayout()
        add = QPushButton("Add mapping", self)
        add.clicked.connect(lambda: self._add_map_row("", ""))
        remove = QPushButton("Remove", self)
        remove.clicked.connect(self._remove_map_row)
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        box = QWidget(self)
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.be_map)
        lay.addLayout(buttons)
        self.fields["be_map"] = Field(box, self)
        self.form.addRow("BE address map", self.fields["be_map"])
        self.be_map.itemChanged.connect(lambda _i: self.validate(quiet=True))

    def _build_bottom(self, outer: QVBoxLayout) -> None:
        self.keyring_note = QLabel("Checking the keyring…", self)
        self.keyring_note.setObjectName("keyringNote")
        self.keyring_note.setWordWrap(True)
        set_tone(self.keyring_note, "muted")
        self.keyring_state: KeyringState | None = None
        self.keyring_checked = self.ctx.run(self._check_keyring(), what="checking the keyring")
        self.test_result = QLabel(self)
        self.test_result.setObjectName("testResult")
        self.test_result.setWordWrap(True)
        self.test_button = QPushButton("Test connection", self)
        self.test_button.setObjectName("testButton")
        self.test_button.clicked.connect(self._test)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.test_button)
        bottom.addWidget(self.test_result, 1)
        outer.addWidget(self.keyring_note)
        outer.addLayout(bottom)
        outer.addWidget(self.buttons)

    # -- form behaviour ------------------------------------------------------------------------------
    def _auth_changed(self, form: QFormLayout) -> None:
        aksk = self.auth.currentData() == "aksk"
        for key in ("user", "domain", "password"):
            form.setRowVisible(self.fields[key], not aksk)
        for key in ("ak", "sk"):
            form.setRowVisible(self.fields[key], aksk)
        self.validate(quiet=True)

    def _tls_warning(self) -> None:
        self.tls_note.setVisible(not self.verify.isChecked())

    def _browse_ca(self) -> None:
        dialog = QFileDialog(self, "CA bundle", "", "Certificates (*.pem *.crt *.cer);;All files (*)")
        dialog.fileSelected.connect(self.ca.setText)
        dialog.open()

    def _add_map_row(self, src: str, dst: str) -> None:
        row = self.be_map.rowCount()
        self.be_map.insertRow(row)
        self.be_map.setItem(row, 0, QTableWidgetItem(src))
        self.be_map.setItem(row, 1, QTableWidgetItem(dst))

    def _remove_map_row(self) -> None:
        rows = sorted({i.row() for i in self.be_map.selectedIndexes()}, reverse=True)
        for r in rows:
            self.be_map.removeRow(r)
        self.validate(quiet=True)

    # -- reading and checking ----------------------------------------------------------------------
    def profile(self) -> Profile:
        """The profile as the form describes it (secrets excluded)."""
        p = Profile(name=self.name.text().strip(), kind=self.kind)  # type: ignore[arg-type]
        p.verify_tls = self.verify.isChecked()
        p.ca_bundle = self.ca.text().strip()
        if self.kind in ("starrocks", "ailake"):
            p.url = self.url.text().strip().rstrip("/")
        if self.kind == "starrocks":
            p.user = self.user.text().strip()
            p.allow_plain_http_be = self.plain_be.isChecked()
            p.query_port, p.query_tls = self.query_port.value(), self.query_tls.isChecked()
            p.read_only = self.read_only.isChecked()
            p.be_map = {
                (self.be_map.item(r, 0) or QTableWidgetItem()).text().strip(): (
                    self.be_map.item(r, 1) or QTableWidgetItem()
                )
                .text()
                .strip()
                for r in range(self.be_map.rowCount())
            }
            p.be_map.pop("", None)
        if self.kind == "huawei":
            p.region = self.region.currentText().strip()
            p.project_id = self.project_id.text().strip()
            p.url = self.url.text().strip().rstrip("/")
            p.iam_url = self.iam_url.text().strip().rstrip("/")
            p.auth_method = self.auth.currentData()
            p.user = self.user.text().strip()
            p.domain = self.domain.text().strip()
            p.ak = self.ak.text().strip()
        return p

    def secrets(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for key in SECRETS[self.kind]:
            edit = getattr(self, key, None)
            if isinstance(edit, QLineEdit):
                out[key] = edit.text()
        return out

    def problems(self) -> dict[str, str]:
        """Field → reason, for every field that is not acceptable as typed."""
        p, secrets, bad = self.profile(), self.secrets(), {}
        if not _NAME_RE.match(p.name):
            bad["name"] = (
                "1–64 characters: letters, digits, space, '.', '_' or '-', starting with a letter or digit"
            )
        elif any(other.name == p.name for other in self.ctx.session.all_profiles()) and (
            self.original is None or self.original.name != p.name
        ):
            bad["name"] = "a profile with this name exists"
        for key in ("url", "iam_url"):
            value = getattr(p, key, "")
            required = key == "url" and self.kind != "huawei"
            if "@" in value.split("://", 1)[-1].split("/", 1)[0]:
                bad[key] = "no user or password in the address: they go in their own fields"
            elif (value or required) and not re.match(r"^https?://[^/\s:@]+(:\d{1,5})?(/\S*)?$", value):
                bad[key] = "an address like https://host:port (http:// only for a local or trusted network)"
        if self.kind == "starrocks":
            if not p.user:
                bad["user"] = "the user to log in as"
            for src, dst in p.be_map.items():
                if not _HOSTPORT_RE.match(src) or not _HOSTPORT_RE.match(dst.split("://", 1)[-1]):
                    bad["be_map"] = f"each mapping is host:port → host:port ({src or '?'} → {dst or '?'})"
                    break
        new = self.original is None or self.original.name != p.name
        if self.kind == "ailake" and new and not secrets.get("token"):
            bad["token"] = "the API token of the organization"
        if self.kind == "huawei":
            if not re.match(r"^[a-z]{2,}(-[a-z0-9]+)+$", p.region):
                bad["region"] = "a Huawei Cloud region such as cn-north-4"
            if p.project_id and not re.match(r"^[0-9a-f]{32}$", p.project_id):
                bad["project_id"] = "32 lowercase hex characters, or empty to look it up"
            if p.auth_method == "password":
                if not p.user:
                    bad["user"] = "the IAM user name"
                if not p.domain:
                    bad["domain"] = "the account (domain) the IAM user belongs to"
                if new and not secrets.get("password"):
                    bad["password"] = "the IAM user's password"
            else:
                if not re.match(r"^[A-Z0-9]{16,64}$", p.ak):
                    bad["ak"] = "the access key ID: 16–64 capital letters and digits"
                if new and not secrets.get("sk"):
                    bad["sk"] = "the secret access key"
        if self.kind == "starrocks" and new and secrets.get("password") is None:
            bad["password"] = "the password (may be empty only if the cluster allows it)"
        if p.ca_bundle and not os.path.isfile(p.ca_bundle):
            bad["ca_bundle"] = "no such file"
        return bad

    async def _check_keyring(self) -> None:
        """Whether secrets can be stored is found when the dialog opens, before any is typed."""
        state = await self.ctx.session.credentials.acheck()
        self.keyring_state = state
        if state.usable:
            self.keyring_note.setText(
                f"Secrets are stored in {state.name}" + (f" ({state.note})." if state.note else ".")
            )
            set_tone(self.keyring_note, "warning" if state.note else "muted")
            return
        self.keyring_note.setText(
            f"Secrets cannot be stored in the keyring here: {state.why}. What you enter is kept for this "
            "session only and asked again next time (install and unlock GNOME Keyring or KDE Wallet, or "
            "run the console in a desktop session)."
        )
        set_tone(self.keyring_note, "warning")

    def validate(self, quiet: bool = False) -> bool:
        bad = self.problems()
        for key, field in self.fields.items():
            field.set_error(bad.get(key) if not quiet or self._touched(key) else None)
        ok = not bad
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(ok)
        return ok

    def _touched(self, key: str) -> bool:
        editor = self.fields[key].editor
        if isinstance(editor, QLineEdit):
            return bool(editor.text()) or editor.isModified()
        return True

    # -- actions ---------------------------------------------------------------------------------
    def _test(self) -> None:
        if not self.validate():
            return
        self.test_button.setEnabled(False)
        self.test_result.setText("Testing…")
        self.ctx.run(self._run_test(), key=f"profile-test-{id(self)}", what="connection test")

    async def _run_test(self) -> None:
        try:
            text = await test_profile(self.ctx.session, self.profile(), self.secrets(), self.original)
        except errors.ApiError as e:
            set_tone(self.test_result, "error")
            self.test_result.setText(f"✗ {e}")
        else:
            set_tone(self.test_result, "ok")
            self.test_result.setText(f"✓ {text}")
        finally:
            self.test_button.setEnabled(True)

    def _save(self) -> None:
        if not self.validate():
            return
        self.buttons.setEnabled(False)
        self.ctx.run(self._run_save(), key=f"profile-save-{id(self)}", what="saving the profile")

    async def _run_save(self) -> None:
        profile = self.profile()
        try:
            persistent = await self.ctx.session.save_profile(
                profile,
                self.secrets(),
                old_name=self.original.name if self.original else None,
                to_keyring=self.keyring_state is None or self.keyring_state.usable,
            )
        finally:
            self.buttons.setEnabled(True)
        if not persistent:
            self.ctx.notify(f"Saved {profile.name}; its secrets are kept for this session only (no keyring).")
        else:
            self.ctx.notify(f"Saved {profile.name}.")
        self.saved.emit(profile)
        self.accept()


def _query_port_rows(parent: QWidget, form: QFormLayout, p: Profile) -> tuple[QSpinBox, QCheckBox, QCheckBox]:
    """The FE's query port (a spin box: only 1–65535 can be entered), its TLS, and read-only."""
    port = QSpinBox(parent)
    port.setObjectName("query_port")
    port.setRange(1, 65535)
    port.setValue(p.query_port)
    port.setToolTip(
        "The FE's MySQL-protocol port (query_port in fe.conf, 9030 by default). The SQL console, DDL, DML, "
        "ADMIN and users/grants need it; SELECT, SHOW, EXPLAIN and DESC also run over the HTTP port."
    )
    form.addRow("Query port (MySQL)", port)
    tls = QCheckBox("Require TLS on the query port", parent)
    tls.setObjectName("query_tls")
    tls.setChecked(p.query_tls)
    tls.setToolTip("Verified as above. A FE that does not offer TLS there is refused, never used in clear.")
    form.addRow("", tls)
    read_only = QCheckBox("Read-only: refuse statements that change anything", parent)
    read_only.setObjectName("read_only")
    read_only.setChecked(p.read_only)
    form.addRow("", read_only)
    return port, tls, read_only


def edit_profile(
    ctx: UiContext, kind: str, profile: Profile | None, parent: QWidget | None, on_saved: Any = None
) -> ProfileDialog:
    dialog = ProfileDialog(ctx, kind, profile, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if on_saved is not None:
        dialog.saved.connect(on_saved)
    dialog.open()
    return dialog
