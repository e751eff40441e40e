"""The sandbox's account state: a clock, collections of objects in creation order, events."""

from __future__ import annotations

import bisect
import copy
import random
import string
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from .transaction import Transaction

API_VERSION = "2026-10-28.endive"
EVENT_RETENTION = 30 * 24 * 3600

_ALPHABET = string.ascii_letters + string.digits
_RANDOM = (
    random.Random()
)  # ids are names, not secrets; this is 20x faster than `secrets` for bulk seeding

# Id prefix -> collection, so an id alone finds its object (used by expand and by retrieve).
PREFIXES = {
    "acct": "accounts",
    "cus": "customers",
    "prod": "products",
    "price": "prices",
    "pm": "payment_methods",
    "pi": "payment_intents",
    "ch": "charges",
    "py": "charges",
    "re": "refunds",
    "pyr": "refunds",
    "sub": "subscriptions",
    "si": "subscription_items",
    "in": "invoices",
    "ii": "invoiceitems",
    "il": "line_items",
    "cn": "credit_notes",
    "evt": "events",
    "we": "webhook_endpoints",
    "txn": "balance_transactions",
    "inpay": "invoice_payments",
    "di": "discounts",
}


def _json_copy(obj: Any) -> Any:
    """A deep copy of JSON data; through orjson it costs a fifth of copy.deepcopy, and an event
    copies its whole object (seeding the demo records thousands)."""
    return orjson.loads(orjson.dumps(obj))


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()
"""A change that removes a field (see State.update)."""

# Fields that never change once an object exists (a refund's charge, an item's customer), so an
# index on them stays true without hooks on every update. (An invoice item's `invoice` changes
# when an invoice pulls it in; an invoice payment's never does.)
INDEXED = ("customer", "charge", "payment_intent")
INDEXED_BY = {"invoice_payments": ("invoice",)}


class Collection:
    """Objects of one kind, kept sorted by (created, insertion sequence) for newest-first listing."""

    def __init__(self, indexed: tuple[str, ...] = INDEXED) -> None:
        self.indexed = indexed
        self.by_id: dict[str, dict[str, Any]] = {}
        self.keys: list[tuple[int, int]] = []  # sorted (created, seq)
        self.ids: list[str] = []  # parallel to keys
        self.key_of: dict[str, tuple[int, int]] = {}
        self.index: dict[
            tuple[str, str], dict[str, None]
        ] = {}  # (field, value) -> ids in insertion order

    def add(self, obj: dict[str, Any], seq: int) -> None:
        self.place(obj, (int(obj.get("created") or 0), seq))

    def place(self, obj: dict[str, Any], key: tuple[int, int]) -> None:
        """Store `obj` at its (created, seq) key (a rolled-back deletion puts it back there)."""
        at = bisect.bisect(self.keys, key)
        self.keys.insert(at, key)
        self.ids.insert(at, obj["id"])
        self.key_of[obj["id"]] = key
        self.by_id[obj["id"]] = obj
        for name in self.indexed:
            value = obj.get(name)
            if isinstance(value, str):
                self.index.setdefault((name, value), {})[obj["id"]] = None

    def remove(self, object_id: str) -> None:
        key = self.key_of.pop(object_id)
        at = bisect.bisect_left(self.keys, key)
        del self.keys[at]
        del self.ids[at]
        obj = self.by_id.pop(object_id)
        for name in self.indexed:
            value = obj.get(name)
            if isinstance(value, str):
                self.index.get((name, value), {}).pop(object_id, None)

    def where(self, field: str, value: str) -> list[dict[str, Any]]:
        """Objects whose immutable, indexed `field` equals `value`, newest first."""
        ids = self.index.get((field, value), {})
        return sorted(
            (self.by_id[i] for i in ids), key=lambda o: self.key_of[o["id"]], reverse=True
        )

    def position(self, object_id: str) -> int | None:
        key = self.key_of.get(object_id)
        return None if key is None else bisect.bisect_left(self.keys, key)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class IdempotentResult:
    fingerprint: str
    status: int
    body: bytes
    created: int


