"""The command line: the GUI by default, sub-commands for scripting.

Adding a sub-command: write `_add_<name>_parser(subparsers)` that builds its parser and calls
`parser.set_defaults(handler=<function(ctx, args) -> int>)`, then list it in `SUB_COMMANDS`.
Handlers get a `Context` (profile, paths, key, gateway and cache openers) and raise
`DeskBillingError` for anything the user should read; `main` turns that into one line and exit 1.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from desk_billing import __version__
from desk_billing.core.errors import DeskBillingError, ValidationError
from desk_billing.core.logging import mask_secrets, setup_logging
from desk_billing.core.profiles import AppPaths, Profile, ProfileStore, Settings
from desk_billing.core.secrets import ENV_API_KEY, check_key, insecure_reason, resolve_api_key

if TYPE_CHECKING:
    from desk_billing.core.cache import Cache
    from desk_billing.core.gateway import Gateway

log = logging.getLogger(__name__)

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


@dataclass
class Context:
    """What every command needs, resolved once from the global options and the environment."""

    paths: AppPaths
    profile: Profile
    api_base: str | None = None
    env: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_args(cls, args: argparse.Namespace, env: dict[str, str]) -> Context:
        paths = AppPaths.from_env(env)
        profile = ProfileStore(paths).resolve(getattr(args, "profile", None))
        api_base = getattr(args, "api_base", None) or env.get("STRIPE_API_BASE") or profile.api_base
        return cls(paths=paths, profile=profile, api_base=api_base or None, env=env)

    @property
    def key_from_env(self) -> bool:
        return bool(self.env.get(ENV_API_KEY, "").strip())

    @property
    def mode(self) -> str:
        """Test or live: from STRIPE_API_KEY when set, else what the profile says."""
        if self.key_from_env:
            return check_key(self.env[ENV_API_KEY]).mode
        return self.profile.mode

    @cached_property
    def settings(self) -> Settings:
        return Settings.load(self.paths)

    def api_key(self) -> str:
        """The key to use (STRIPE_API_KEY, else the keyring); ValidationError when there is none."""
        key = resolve_api_key(self.profile.name, env=self.env)
        if not key and insecure_reason() is not None:  # e.g. no D-Bus session, so no Secret Service
            raise ValidationError(
                f"No API key for profile '{self.profile.name}': no secure keyring (such as GNOME "
                f"Keyring or KWallet) is running to keep one; set {ENV_API_KEY}."
            )
        if not key:
            raise ValidationError(
                f"No API key for profile '{self.profile.name}'; set {ENV_API_KEY} or add the key in the app."
            )
        return key

    def gateway(self) -> Gateway:
        """A Stripe gateway for this profile, key and API base."""
        from desk_billing.core.gateway import (
            Gateway,  # the SDK import costs ~0.3 s; only when needed
        )

        return Gateway.from_profile(
            self.profile, self.api_key(), self.api_base, self.settings, env=self.env
        )

    def cache_path(self):
        return self.paths.cache_path(self.profile, self.mode)

    def cache(self) -> Cache:
        """Open (creating if needed) this profile's cache, for the calling thread."""
        from desk_billing.core.cache import Cache

        return Cache.open(self.cache_path())


def _add_global_options(parser: argparse.ArgumentParser, in_sub_command: bool) -> None:
    # In sub-commands the default is SUPPRESS, so a value given before the sub-command is not
    # overwritten by the sub-parser's default: `--profile X info` and `info --profile X` agree.
    default = argparse.SUPPRESS if in_sub_command else None
    parser.add_argument("--profile", metavar="NAME", default=default, help="profile to use")
    parser.add_argument(
        "--api-base",
        metavar="URL",
        default=default,
        help="Stripe-compatible server to talk to (overrides STRIPE_API_BASE)",
    )


def _add_info_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "info", help="show profile, mode, account, cache path, last sync and row counts"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=_info)


