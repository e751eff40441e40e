"""The event ordering rules of the sync engine, without a server."""

from __future__ import annotations

from desk_billing.core.gateway import API_VERSION
from desk_billing.core.sync.plan import Action, Known, decide, group_by_object

V = API_VERSION


def event(
    created: int,
    name: str,
    *,
    type_: str = "customer.updated",
    version: str = V,
    oid: str = "cus_1",
) -> dict:
    return {
        "id": f"evt_{created}_{name}",
        "type": type_,
        "created": created,
        "api_version": version,
        "data": {"object": {"id": oid, "object": "customer", "name": name}},
    }


def act(events, known=None, floor=None):
    return decide(events, known or Known(), floor=floor, api_version=V)


def test_newest_payload_wins_within_a_batch():
    decision = act([event(10, "a"), event(12, "c"), event(11, "b")])
    assert decision.action is Action.WRITE and decision.payload["name"] == "c"


def test_an_event_older_than_one_applied_or_than_the_backfill_is_stale():
    assert act([event(10, "old")], Known(newest_event=11)).action is Action.STALE
    assert act([event(10, "old")], floor=11).action is Action.STALE


def test_same_second_events_that_disagree_are_refetched_and_agreeing_ones_are_not():
    assert act([event(10, "open"), event(10, "paid")]).action is Action.REFETCH
    same = [
        event(10, "paid", type_="invoice.paid"),
        event(10, "paid", type_="invoice.payment_succeeded"),
    ]
    assert act(same).action is Action.WRITE


def test_a_tie_with_what_is_stored_refetches_only_when_it_differs():
    row = {"id": "cus_1", "object": "customer", "name": "a"}
    assert act([event(10, "b")], Known(newest_event=10, row=row)).action is Action.REFETCH
    assert act([event(10, "a")], Known(newest_event=10, row=row)).action is Action.WRITE


def test_other_api_versions_are_refetched():
    assert act([event(10, "a", version="2024-06-20")]).action is Action.REFETCH


def test_deletion_is_terminal_whatever_the_order():
    deletion = event(10, "gone", type_="customer.deleted")
    assert act([deletion, event(11, "later?")]).action is Action.DELETE
    assert act([event(12, "late")], Known(deleted=True)).action is Action.STALE


def test_a_canceled_subscription_is_an_update_not_a_deletion():
    canceled = {
        "id": "evt_1", "type": "customer.subscription.deleted", "created": 5, "api_version": V,
        "data": {"object": {"id": "sub_1", "object": "subscription", "status": "canceled"}},
    }  # fmt: skip
    decision = act([canceled])
    assert decision.action is Action.WRITE and decision.payload["status"] == "canceled"


def test_kinds_the_cache_does_not_keep_are_left_out():
    other = {
        "id": "evt_2",
        "type": "payment_method.attached",
        "data": {"object": {"id": "pm_1", "object": "payment_method"}},
    }
    preview = {"id": "evt_3", "type": "invoice.upcoming", "data": {"object": {"object": "invoice"}}}
    shapeless = {"id": "evt_4", "type": "customer.updated", "data": None}
    assert group_by_object([other, preview, shapeless, event(1, "a")]) == {
        ("customers", "cus_1"): [event(1, "a")]
    }
