"""The go-live checklist: is the profile's live account ready for real money?

Each item is `pass`, `attention` (with what to do) or `manual` (the API cannot tell; a tick the
user sets is remembered per profile in `golive.json` beside the profiles). Checked through the
API with the account's live key: the key itself (restricted, and which of the permissions the app
uses it lacks, as Stripe's 403s name them), `/v1/account`, the live webhook endpoints and the
currencies of the live catalogue.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import orjson

from desk_billing.core.errors import DeskBillingError, NotFound, PermissionDenied
from desk_billing.core.profiles import AppPaths, Profile, ProfileStore, write_json_atomically
from desk_billing.core.secrets import KeyringStore, KeyStore, check_key

if TYPE_CHECKING:
    from desk_billing.core.account import AccountSession
    from desk_billing.core.gateway import Gateway

Status = Literal["pass", "attention", "manual"]
DASHBOARD = "https://dashboard.stripe.com"

# (restricted-key resource, what the app reads it from, what it writes, if it writes)
APP_PERMISSIONS: tuple[tuple[str, str, str | None], ...] = (
    ("customer", "/v1/customers", "/v1/customers/cus_deskbillingprobe"),
    ("product", "/v1/products", "/v1/products/prod_deskbillingprobe"),
    ("price", "/v1/prices", "/v1/prices/price_deskbillingprobe"),
    ("subscription", "/v1/subscriptions", "/v1/subscriptions/sub_deskbillingprobe"),
    ("invoice", "/v1/invoices", "/v1/invoices/in_deskbillingprobe"),
    ("credit_note", "/v1/credit_notes", None),
    ("payment_intent", "/v1/payment_intents", "/v1/payment_intents/pi_deskbillingprobe"),
    ("charge", "/v1/charges", None),
    ("refund", "/v1/refunds", "/v1/refunds/re_deskbillingprobe"),
    ("event", "/v1/events", None),
    ("webhook", "/v1/webhook_endpoints", "/v1/webhook_endpoints/we_deskbillingprobe"),
)
"""What the app reads (sync, lists) and writes (its operations). Writes are probed with an update
of an id that cannot exist: a 404 means the key may write there, a 403 names the permission, and
nothing can change."""

# Which currencies a payment-method capability takes, where the API says it (cards: any).
CAPABILITY_CURRENCIES = {
    "sepa_debit_payments": {"eur"},
    "ideal_payments": {"eur"},
    "bancontact_payments": {"eur"},
    "bacs_debit_payments": {"gbp"},
    "au_becs_debit_payments": {"aud"},
    "us_bank_account_ach_payments": {"usd"},
    "acss_debit_payments": {"cad", "usd"},
}


@dataclass(frozen=True)
class CheckItem:
    """One line of the checklist."""

    id: str
    title: str
    status: Status
    detail: str
    why: str = ""
    link: str | None = None  # the Dashboard page where it is fixed or checked
    manual: bool = False  # the user ticks it (manual items only)

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "status": self.status, "detail": self.detail}


MANUAL_ITEMS = (
    (
        "radar_rules",
        "Radar rules reviewed",
        "Fraud rules decide which live payments are blocked or sent to review.",
        f"{DASHBOARD}/radar/rules",
    ),
    (
        "customer_emails",
        "Customer emails set up (receipts, failed payments, dunning)",
        "Customers learn of receipts and failed renewals only from the emails Stripe sends.",
        f"{DASHBOARD}/settings/emails",
    ),
    (
        "pci_gdpr",
        "PCI and GDPR duties checked",
        "Live card data and personal data come with compliance duties no API can answer for.",
        f"{DASHBOARD}/settings/compliance",
    ),
)


class ManualTicks:
    """The manual items a person ticked, per profile, in `golive.json` (no secrets)."""

    def __init__(self, paths: AppPaths) -> None:
        self._path = paths.config / "golive.json"

    def _load(self) -> dict[str, Any]:
        try:
            data = orjson.loads(self._path.read_bytes())
        except (FileNotFoundError, orjson.JSONDecodeError):
            return {}  # no ticks yet, or a damaged file: the items are simply unticked
        return data if isinstance(data, dict) else {}

    def of(self, profile: str) -> dict[str, float]:
        return dict(self._load().get(profile, {}))

    def set(self, profile: str, item: str, ticked: bool, now: float | None = None) -> None:
        if item not in {m[0] for m in MANUAL_ITEMS}:
            raise KeyError(item)
        data = self._load()
        ticks = dict(data.get(profile, {}))
        if ticked:
            ticks[item] = time.time() if now is None else now
        else:
            ticks.pop(item, None)
        data[profile] = ticks
        write_json_atomically(self._path, data)


@dataclass(frozen=True)
class LiveAccess:
    """Where the live checks go: the live profile of the account and its gateway, if any."""

    profile: Profile | None
    key: str | None
    gateway: Gateway | None


def find_live_access(session: AccountSession, store: KeyStore | None = None) -> LiveAccess:
    """The session itself when it is live; else a saved live profile of the same account."""
    if session.mode == "live":
        return LiveAccess(session.profile, session.find_key(store), session.gateway())
    account = session.profile.account_id
    store = store or KeyringStore()
    for profile in ProfileStore(session.paths).all():
        if profile.mode != "live" or profile.name == session.profile.name:
            continue
        if account and profile.account_id not in (None, account):
            continue
        key = store.get(profile.name)
        if key and check_key(key).mode == "live":
            from desk_billing.core.gateway import Gateway

            gateway = Gateway.from_profile(
                profile,
                key,
                session.api_base or profile.api_base,
                session.settings,
                env=session.env,
            )
            return LiveAccess(profile, key, gateway)
    return LiveAccess(None, None, None)


_PERMISSION = re.compile(r"rak_[a-z_]+_(?:read|write)")


def _missing_permissions(gateway: Gateway) -> list[str]:
    """The `rak_…` permissions Stripe's 403s name for what the app reads and writes."""
    missing = []
    for resource, read_path, write_path in APP_PERMISSIONS:
        probes = [("get", read_path, {"limit": 1}, "read")]
        if write_path:
            probes.append(("post", write_path, {}, "write"))
        for verb, path, params, need in probes:
            try:
                with gateway.errors():
                    gateway.client.raw_request(verb, path, **params)
            except PermissionDenied as error:
                named = _PERMISSION.search(error.message)  # Stripe names it; else ours
                missing.append(named.group(0) if named else f"rak_{resource}_{need}")
            except NotFound:
                pass  # allowed: the probe's id does not exist, so nothing was touched
    return missing