def _info(ctx: Context, args: argparse.Namespace) -> int:
    from desk_billing.core.cache import SCHEMA_VERSION, STATE_LAST_SYNC, TABLES, Cache

    path = ctx.cache_path()
    counts = dict.fromkeys(TABLES, 0)
    last_sync = None
    if path.exists():  # info never creates a cache
        with Cache.open(path) as cache:
            counts = cache.counts()
            last_sync = cache.state_get(STATE_LAST_SYNC)
    report = {
        "version": __version__,
        "profile": ctx.profile.name,
        "mode": ctx.mode,
        "account_id": ctx.profile.account_id,
        "account_name": ctx.profile.account_name,
        "api_base": ctx.api_base,
        "key_from_env": ctx.key_from_env,
        "cache_path": str(path),
        "cache_exists": path.exists(),
        "schema_version": SCHEMA_VERSION,
        "last_sync_at": last_sync,
        "last_sync": _iso(last_sync),
        "row_counts": counts,
    }
    if args.json:
        import orjson

        print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
        return EXIT_OK
    for key, value in report.items():
        if key != "row_counts":
            print(f"{key}: {value}")
    print("rows: " + ", ".join(f"{t} {n}" for t, n in counts.items()))
    return EXIT_OK


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _add_sandbox_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sandbox", help="run the local Stripe-compatible sandbox server in the foreground"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=12111, help="port (default 12111; 0 = any free)"
    )
    parser.add_argument("--seed", choices=["demo", "empty"], default="empty", help="initial data")
    parser.add_argument(
        "--latency-ms", type=int, default=0, metavar="N", help="delay every API request"
    )
    parser.add_argument(
        "--rate-limit", type=float, default=None, metavar="RPS", help="answer 429 above this rate"
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        metavar="F",
        help="share of mutating requests that fail (half 500, half dropped after the change)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.set_defaults(handler=_sandbox)


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # ends serve_forever the same way Ctrl+C does


def _sandbox(ctx: Context, args: argparse.Namespace) -> int:
    import signal

    from desk_billing.sandbox import Sandbox

    if not 0.0 <= args.fault_rate <= 1.0:
        raise ValidationError("--fault-rate must be between 0 and 1.")
    sandbox = Sandbox(
        seed=args.seed,
        latency_ms=args.latency_ms,
        rate_limit=args.rate_limit,
        fault_rate=args.fault_rate,
        verbose=args.verbose,
    )
    try:
        url = sandbox.bind(args.host, args.port)
    except OSError as error:
        raise DeskBillingError(
            f"Cannot listen on {args.host}:{args.port}: {error.strerror}."
        ) from error
    print(url, flush=True)
    print(
        "Stripe-compatible sandbox; any sk_test_ key works. Point the app at it with "
        f"--api-base {url}. Ctrl+C stops it.",
        file=sys.stderr,
        flush=True,
    )
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return EXIT_OK


def _add_sync_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sync", help="backfill as needed, apply new events, print a summary"
    )
    parser.add_argument("--full", action="store_true", help="list everything again (full backfill)")
    parser.add_argument("--watch", action="store_true", help="keep polling until interrupted")
    parser.add_argument(
        "--interval",
        type=float,
        metavar="S",
        help="seconds between polls (default: sync_interval_s)",
    )
    parser.add_argument(
        "--listen",
        type=int,
        metavar="PORT",
        help="with --watch, also take signed webhooks on 127.0.0.1:PORT/webhook "
        "(secret from STRIPE_WEBHOOK_SECRET or the keyring)",
    )
    parser.set_defaults(handler=_sync)


def _sync(ctx: Context, args: argparse.Namespace) -> int:
    import threading

    from desk_billing.core.profiles import RECONCILE_INTERVAL_H, SYNC_INTERVAL_S
    from desk_billing.core.sync import SyncEngine, bind_account, format_report, watch

    if args.listen is not None and not args.watch:
        raise ValidationError("--listen needs --watch.")
    gateway = ctx.gateway()
    ctx.profile = bind_account(
        ctx.paths, ctx.profile, gateway
    )  # before the cache: its file is per account
    every = ctx.settings.get(RECONCILE_INTERVAL_H) * 3600
    with ctx.cache() as cache:
        engine = SyncEngine(gateway, cache, reconcile_every_s=every or None)
        print(format_report(engine.run(full=args.full), cache), flush=True)
        if not args.watch:
            return EXIT_OK
        interval = args.interval or ctx.settings.get(SYNC_INTERVAL_S)
        listener = _webhook_listener(ctx, args.listen) if args.listen is not None else None
        try:
            watch(
                engine,
                interval,
                out=lambda line: print(line, flush=True),
                stop=threading.Event(),
                webhooks=listener.received if listener else None,
            )
        except KeyboardInterrupt:
            return EXIT_OK
        finally:
            if listener is not None:
                listener.stop()
    return EXIT_OK


