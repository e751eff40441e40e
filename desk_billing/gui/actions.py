"""The operations of the lists: each tab's actions as buttons above the list, items of the
Actions menu and shortcuts, enabled by the selected row's state, run through the operation
dialogs and the task runner. The tabs declare their actions (`TabAction`); this module runs them.

Nothing here imports the Stripe SDK at import time: `core.operations` and the dialogs pull it
in (a third of a second), so they are imported on a worker first, or when an action is used.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desk_billing.core.cache import table_for_object
from desk_billing.gui import formatting
from desk_billing.gui.tasks import TaskControl, TaskError, TaskRunner

if TYPE_CHECKING:
    from desk_billing.gui.dialogs.operation import OperationContext
    from desk_billing.gui.session import Session

# Fields of a returned object that name other cached objects it changed (a refund changes its
# charge and payment, an invoice its customer's balance...).
_REFERENCES = {
    "charge": "charges",
    "latest_charge": "charges",
    "payment_intent": "payment_intents",
    "invoice": "invoices",
    "customer": "customers",
    "subscription": "subscriptions",
}


@dataclass(frozen=True)
class Selection:
    """The selected row as the cache holds it: its table, its object and the detail pane's rows."""

    table: str
    obj: Mapping[str, Any]
    detail: Mapping[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.obj["id"])

    @property
    def status(self) -> str:
        return str(self.obj.get("status") or "")


Check = Callable[["Selection | None"], "str | None"]
"""None when the action is allowed on this selection, else one sentence saying why not."""


def needs_row(selection: Selection | None) -> str | None:
    if selection is None:
        return "Select a row first."
    if selection.obj.get("deleted"):
        return f"{selection.id} has been deleted."
    return None


def always(selection: Selection | None) -> str | None:
    return None


@dataclass(frozen=True)
class TabAction:
    """One operation a tab offers. `open` builds its dialog (or does its own thing and returns
    None); `resource` is the permission it needs: Stripe's 403 for it disables every action that
    needs it, with Stripe's sentence as the reason."""

    name: str
    text: str
    resource: str
    open: Callable[[ActionHub, Selection | None], QDialog | None]
    check: Check = needs_row
    shortcut: str | None = None
    tip: str = ""


def ref(value: Any) -> str | None:
    """An id whether the API sent it bare or expanded."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return str(value) if value else None


def related_changes(obj: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """{table: ids} for the tabs' `refresh`: the returned object and the cached objects it names."""
    changes: dict[str, set[str]] = {}
    # An object the cache does not hold (KeyError) may still name cached ones.
    with contextlib.suppress(KeyError):
        changes.setdefault(table_for_object(str(obj.get("object"))), set()).add(str(obj["id"]))
    for key, table in _REFERENCES.items():
        value = ref(obj.get(key))
        if value:
            changes.setdefault(table, set()).add(value)
    return {table: frozenset(ids) for table, ids in changes.items()}


def describe(obj: Mapping[str, Any]) -> str:
    """One status-bar sentence on what an operation left behind."""
    kind = str(obj.get("object") or "object").replace("_", " ").capitalize()
    if obj.get("deleted"):
        return f"{kind} {obj.get('id')} deleted."
    status = obj.get("status")
    if obj.get("cancel_at_period_end"):
        return f"{kind} {obj.get('id')} now ends at the end of its period."
    if status:
        return f"{kind} {obj.get('id')} is now {formatting.status_text(status)}."
    return f"{kind} {obj.get('id')} saved."