def _key_items(access: LiveAccess) -> list[CheckItem]:
    keys_link = f"{DASHBOARD}/apikeys"
    if access.key is None or access.gateway is None:
        return [
            CheckItem(
                "live_key", "A live API key for this account", "attention",
                "No live key is saved for this account: add a profile with its live restricted key "
                "(rk_live_…).", "Without it the app cannot work on live data, and nothing below "
                "can be checked.", keys_link,
            )
        ]  # fmt: skip
    name = access.profile.name if access.profile else "?"
    items = [
        CheckItem(
            "live_key", "A live API key for this account", "pass",
            f"Profile '{name}' has a live key.", "The app works on live data with it.", keys_link,
        )
    ]  # fmt: skip
    why = "A leaked key can do only what it is allowed to; the app needs no more than it uses."
    if check_key(access.key).kind == "secret":
        items.append(
            CheckItem(
                "restricted_key", "The live key is restricted to what the app uses", "attention",
                "This is a secret key (sk_live_…), which may do everything; create a restricted "
                "key with read access to " + ", ".join(r for r, _, _ in APP_PERMISSIONS)
                + " and write access to " + ", ".join(r for r, _, w in APP_PERMISSIONS if w) + ".",
                why, keys_link,
            )
        )  # fmt: skip
        return items
    missing = _missing_permissions(access.gateway)
    if missing:
        detail = "The key lacks " + ", ".join(missing) + "; add them to the restricted key."
        status: Status = "attention"
    else:
        detail = (
            "The key has every permission the app uses. Stripe does not say through the API "
            "which others it has: check in the Dashboard that it has no more."
        )
        status = "pass"
    items.append(
        CheckItem(
            "restricted_key", "The live key is restricted to what the app uses", status, detail,
            why, keys_link,
        )
    )  # fmt: skip
    return items


def _account_items(account: Mapping[str, Any]) -> list[CheckItem]:
    due = (account.get("requirements") or {}).get("currently_due") or []
    reason = (account.get("requirements") or {}).get("disabled_reason")
    todo = (" Stripe asks for: " + ", ".join(due) + ".") if due else ""
    todo += f" ({reason})" if reason else ""
    link = f"{DASHBOARD}/account/onboarding"
    rows = (
        ("charges_enabled", "The account can take charges", "Customers' payments are refused until it can."),
        ("payouts_enabled", "The account can receive payouts", "Money stays at Stripe until payouts are enabled."),
        ("details_submitted", "Business details submitted", "Stripe needs them before charges and payouts are allowed."),
    )  # fmt: skip
    items = []
    for field_name, title, why in rows:
        ok = bool(account.get(field_name))
        detail = "Yes, says /v1/account." if ok else f"No, says /v1/account.{todo}"
        items.append(CheckItem(field_name, title, "pass" if ok else "attention", detail, why, link))
    return items