def _webhook_listener(ctx: Context, port: int):
    from desk_billing.core.webhook_listener import WebhookListener, webhook_secret

    secret = webhook_secret(ctx.profile.name, ctx.env)
    if not secret:
        raise ValidationError(
            "No webhook signing secret; set STRIPE_WEBHOOK_SECRET or save it for this profile."
        )
    listener = WebhookListener(secret, port=port)
    print(f"Listening for webhooks on {listener.start()}", flush=True)
    return listener


# Any sk_test_ key opens the sandbox; held in memory for the session, never in the keyring.
DEMO_KEY = "sk_test_demo00000000000000000000"


def _add_demo_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo", help="open the app on a local sandbox account with sample data (nothing to set up)"
    )
    parser.set_defaults(handler=_demo)


def _demo(ctx: Context, args: argparse.Namespace) -> int:
    from desk_billing.core.secrets import SessionKeyStore
    from desk_billing.sandbox import Sandbox

    gui = importlib.import_module("desk_billing.gui.app")
    with Sandbox(seed="demo") as sandbox:
        profile = Profile(
            "demo", "test", api_base=sandbox.url, account_name=sandbox.state.account_name
        )
        # The sandbox is new on every run, so is its cache.
        cache = ctx.paths.cache_path(profile, "test")
        for stale in (
            cache,
            cache.with_name(cache.name + "-wal"),
            cache.with_name(cache.name + "-shm"),
        ):
            stale.unlink(missing_ok=True)
        keys = SessionKeyStore()
        keys.set(profile.name, DEMO_KEY)
        demo_ctx = Context(paths=ctx.paths, profile=profile, api_base=sandbox.url, env={})
        return int(gui.run(demo_ctx, session_keys=keys, demo=True) or 0)


def _add_invoices_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "invoices", help="invoice PDFs: download some, or export a period"
    )
    actions = parser.add_subparsers(dest="invoices_action", metavar="ACTION", required=True)
    pdf = actions.add_parser("pdf", help="download the PDFs of invoices by id")
    _add_global_options(pdf, in_sub_command=True)
    pdf.add_argument("ids", nargs="+", metavar="ID", help="invoice ids (in_...)")
    pdf.add_argument("--dir", required=True, metavar="DIR", help="folder to write into")
    pdf.set_defaults(handler=_invoices_pdf)
    export = actions.add_parser(
        "export",
        help="the PDFs of a period's invoices and index.csv",
        description="Exports the PDFs of invoices issued (finalized) from --from to --to "
        "inclusive, UTC dates, named <date>_<number>_<customer>.pdf, with index.csv. "
        "Files already there and unchanged are not downloaded again.",
    )
    _add_global_options(export, in_sub_command=True)
    export.add_argument(
        "--from", dest="start", required=True, metavar="YYYY-MM-DD", help="first day"
    )
    export.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD", help="last day")
    export.add_argument(
        "--status", default="paid", help="paid (default), open, uncollectible, void or all"
    )
    export.add_argument("--currency", metavar="C", help="only this currency, e.g. eur")
    export.add_argument("--customer", metavar="ID", help="only this customer (cus_...)")
    export.add_argument("--dir", required=True, metavar="DIR", help="folder to write into")
    export.add_argument("--workers", type=int, default=None, help=argparse.SUPPRESS)
    export.set_defaults(handler=_invoices_export)


def _day(text: str, option: str) -> Any:
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise ValidationError(f"{option} takes a date as YYYY-MM-DD, not '{text}'.") from error