class ActionHub(QObject):
    """One per open account: opens the tabs' dialogs, says what changed, remembers 403s, and
    resumes the journal's unfinished operations at start."""

    changed = Signal(object)  # {table: frozenset(ids)}, or None for "anything may have changed"
    message = Signal(str)  # one sentence for the status bar
    denials_changed = Signal()

    def __init__(
        self,
        runner: TaskRunner,
        session: Session,
        gateway: Callable[[], Any],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.window = parent
        self.mode = session.mode
        self._cache_path: Path = session.cache_path
        self._profile = session.profile.name
        self._gateway = gateway
        self._context: OperationContext | None = None
        self.denied: dict[str, str] = {}  # resource -> Stripe's 403 sentence
        self.dialog: QDialog | None = None  # the one opened last (tests drive it)
        self.menus: dict[QWidget, list[QAction]] = {}
        self.resume_summary: str | None = None  # what the resume at start settled, if anything

    @property
    def context(self) -> OperationContext:
        """Built on first use (its module imports the SDK; `resume_unfinished` imports it on a worker)."""
        if self._context is None:
            from desk_billing.gui.dialogs.operation import OperationContext

            self._context = OperationContext(
                self._cache_path, self._gateway, self._profile, self.mode
            )
        return self._context

    def show(self, dialog: QDialog, resource: str) -> QDialog:
        """Open a dialog window-modally (the event loop keeps running) and follow its outcome."""
        completed = getattr(dialog, "completed", None)
        if completed is not None:
            completed.connect(self._completed)
        failed = getattr(dialog, "failed", None)
        if failed is not None:
            failed.connect(lambda failure: self._failed(resource, failure))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _completed(self, obj: dict[str, Any]) -> None:
        self.message.emit(describe(obj))
        self.changed.emit(related_changes(obj))

    def _failed(self, resource: str, failure: TaskError) -> None:
        from desk_billing.core.errors import PermissionDenied

        if isinstance(failure.error, PermissionDenied) and resource not in self.denied:
            self.denied[resource] = failure.message
            self.denials_changed.emit()

    # -- the journal at start --------------------------------------------------------------
    def resume_unfinished(self) -> None:
        """Send the journal's pending operations again with their own keys, on the io lane."""

        def warm(control: TaskControl) -> None:
            # The SDK and the operation kinds load here, not on the GUI thread.
            import desk_billing.core.operations  # noqa: F401
            import desk_billing.gui.dialogs.operation  # noqa: F401

        def start(_: Any) -> None:
            context = self.context

            def resume(control: TaskControl) -> Any:
                return context.run(lambda journal: journal.resume_unfinished())

            self.runner.run(resume, success=self._resumed, error=self._resume_failed)

        self.runner.run(warm, success=start, error=self._resume_failed)

    def _resumed(self, report: Any) -> None:
        done, failed, pending = report.succeeded, report.failed, report.still_pending
        if not (done or failed or pending):
            return
        parts = [f"{len(done)} finished"]
        if failed:
            parts.append(f"{len(failed)} failed")
        if pending:
            parts.append(f"{len(pending)} still unconfirmed (see Audit)")
        self.resume_summary = f"Unfinished operations from last time: {', '.join(parts)}."
        self.message.emit(self.resume_summary)
        self.changed.emit(None)

    def _resume_failed(self, failure: TaskError) -> None:
        self.message.emit(
            f"Unfinished operations could not be checked yet: {failure.message} "
            "They stay pending; retry them from the Audit tab."
        )

    # -- the Actions menu ----------------------------------------------------------------------
    def register(self, page: QWidget, actions: Sequence[QAction]) -> None:
        self.menus[page] = list(actions)

    def mirror(self, menu: QMenu, page: QWidget | None) -> None:
        """The Actions menu holds the current tab's QActions (the same objects as its buttons: one
        enabled state, one shortcut; a hidden tab's shortcuts do not fire)."""
        menu.clear()
        actions = self.menus.get(page, []) if page is not None else []
        menu.addActions(actions)
        menu.setEnabled(bool(actions))


class ActionBar(QWidget):
    """A tab's actions as buttons above its list; enabled by the selected row."""

    def __init__(self, tab: Any, hub: ActionHub, actions: Sequence[TabAction]) -> None:
        super().__init__(tab)
        self.tab = tab
        self.hub = hub
        self.specs = {spec.name: spec for spec in actions}
        self.selection: Selection | None = None
        self.qactions: dict[str, QAction] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for spec in actions:
            action = QAction(spec.text, tab)
            action.setObjectName(f"action-{spec.name}")
            if spec.shortcut:
                action.setShortcut(QKeySequence(spec.shortcut))
                # Only the visible tab's actions match (and only they are in the Actions menu).
                action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _=False, name=spec.name: self.trigger(name))
            tab.addAction(action)
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setObjectName(f"button-{spec.name}")
            layout.addWidget(button)
            self.qactions[spec.name] = action
        layout.addStretch(1)
        hub.register(tab, list(self.qactions.values()))
        hub.denials_changed.connect(self.update_state)
        self.update_state()

    def action(self, name: str) -> QAction:
        return self.qactions[name]

    def set_selection(self, selection: Selection | None) -> None:
        self.selection = selection
        self.update_state()

    def reason(self, name: str) -> str | None:
        """Why the action cannot run now (None: it can)."""
        spec = self.specs[name]
        return self.hub.denied.get(spec.resource) or spec.check(self.selection)

    def update_state(self) -> None:
        for name, action in self.qactions.items():
            reason = self.reason(name)
            action.setEnabled(reason is None)
            tip = self.specs[name].tip or self.specs[name].text
            if not action.shortcut().isEmpty():
                tip += f" ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
            action.setToolTip(reason or tip)

    def trigger(self, name: str) -> QDialog | None:
        reason = self.reason(name)
        if reason is not None:
            self.tab.message.emit(reason)
            return None
        selection = self.selection
        if selection is not None and selection.id != self.tab.selected_id():
            return None  # the list changed under the click; the new row's state is on its way
        spec = self.specs[name]
        dialog = spec.open(self.hub, selection)
        if dialog is not None:
            self.hub.show(dialog, spec.resource)
        return dialog


