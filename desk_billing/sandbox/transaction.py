"""One API request's changes to the account, kept so that a refused request can be undone whole.

On Stripe a request answered with a 4xx changes nothing — no object, no event, no webhook — except
a declined payment's 402, where the attempt itself happened. Handlers change stored objects in
place, so the server runs each request in a Transaction (`State.begin`): before a stored object is
first handed to the handler (`State.get`, `where`, `find`, `newest_first`, `objects`), every dict
and list reachable from it is shallow-copied — identity is kept, since each child container is
snapshotted in turn — and every insertion and deletion is logged. A rollback puts each
container's old contents back and undoes the log; events are told to listeners (webhook delivery)
only when the request commits.
"""

from __future__ import annotations

from typing import Any

Container = dict[str, Any] | list[Any]


class Transaction:
    def __init__(self, *, snapshots: bool = True) -> None:
        # GET handlers never change stored objects in place (they may create some: a test
        # payment method made from `pm_card_visa`), so their requests skip the snapshots.
        self.snapshots = snapshots
        self._seen: set[int] = set()
        self._saved: list[tuple[Container, Container]] = []
        self.log: list[tuple[str, str, dict[str, Any], tuple[int, int] | None]] = []
        self.events: list[dict[str, Any]] = []

    def capture(self, obj: Container) -> None:
        """Snapshot `obj` and everything in it, once, before the request can change them."""
        if not self.snapshots or id(obj) in self._seen:
            return
        stack: list[Container] = [obj]
        while stack:
            node = stack.pop()
            if id(node) in self._seen:
                continue
            self._seen.add(id(node))  # the snapshot holds `node`, so its id stays unique
            if isinstance(node, dict):
                self._saved.append((node, dict(node)))
                children = node.values()
            else:
                self._saved.append((node, list(node)))
                children = node
            stack.extend(c for c in children if isinstance(c, dict | list))

    def inserted(self, collection: str, obj: dict[str, Any]) -> None:
        self._seen.add(id(obj))  # new in this request: undone by removing it, no snapshot needed
        self.log.append(("insert", collection, obj, None))

    def deleted(self, collection: str, obj: dict[str, Any], key: tuple[int, int]) -> None:
        self.log.append(("delete", collection, obj, key))

    def restore_contents(self) -> None:
        for node, before in reversed(self._saved):
            if isinstance(node, dict):
                node.clear()
                node.update(before)
            else:
                node[:] = before