def _invoices_pdf(ctx: Context, args: argparse.Namespace) -> int:
    from desk_billing.core.pdfs import save_invoice_pdfs

    def show(result: Any) -> None:
        stream = sys.stdout if result.path else sys.stderr
        print(f"{result.invoice_id}: {result.message}", file=stream, flush=True)

    results = save_invoice_pdfs(ctx.gateway(), args.ids, args.dir, progress=show)
    missing = [r for r in results if r.path is None]
    if missing:
        raise DeskBillingError(
            f"{len(missing)} of {len(results)} invoices have no PDF (see above)."
        )
    return EXIT_OK


def _invoices_export(ctx: Context, args: argparse.Namespace) -> int:
    from desk_billing.core.pdfs import DEFAULT_WORKERS, ExportRequest, export_invoices

    request = ExportRequest(
        folder=args.dir,
        start=_day(args.start, "--from"),
        end=_day(args.end, "--to"),
        status=args.status,
        currency=args.currency,
        customer=args.customer,
    )

    def show(progress: Any) -> None:
        print(f"[{progress.done}/{progress.total}] {progress.current}", file=sys.stderr, flush=True)

    report = export_invoices(
        ctx.gateway(), request, progress=show, workers=args.workers or DEFAULT_WORKERS
    )
    print(
        f"{report.selected} invoices: {report.downloaded} downloaded, {report.skipped} already "
        f"there; index.csv lists {report.files_in_index} files in {report.folder}"
    )
    if report.failed:
        first = next(iter(report.failed.values()))
        raise DeskBillingError(
            f"{len(report.failed)} PDFs could not be downloaded (first: {first}); run it again to retry."
        )
    return EXIT_OK


def _add_refund_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "refund", help="refund a payment (pi_...) or charge (ch_...) through the operation journal"
    )
    parser.add_argument("id", metavar="PI_OR_CHARGE_ID", help="payment intent or charge to refund")
    parser.add_argument(
        "--amount", metavar="A", help="amount to refund, e.g. 12.50 (default: all that is left)"
    )
    parser.add_argument(
        "--reason", metavar="R", help="duplicate, fraudulent or requested_by_customer"
    )
    parser.add_argument(
        "--yes", action="store_true", help="do not ask for the live-mode confirmation"
    )
    parser.add_argument(
        "--follow",
        action="store_true",
        help="wait until a pending refund is final (up to 2 minutes)",
    )
    parser.set_defaults(handler=_refund)


def _resume_journal(journal: Any) -> None:
    """Unfinished operations of an earlier run are sent again (same key) before anything new."""
    report = journal.resume_unfinished()
    for entry in report.succeeded:
        print(f"resumed: {entry.kind} {entry.target or ''} -> {entry.result_id}", file=sys.stderr)
    for entry in report.failed:
        print(f"resumed: {entry.kind} {entry.target or ''} failed: {entry.error}", file=sys.stderr)
    for entry in report.still_pending:
        print(
            f"still unconfirmed: {entry.kind} {entry.target or ''} ({entry.error})", file=sys.stderr
        )


def _refund(ctx: Context, args: argparse.Namespace) -> int:
    from desk_billing.core.money import format_amount
    from desk_billing.core.operations import Journal
    from desk_billing.core.operations.confirm import LiveConfirmation, needs_confirmation
    from desk_billing.core.operations.refunds import (
        check_reason,
        execute_refund,
        follow_refund,
        plan_refund,
    )

    check_reason(args.reason)  # before even a key is needed
    gateway = ctx.gateway()
    with ctx.cache() as cache:
        journal = Journal(cache, gateway, ctx.profile.name, env=ctx.env)
        _resume_journal(journal)
        plan = plan_refund(gateway, args.id, args.amount, args.reason, cache=cache)
        if needs_confirmation(gateway.mode) and not args.yes:
            confirmation = LiveConfirmation(plan.target, plan.amount, plan.currency)
            if not sys.stdin.isatty():
                raise ValidationError(
                    "Live mode needs a typed confirmation; run this in a terminal or add --yes."
                )
            typed = input(f"{plan.describe()}.\n{confirmation.prompt()}: ")
            if not confirmation.matches(typed):
                raise ValidationError("The confirmation did not match; nothing was refunded.")
        result = execute_refund(journal, plan)
        refund = result.object
        if args.follow and refund["status"] not in ("succeeded", "failed", "canceled"):
            refund = follow_refund(journal, refund["id"], timeout_s=120)
        print(
            f"{refund['id']} {refund['status']} {format_amount(refund['amount'], refund['currency'])}"
        )
        if refund["status"] == "failed":
            raise DeskBillingError(
                f"Refund {refund['id']} failed ({refund.get('failure_reason')})."
            )
    return EXIT_OK