def _webhook_item(endpoints: Iterable[Any]) -> CheckItem:
    title = "A live https webhook endpoint receives the essential events"
    why = (
        "Other systems (and a relay to this app) learn of payments and renewals from these events."
    )
    link = f"{DASHBOARD}/webhooks"
    usable = [e for e in endpoints if e.status == "enabled" and e.url.startswith("https://")]
    covering = [e for e in usable if not e.covers()]
    if covering:
        return CheckItem(
            "live_webhook", title, "pass", f"{covering[0].url} receives all of them.", why, link
        )
    if not usable:
        detail = "No enabled https endpoint in live mode; create one (Account → Webhooks)."
    else:
        best = min(usable, key=lambda e: len(e.covers()))
        detail = f"{best.url} is not sent " + ", ".join(best.covers()) + "."
    return CheckItem("live_webhook", title, "attention", detail, why, link)


def _currency_item(currencies: set[str], capabilities: Mapping[str, Any]) -> CheckItem:
    title = "Every currency of the catalogue has a payment method"
    why = "A price in a currency no payment method takes cannot be paid."
    link = f"{DASHBOARD}/settings/payment_methods"
    if not currencies:
        return CheckItem("currencies", title, "manual", "There are no active live prices yet; check again once the catalogue is in live mode.", why, link)  # fmt: skip
    active = {name for name, state in capabilities.items() if state == "active"}
    names = ", ".join(sorted(c.upper() for c in currencies))
    if "card_payments" in active:
        return CheckItem(
            "currencies", title, "pass", f"Cards are active and take {names}.", why, link
        )
    covered = set().union(*(CAPABILITY_CURRENCIES.get(c, set()) for c in active))
    uncovered = sorted(c.upper() for c in currencies - covered)
    if not uncovered:
        return CheckItem("currencies", title, "pass", f"{names}: each has an active payment method.", why, link)  # fmt: skip
    return CheckItem(
        "currencies", title, "manual",
        f"Cards are not active; the API shows no payment method for {', '.join(uncovered)}: check in "
        "the Dashboard (Settings → Payment methods).", why, link,
    )  # fmt: skip


def _manual_items(ticks: Mapping[str, float]) -> list[CheckItem]:
    items = []
    for item_id, title, why, link in MANUAL_ITEMS:
        if item_id in ticks:
            when = time.strftime("%Y-%m-%d", time.localtime(ticks[item_id]))
            items.append(
                CheckItem(item_id, title, "pass", f"Ticked as done on {when}.", why, link, True)
            )
        else:
            detail = "Cannot be checked through the API: check it in the Dashboard, then tick it."
            items.append(CheckItem(item_id, title, "manual", detail, why, link, True))
    return items


def _unchecked(item_id: str, title: str, detail: str) -> CheckItem:
    return CheckItem(item_id, title, "attention", detail)


def run_checklist(session: AccountSession, *, store: KeyStore | None = None) -> list[CheckItem]:
    """Every item, in order, checked now against the live account (reads only)."""
    from desk_billing.core.operations.webhooks import list_endpoints

    access = find_live_access(session, store)
    items = _key_items(access)
    gateway = access.gateway
    if gateway is None:
        skipped = "Needs the live key first."
        items += [
            _unchecked("charges_enabled", "The account can take charges", skipped),
            _unchecked("payouts_enabled", "The account can receive payouts", skipped),
            _unchecked("details_submitted", "Business details submitted", skipped),
            _unchecked("live_webhook", "A live https webhook endpoint receives the essential events", skipped),
            _unchecked("currencies", "Every currency of the catalogue has a payment method", skipped),
        ]  # fmt: skip
    else:
        try:
            account = gateway.account()
        except PermissionDenied as error:
            account = None
            items += [
                _unchecked(i, t, f"The key may not read the account: {error.message}")
                for i, t in (
                    ("charges_enabled", "The account can take charges"),
                    ("payouts_enabled", "The account can receive payouts"),
                    ("details_submitted", "Business details submitted"),
                )
            ]
        else:
            items += _account_items(account)
        try:
            items.append(_webhook_item(list_endpoints(gateway)))
        except PermissionDenied as error:
            items.append(_unchecked("live_webhook", "A live https webhook endpoint receives the essential events", error.message))  # fmt: skip
        try:
            with gateway.errors():
                prices = gateway.client.v1.prices.list({"active": True, "limit": 100})
                currencies = {p.currency for p in prices.auto_paging_iter()}
            items.append(_currency_item(currencies, (account or {}).get("capabilities") or {}))
        except DeskBillingError as error:
            items.append(_unchecked("currencies", "Every currency of the catalogue has a payment method", error.message))  # fmt: skip
    items += _manual_items(ManualTicks(session.paths).of(session.profile.name))
    return items