@dataclass
class State:
    """Everything the sandbox account holds. Callers hold `lock` while reading or changing it."""

    account_id: str = "acct_1SandboxDeskBill"
    account_name: str = "Desk Billing Sandbox"
    account_country: str = "DE"
    default_currency: str = "eur"  # the account's settlement currency (a German account)
    # What /v1/account says the account may do; tests turn them off to see the go-live checks.
    account_flags: dict[str, bool] = field(
        default_factory=lambda: dict.fromkeys(
            ("charges_enabled", "payouts_enabled", "details_submitted"), True
        )
    )
    capabilities: dict[str, str] = field(
        default_factory=lambda: dict.fromkeys(
            ("card_payments", "sepa_debit_payments", "transfers"), "active"
        )
    )
    event_api_version: str = API_VERSION
    lock: threading.RLock = field(default_factory=threading.RLock)
    offset: int = 0
    collections: dict[str, Collection] = field(default_factory=dict)
    idempotency: dict[str, IdempotentResult] = field(default_factory=dict)
    restricted_keys: dict[str, dict[str, str]] = field(default_factory=dict)
    on_advance: list[Callable[[State, int, int], None]] = field(default_factory=list)
    on_event: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)
    request: dict[str, Any] = field(default_factory=lambda: {"id": None, "idempotency_key": None})
    base_url: str = ""
    quiet: bool = False  # bulk seeding: history older than the events window records no events
    count_webhooks: Callable[[str], int] | None = None  # endpoints an event type is sent to
    _seq: int = 0
    _txn: Transaction | None = None

    # -- time -------------------------------------------------------------------------------
    def now(self) -> int:
        return int(time.time()) + self.offset

    def advance(self, seconds: int) -> None:
        """Move sandbox time forward and let billing catch up (renewals, dues, retries)."""
        before = self.now()
        self.offset += int(seconds)
        after = self.now()
        for hook in self.on_advance:
            hook(self, before, after)
        self._expire_idempotency()

    def _expire_idempotency(self) -> None:
        limit = self.now() - 24 * 3600
        for key in [k for k, v in self.idempotency.items() if v.created < limit]:
            del self.idempotency[key]

    # -- objects ----------------------------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{''.join(_RANDOM.choices(_ALPHABET, k=24))}"

    def collection(self, name: str) -> Collection:
        coll = self.collections.get(name)
        if coll is None:
            coll = self.collections[name] = Collection(INDEXED + INDEXED_BY.get(name, ()))
        return coll

    def insert(self, collection: str, obj: dict[str, Any]) -> dict[str, Any]:
        self._seq += 1
        self.collection(collection).add(obj, self._seq)
        if self._txn is not None:
            self._txn.inserted(collection, obj)
        return obj

    def _handed(self, obj: dict[str, Any] | None) -> dict[str, Any] | None:
        """An object on its way to a handler: snapshot first, if a request is running."""
        if obj is not None and self._txn is not None:
            self._txn.capture(obj)
        return obj

    def get(self, collection: str, object_id: str) -> dict[str, Any] | None:
        coll = self.collections.get(collection)
        return self._handed(coll.by_id.get(object_id)) if coll else None

    def find(self, object_id: str) -> dict[str, Any] | None:
        """Any object by its id, whatever its kind (for expand)."""
        prefix = object_id.split("_", 1)[0]
        name = PREFIXES.get(prefix)
        if name is None:  # coupon ids are the caller's own, without a prefix
            return self.get("coupons", object_id)
        return self.get(name, object_id)

    def delete(self, collection: str, object_id: str) -> None:
        coll = self.collection(collection)
        obj, key = coll.by_id[object_id], coll.key_of[object_id]
        coll.remove(object_id)
        if self._txn is not None:
            self._txn.deleted(collection, obj, key)

    def where(self, collection: str, field: str, value: str) -> list[dict[str, Any]]:
        """Objects of a collection by an immutable reference (customer, charge, payment_intent)."""
        found = self.collection(collection).where(field, value)
        for obj in found:
            self._handed(obj)
        return found

    def newest_first(self, collection: str) -> Iterator[dict[str, Any]]:
        coll = self.collection(collection)
        for object_id in reversed(coll.ids):
            yield self._handed(coll.by_id[object_id])

    def objects(self, collection: str) -> list[dict[str, Any]]:
        """Every object of a collection (for the few changes that look at all of them)."""
        return [self._handed(obj) for obj in list(self.collection(collection).by_id.values())]

    # -- requests: all or nothing ---------------------------------------------------------------
    def begin(self, *, snapshots: bool = True) -> None:
        """Start one request's changes (see transaction.py)."""
        self._txn = Transaction(snapshots=snapshots)

    def commit(self) -> None:
        txn, self._txn = self._txn, None
        for event in txn.events:
            self._announce(event)

    def rollback(self) -> None:
        """Undo everything the request did: objects, insertions, deletions, events."""
        txn, self._txn = self._txn, None
        txn.restore_contents()
        for kind, name, obj, key in reversed(txn.log):
            coll = self.collection(name)
            if kind == "insert":
                if coll.by_id.get(obj["id"]) is obj:
                    coll.remove(obj["id"])
            else:
                coll.place(obj, key)

    def update(self, obj: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        """Apply changes to an object; return Stripe's `previous_attributes` for them.

        A change to ABSENT removes the key: fields Stripe leaves out when they have no value
        (`refund.pending_reason`, `invoice.status_details`) are never sent as null.
        """
        previous: dict[str, Any] = {}
        for key, value in changes.items():
            old = obj.get(key, ABSENT)
            if old != value:
                previous[key] = None if old is ABSENT else copy.deepcopy(old)
                if value is ABSENT:
                    del obj[key]
                else:
                    obj[key] = value
        return previous

    # -- events -----------------------------------------------------------------------------
    def emit(
        self, event_type: str, obj: dict[str, Any], previous: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Record an event of Stripe's type for a state change, as Stripe renders it."""
        if self.quiet:
            return {}
        data: dict[str, Any] = {"object": _json_copy(obj)}
        if previous:
            data["previous_attributes"] = _json_copy(previous)
        event = {
            "id": self.new_id("evt"),
            "object": "event",
            "api_version": self.event_api_version,
            "created": self.now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": self.count_webhooks(event_type) if self.count_webhooks else 0,
            "request": dict(self.request),
            "type": event_type,
        }
        self.insert("events", event)
        if self._txn is not None:
            self._txn.events.append(event)  # told once the request commits
        else:
            self._announce(event)
        return event

    def mark(self) -> int:
        """A point in the account's history, for `unsay` (everything stored since has a later seq)."""
        return self._seq

    def unsay(self, since: int, object_ids: set[str]) -> None:
        """Take back the events about `object_ids` recorded after `since`: those objects never
        existed (a subscription refused with error_if_incomplete)."""
        coll = self.collection("events")
        gone = {
            event_id
            for event_id in reversed(coll.ids)
            if coll.key_of[event_id][1] > since
            and coll.by_id[event_id]["data"]["object"].get("id") in object_ids
        }
        for event_id in gone:
            self.delete("events", event_id)
        if self._txn is not None:
            self._txn.events = [e for e in self._txn.events if e["id"] not in gone]

    def _announce(self, event: dict[str, Any]) -> None:
        for listener in self.on_event:
            listener(event)

    def events_visible(self) -> Iterator[dict[str, Any]]:
        """Events newest first, without those past Stripe's 30-day retention."""
        horizon = self.now() - EVENT_RETENTION
        for event in self.newest_first("events"):
            if event["created"] < horizon:
                break
            yield event
