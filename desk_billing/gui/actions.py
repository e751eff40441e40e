"""The operations of the lists: each tab's actions as buttons above the list, items of the
Actions menu and shortcuts, enabled by the selected row's state, run through the operation
dialogs and the task runner. The tabs declare their actions (`TabAction`); this module runs
them (`ActionHub`, one per open account); `action_dialog` confirms the ones without a dialog
of their own.

The dialogs and `core.operations` (~30 ms of imports) load on a worker at start
(`resume_unfinished`) or when an action is first used, not before the window's first paint.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QMenu, QToolButton, QWidget

from desk_billing.core.errors import PermissionDenied
from desk_billing.gui import formatting
from desk_billing.gui.tasks import TaskControl, TaskError, TaskRunner

if TYPE_CHECKING:
    from desk_billing.core.account import AccountSession
    from desk_billing.core.journal import Journal, OperationResult, ResumeReport


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
    """One per open account: opens the tabs' dialogs, hands on what each operation changed,
    remembers 403s, and resumes the journal's unfinished operations at start."""

    changed = Signal(object)  # {table: frozenset(ids)} an operation or a resume wrote
    message = Signal(str)  # one sentence for the status bar
    denials_changed = Signal()

    def __init__(self, runner: TaskRunner, session: AccountSession, parent: QWidget) -> None:
        super().__init__(parent)
        self.runner = runner
        self.window = parent
        self.session = session
        self.mode = session.mode
        self.denied: dict[str, str] = {}  # resource -> Stripe's 403 sentence
        self.dialog: QDialog | None = None  # the one opened last (tests drive it)
        self.menus: dict[QWidget, list[QAction]] = {}
        self.resume_summary: str | None = None  # what the resume at start settled, if anything

    def show(self, dialog: QDialog, resource: str) -> QDialog:
        """Open a dialog window-modally (the event loop keeps running) and follow its outcome."""
        completed = getattr(dialog, "completed", None)
        if completed is not None:
            completed.connect(lambda result: self._completed(result, dialog))
        failed = getattr(dialog, "failed", None)
        if failed is not None:
            failed.connect(lambda failure: self._failed(resource, failure))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _completed(self, result: OperationResult, dialog: QDialog) -> None:
        # The dialog's sentence names amounts and people (read from the cache on its worker).
        self.message.emit(getattr(dialog, "sentence", None) or describe(result.object))
        self.changed.emit(result.changed)

    def _failed(self, resource: str, failure: TaskError) -> None:
        if isinstance(failure.error, PermissionDenied) and resource not in self.denied:
            self.denied[resource] = failure.message
            self.denials_changed.emit()

    # -- the journal at start --------------------------------------------------------------
    def resume_unfinished(self) -> None:
        """Send the journal's pending operations again with their own keys, on the io lane."""

        def warm(control: TaskControl) -> None:
            # The operation kinds and the dialogs load here, not on the GUI thread.
            import desk_billing.core.operations  # noqa: F401
            import desk_billing.gui.dialogs.operation  # noqa: F401

        session = self.session

        def resume(control: TaskControl) -> ResumeReport:
            with session.journal() as journal:
                return journal.resume_unfinished()

        def start(_: Any) -> None:
            self.runner.run(resume, success=self._resumed, error=self._resume_failed)

        self.runner.run(warm, success=start, error=self._resume_failed)

    def _resumed(self, report: ResumeReport) -> None:
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
        self.changed.emit(report.changed)

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
    work: Callable[[Journal, Any], OperationResult],
    *,
    live: Callable[[Any], Any] | None = None,
    fields: Sequence[tuple[str, QWidget]] = (),
    read: Callable[[], Any] | None = None,
) -> QDialog:
    """A confirmation (with a few fields) for an action that has no dialog of its own.

    `work(journal, checked)` runs on a worker; `read()` checks the fields (raises ValidationError);
    `live(checked)` is the LiveConfirmation typed in live mode (None: no typing needed).
    """
    from desk_billing.gui.dialogs.operation import OperationDialog  # see the module docstring

    class ActionDialog(OperationDialog):
        def validate(self) -> Any:
            return read() if read is not None else None

        def confirmation(self, checked: Any) -> Any:
            return live(checked) if live is not None else None

        def work(self, checked: Any) -> Callable[[Journal], OperationResult]:
            return lambda journal: work(journal, checked)

    dialog = ActionDialog(hub.runner, hub.session, hub.window)
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
        from desk_billing.core.operations.confirm import LiveConfirmation  # see the docstring

        return LiveConfirmation(object_id)

    return confirmation