def action_dialog(
    hub: ActionHub,
    title: str,
    sentence: str,
    ok_text: str,
    work: Callable[[Any, Any], dict[str, Any]],
    *,
    live: Callable[[Any], Any] | None = None,
    fields: Sequence[tuple[str, QWidget]] = (),
    read: Callable[[], Any] | None = None,
) -> QDialog:
    """A confirmation (with a few fields) for an action that has no dialog of its own.

    `work(journal, checked)` runs on a worker; `read()` checks the fields (raises ValidationError);
    `live(checked)` is the LiveConfirmation typed in live mode (None: no typing needed).
    """
    from desk_billing.gui.dialogs.operation import OperationDialog

    class ActionDialog(OperationDialog):
        def validate(self) -> Any:
            return read() if read is not None else None

        def confirmation(self, checked: Any) -> Any:
            return live(checked) if live is not None else None

        def work(self, checked: Any) -> Callable[[Any], dict[str, Any]]:
            return lambda journal: work(journal, checked)

    dialog = ActionDialog(hub.runner, hub.context, hub.window)
    dialog.setWindowTitle(title)
    dialog.ok_text = ok_text
    dialog.ok_button.setText(ok_text)
    label = QLabel(sentence)
    label.setWordWrap(True)
    dialog.form.addRow(label)
    for text, widget in fields:
        dialog.form.addRow(text, widget)
    return dialog


def live_id(object_id: str) -> Callable[[Any], Any]:
    """In live mode, type the object's id to confirm."""

    def confirmation(_: Any) -> Any:
        from desk_billing.core.operations.confirm import LiveConfirmation

        return LiveConfirmation(object_id)

    return confirmation


def refundable_payments(selection: Selection | None) -> list[Mapping[str, Any]]:
    """The succeeded payments the detail pane lists (a customer's, or an invoice's)."""
    if selection is None:
        return []
    return [p for p in selection.detail.get("payments") or () if p.get("status") == "succeeded"]


def check_refund_from_detail(selection: Selection | None) -> str | None:
    reason = needs_row(selection)
    if reason is None and not refundable_payments(selection):
        return "There is no successful payment to refund in the local copy."
    return reason


def open_refund(hub: ActionHub, target: str) -> QDialog:
    from desk_billing.gui.dialogs.refund import RefundDialog

    return RefundDialog(hub.runner, hub.context, target, hub.window)


def refund_from_detail(hub: ActionHub, selection: Selection | None) -> QDialog:
    """One payment: its refund dialog; several: a chooser first."""
    payments = refundable_payments(selection)
    if len(payments) == 1:
        return open_refund(hub, str(payments[0]["id"]))
    return PaymentChooser(hub, payments)


class PaymentChooser(QDialog):
    """Which payment to refund (a customer's payments, newest first)."""

    def __init__(self, hub: ActionHub, payments: Sequence[Mapping[str, Any]]) -> None:
        super().__init__(hub.window)
        self.hub = hub
        self.setWindowTitle("Refund which payment?")
        self.list = QListWidget()
        for payment in payments:
            text = "   ".join(
                part
                for part in (
                    formatting.date_text(payment.get("created")),
                    formatting.amount_text(payment.get("amount"), payment.get("currency")),
                    str(payment.get("description") or ""),
                    str(payment["id"]),
                )
                if part
            )
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, payment["id"])
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.list.itemActivated.connect(lambda _item: self.accept())
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Refund…")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel("Choose the payment to refund; what is left is checked with Stripe.")
        )
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        self.resize(560, 320)

    def accept(self) -> None:
        item = self.list.currentItem()
        super().accept()
        if item is not None:
            target = str(item.data(Qt.ItemDataRole.UserRole))
            self.hub.show(open_refund(self.hub, target), "refund")


class AuditPage(QWidget):
    """The Audit tab: the journal view, built when first shown (its module imports the SDK)."""

    def __init__(self, hub: ActionHub, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hub = hub
        self.view: Any = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(6, 6, 6, 6)
        self.retry_action = QAction("Retry unfinished operations", self)
        self.retry_action.triggered.connect(self.retry)
        self.export_action = QAction("Export the journal as CSV…", self)
        self.export_action.triggered.connect(lambda: self.ensure().ask_export())
        self.reload_action = QAction("Reload the journal", self)
        self.reload_action.triggered.connect(lambda: self.ensure().reload())
        hub.register(self, [self.retry_action, self.export_action, self.reload_action])
        hub.changed.connect(self._operations_changed)

    def ensure(self) -> Any:
        if self.view is None:
            from desk_billing.gui.tabs.audit import AuditView

            self.view = AuditView(self.hub.runner, self.hub.context, self)
            # A retry may have finished operations: the lists re-read what they show.
            self.view.message.connect(self.hub.message.emit)
            self.view.resume_button.clicked.connect(self._after_retry)
            self._layout.addWidget(self.view)
        return self.view

    def retry(self) -> None:
        view = self.ensure()
        self._after_retry()
        view.resume()

    def _after_retry(self) -> None:
        # AuditView reports a resume through its message; the lists refresh once it is done.
        self.view.message.connect(self._refresh_lists, Qt.ConnectionType.SingleShotConnection)

    def _refresh_lists(self, _text: str) -> None:
        self.hub.changed.emit(None)

    def _operations_changed(self, _changes: Any) -> None:
        if self.view is not None:
            self.view.reload()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.ensure()