def _add_journal_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "journal", help="the operation journal: list it, resume unfinished operations, export CSV"
    )
    parser.add_argument("action", choices=["list", "resume", "export"], help="what to do")
    parser.add_argument("--csv", metavar="FILE", help="where 'export' writes")
    parser.add_argument("--limit", type=int, default=50, help="rows 'list' shows (default 50)")
    parser.set_defaults(handler=_journal)


def _journal(ctx: Context, args: argparse.Namespace) -> int:
    from desk_billing.core.operations import Journal, entries, export_csv

    with ctx.cache() as cache:
        if args.action == "export":
            if not args.csv:
                raise ValidationError("Name the file to write with --csv FILE.")
            count = export_csv(cache, args.csv)
            print(f"{count} operations written to {args.csv}")
        elif args.action == "resume":
            _resume_journal(Journal(cache, ctx.gateway(), ctx.profile.name, env=ctx.env))
        else:
            for e in entries(cache, limit=args.limit):
                fields = [_iso(e.created) or "", e.kind, e.target or "", e.amount_text, e.status]
                print("\t".join([*fields, e.result_id or "", e.error or ""]))
    return EXIT_OK


SUB_COMMANDS: list[Callable[[Any], None]] = [
    _add_info_parser,
    _add_sandbox_parser,
    _add_sync_parser,
    _add_demo_parser,
    _add_invoices_parser,
    _add_refund_parser,
    _add_journal_parser,
]


def build_parser() -> argparse.ArgumentParser:
    """The full parser; with no sub-command the GUI opens."""
    parser = argparse.ArgumentParser(
        prog="desk-billing",
        description="A desktop back-office for a Stripe account. Without a command, opens the app.",
        epilog="Environment: STRIPE_API_KEY (key, overrides the keyring), STRIPE_API_BASE, "
        "DESK_BILLING_HOME (where everything is written).",
    )
    parser.add_argument("--version", action="version", version=f"desk-billing {__version__}")
    _add_global_options(parser, in_sub_command=False)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    _add_global_options(common, in_sub_command=True)
    for add in SUB_COMMANDS:
        add(_SubParsers(subparsers, common))
    parser.set_defaults(handler=_open_gui)
    return parser


class _SubParsers:
    """Hands `add_parser` to sub-command builders with the global options already attached."""

    def __init__(self, subparsers: Any, common: argparse.ArgumentParser) -> None:
        self._subparsers = subparsers
        self._common = common

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        kwargs.setdefault("parents", []).append(self._common)
        kwargs.setdefault("description", kwargs.get("help"))
        return self._subparsers.add_parser(name, **kwargs)


def _open_gui(ctx: Context, args: argparse.Namespace) -> int:
    try:
        app = importlib.import_module("desk_billing.gui.app")
    except ModuleNotFoundError as error:
        if error.name != "desk_billing.gui.app":
            raise
        raise DeskBillingError(
            "The desktop window is not part of this build yet; try 'desk-billing --help'."
        ) from error
    return int(app.run(ctx) or 0)


def main(argv: Sequence[str] | None = None, env: dict[str, str] | None = None) -> int:
    """Parse, run one command, turn errors into one line on stderr and an exit status."""
    import os

    env = dict(os.environ) if env is None else env
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version (0) and usage errors (2)
        return int(stop.code or 0)
    try:
        ctx = Context.from_args(args, env)
        log_file = ctx.paths.log_file
        setup_logging(log_file)
        return args.handler(ctx, args)
    except DeskBillingError as error:
        print(f"desk-billing: {mask_secrets(str(error))}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("desk-billing: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # the last line of defence: a traceback goes to the log only
        log.exception("Unexpected error")
        where = ctx.paths.log_file if "ctx" in locals() else "the log"
        print(
            f"desk-billing: unexpected error ({type(error).__name__}); details are in {where}.",
            file=sys.stderr,
        )
        return EXIT_ERROR
