"""Smoke test of a frozen desk-billing build: its main jobs, run as a user would run them.

    python3 scripts/smoke_app.py dist/desk-billing/desk-billing

The build serves a sandbox, and syncs, refunds and exports PDFs against it; the `stripe` SDK
(needed here) checks the results independently of the app. `demo` runs offscreen, and on X11
under Xvfb when there is one. One line per check; exit status 1 when any failed. Everything
is written under temporary folders, and every process started here is stopped at the end.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import stripe

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk_test_smokeapp0000000000000000"
DEMO_SECONDS = 20
SYNCED = {  # the sync summary's tables -> how the SDK lists everything they hold
    "customers": ("customers", {}),
    "products": ("products", {}),
    "prices": ("prices", {}),
    "subscriptions": ("subscriptions", {"status": "all"}),
    "invoices": ("invoices", {}),
    "invoiceitems": ("invoice_items", {}),
    "payment_intents": ("payment_intents", {}),
    "charges": ("charges", {}),
    "refunds": ("refunds", {}),
    "credit_notes": ("credit_notes", {}),
    "invoice_payments": ("invoice_payments", {}),
}
LINUX_FILES = (  # what the build must carry beyond Python code (Linux layout)
    "install-desktop-entry.sh",
    "_internal/resources/desk-billing.desktop",
    "_internal/resources/desk-billing.svg",
    "_internal/desk_billing/gui/icons/app.svg",
    "_internal/stripe/data/ca-certificates.crt",
    "_internal/certifi/cacert.pem",
    "_internal/PySide6/Qt/plugins/platforms/libqxcb.so",
    "_internal/PySide6/Qt/plugins/platforms/libqoffscreen.so",
    "_internal/PySide6/Qt/plugins/imageformats/libqsvg.so",
    "_internal/PySide6/Qt/plugins/iconengines/libqsvgicon.so",
    "_internal/PySide6/Qt/lib/libQt6Pdf.so.6",
)

# What the build takes from the machine it runs on (the README's "Building a desktop app"
# names their Debian/Ubuntu packages); every other library it links to is in the build.
SYSTEM_LIBRARIES = {
    "libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "libresolv.so.2", "librt.so.1",
    "libutil.so.1", "libGL.so.1", "libEGL.so.1", "libGLX.so.0", "libGLdispatch.so.0",
    "libOpenGL.so.0", "libdrm.so.2", "libxcb.so.1", "libwayland-client.so.0",
    "libwayland-cursor.so.0", "libwayland-egl.so.1",
}  # fmt: skip

# Python's and the app's last words, and Qt's when a plugin or library does not load
QT_OR_PYTHON_FAILURE = re.compile(
    r"Traceback|unexpected error|could not (load|find)|cannot load library|No module named", re.I
)


class Failed(Exception):
    """A check that did not pass; its message says what was seen."""


class Smoke:
    """The frozen binary, a scratch folder, and the processes started (stopped in `close`)."""

    def __init__(self, binary: Path) -> None:
        self.binary = binary
        self.scratch = Path(tempfile.mkdtemp(prefix="desk-billing-smoke-"))
        self.processes: list[subprocess.Popen] = []
        self.failures = 0
        self.sandbox_url = ""

    def env(self, home: str, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("STRIPE_API_KEY", "PYTHONPATH")}
        return {**env, "DESK_BILLING_HOME": str(self.scratch / home), **extra}

    def run(
        self, *args: str, env: dict[str, str], timeout: float = 120
    ) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.binary), *args], env=env, capture_output=True, text=True, timeout=timeout
        )

    def start(self, command: list[str], env: dict[str, str], **kwargs) -> subprocess.Popen:
        process = subprocess.Popen(command, env=env, start_new_session=True, **kwargs)
        self.processes.append(process)
        return process

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # its own session: the app and its children
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def check(self, name: str, body: Callable[[], str]) -> None:
        started = time.monotonic()
        try:
            detail = body()
        except (Failed, subprocess.TimeoutExpired, OSError, stripe.StripeError) as error:
            self.failures += 1
            print(f"FAIL {name}: {error}", flush=True)
            return
        print(f"ok   {name} ({time.monotonic() - started:.1f} s): {detail}", flush=True)

    def close(self) -> None:
        for process in reversed(self.processes):
            self.stop(process)
        shutil.rmtree(self.scratch, ignore_errors=True)

    # -- checks -----------------------------------------------------------------------------
    def bundle(self) -> str:
        folder = self.binary.parent
        missing = [f for f in LINUX_FILES if not (folder / f).is_file()]
        if missing:
            raise Failed(f"missing {', '.join(missing)}")
        return f"{len(LINUX_FILES)} data files and Qt plugins present"

    def system_libraries(self) -> str:
        """Libraries resolved outside the build are only those the README says a user needs."""
        internal = self.binary.parent / "_internal"
        env = {**os.environ, "LD_LIBRARY_PATH": str(internal)}  # as the build's loader sets it
        outside: dict[str, str] = {}
        not_found: set[str] = set()
        for path in [self.binary, *internal.rglob("*.so*")]:
            if path.is_symlink() or not path.is_file():
                continue
            ldd = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env)
            for name, _, target in re.findall(r"^\s*(\S+) => ((\S+)|not found)", ldd.stdout, re.M):
                if not target:
                    not_found.add(name)
                elif not Path(target).resolve().is_relative_to(self.binary.parent.resolve()):
                    outside.setdefault(name, path.name)
        unexpected = {n: by for n, by in outside.items() if n not in SYSTEM_LIBRARIES}
        if unexpected:
            raise Failed(f"taken from this machine, not in the build: {unexpected}")
        detail = f"from the system: {', '.join(sorted(outside))}"
        return detail + (
            f"; not found (optional plugins): {', '.join(sorted(not_found))}" if not_found else ""
        )

    def version(self) -> str:
        expected = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
        result = self.run("--version", env=self.env("version"))
        if result.returncode != 0 or result.stdout.strip() != f"desk-billing {expected}":
            raise Failed(
                f"exit {result.returncode}: {result.stdout.strip()} {result.stderr.strip()}"
            )
        return result.stdout.strip()

    def info(self) -> str:
        env = self.env("info")
        result = self.run("info", "--json", env=env)
        if result.returncode != 0:
            raise Failed(f"exit {result.returncode}: {result.stderr.strip()}")
        info = json.loads(result.stdout)
        if not info["cache_path"].startswith(env["DESK_BILLING_HOME"]) or info["cache_exists"]:
            raise Failed(f"cache path {info['cache_path']} (exists: {info['cache_exists']})")
        return f"profile {info['profile']}, mode {info['mode']}, cache under DESK_BILLING_HOME"

    def tls(self) -> str:
        """An HTTPS request gets as far as a TLS handshake: the SDK found its CA bundle."""
        server = socket.create_server(("127.0.0.1", 0))
        server.settimeout(60)
        port = server.getsockname()[1]
        first_bytes: list[bytes] = []

        def accept_one() -> None:
            try:
                connection, _ = server.accept()
            except TimeoutError:
                return
            finally:
                server.close()  # the app's retries are refused at once, not left waiting
            with connection:
                connection.settimeout(10)
                first_bytes.append(connection.recv(5))

        listener = threading.Thread(target=accept_one, daemon=True)
        listener.start()
        env = self.env("tls", STRIPE_API_KEY=KEY)
        result = self.run("--api-base", f"https://127.0.0.1:{port}", "sync", env=env)
        listener.join(5)
        server.close()
        error = result.stderr.strip()
        if not first_bytes or not first_bytes[0].startswith(b"\x16\x03"):
            raise Failed(f"no TLS handshake reached the server (the app said: {error})")
        if result.returncode != 1 or "unexpected" in error or len(error.splitlines()) != 1:
            raise Failed(f"exit {result.returncode}, stderr: {error}")
        return f"handshake sent; the app said: {error}"

    def no_keyring(self) -> str:
        """No key and no D-Bus session (so no Secret Service): one sentence, exit 1."""
        bus = f"unix:path={self.scratch / 'no-such-bus'}"
        env = self.env("no-keyring", DBUS_SESSION_BUS_ADDRESS=bus)
        result = self.run("--api-base", "http://127.0.0.1:9", "sync", env=env)
        error = result.stderr.strip()
        if result.returncode != 1 or len(error.splitlines()) != 1 or "keyring" not in error:
            raise Failed(f"exit {result.returncode}, stderr: {error}")
        return error

    def secret_service(self) -> str:
        """A key kept by a running Secret Service (GNOME Keyring) is found: `sync` needs no other."""
        bus_daemon, keyring_daemon = (
            shutil.which("dbus-daemon"),
            shutil.which("gnome-keyring-daemon"),
        )
        if not (bus_daemon and keyring_daemon):
            return "skipped: no dbus-daemon and gnome-keyring-daemon on this machine"
        home = self.scratch / "secret-service"
        (home / "run").mkdir(parents=True, mode=0o700)
        bus = self.start(
            [bus_daemon, "--session", "--nofork", "--print-address=1"],
            dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # it warns that it cannot raise its file limit
            text=True,
        )
        env = self.env(
            "secret-service-app",
            HOME=str(home),
            XDG_DATA_HOME=str(home / "data"),
            XDG_RUNTIME_DIR=str(home / "run"),
            DBUS_SESSION_BUS_ADDRESS=bus.stdout.readline().strip(),
        )
        keyring = self.start(
            [keyring_daemon, "--foreground", "--unlock", "--components=secrets"],
            env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        keyring.stdin.write("smoke-test-only")  # the new login keyring's password
        keyring.stdin.close()
        keyring.stdout.readline()  # it prints its environment once it serves the bus
        stored = subprocess.run(
            [sys.executable, "-c", "import keyring, sys; keyring.set_password(*sys.argv[1:])",
             "desk-billing", "default", KEY],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        if stored.returncode != 0:
            raise Failed(f"could not store a key in GNOME Keyring: {stored.stderr.strip()[-300:]}")
        result = self.run("--api-base", self.url(), "sync", env=env)
        self.stop(keyring)
        self.stop(bus)
        if result.returncode != 0:
            raise Failed(f"exit {result.returncode}: {result.stderr.strip()}")
        return "sync read the profile's key from GNOME Keyring"

    def sandbox(self) -> str:
        with open(self.scratch / "sandbox.err", "w") as log:  # the child keeps its own copy
            process = self.start(
                [str(self.binary), "sandbox", "--port", "0", "--seed", "demo"],
                self.env("sandbox"),
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        first = process.stdout.readline().strip()
        if not re.fullmatch(r"http://127\.0\.0\.1:\d+", first):
            raise Failed(f"first line {first!r}; {(self.scratch / 'sandbox.err').read_text()}")
        self.sandbox_url = first
        return f"serving on {first}"

    def url(self) -> str:
        """The sandbox the build serves (the checks after `sandbox` need it)."""
        if not self.sandbox_url:
            raise Failed("the sandbox did not start")
        return self.sandbox_url

    def client(self) -> stripe.StripeClient:
        return stripe.StripeClient(KEY, base_addresses={"api": self.url()})

    def sync(self) -> str:
        client = self.client()
        env = self.env("cli", STRIPE_API_KEY=KEY)
        result = self.run("--api-base", self.url(), "sync", env=env)
        if result.returncode != 0:
            raise Failed(f"exit {result.returncode}: {result.stderr.strip()}")
        in_cache = {
            m.group(1): int(m.group(2))
            for m in re.finditer(r"^\s+(\w+)\s+(\d+) in cache", result.stdout, re.M)
        }
        expected = {
            table: sum(
                1
                for _ in getattr(client.v1, service)
                .list({"limit": 100, **params})
                .auto_paging_iter()
            )
            for table, (service, params) in SYNCED.items()
        }
        if in_cache != expected or not expected["customers"]:
            raise Failed(f"summary {in_cache}, the sandbox lists {expected}")
        return ", ".join(f"{n} {t}" for t, n in in_cache.items())

    def refund(self) -> str:
        client = self.client()
        payment = next(
            p
            for p in client.v1.payment_intents.list({"limit": 100}).auto_paging_iter()
            if p.status == "succeeded"
            and p.currency in ("eur", "usd", "gbp")
            and p.amount_received >= 500
            and not client.v1.refunds.list({"payment_intent": p.id}).data
        )
        env = self.env("cli", STRIPE_API_KEY=KEY)
        result = self.run(
            "--api-base", self.url(), "refund", payment.id, "--amount", "1.25",
            "--reason", "requested_by_customer", "--yes", env=env,
        )  # fmt: skip
        printed = result.stdout.split()
        if result.returncode != 0 or not printed or not printed[0].startswith("re_"):
            raise Failed(
                f"exit {result.returncode}: {result.stdout.strip()} {result.stderr.strip()}"
            )
        refund = client.v1.refunds.retrieve(printed[0])
        if (refund.amount, refund.payment_intent, refund.status) != (125, payment.id, "succeeded"):
            raise Failed(
                f"the sandbox holds {refund.amount} on {refund.payment_intent} ({refund.status})"
            )
        return f"{result.stdout.strip()} on {payment.id}"

    def export(self) -> str:
        folder = self.scratch / "export"
        today = dt.datetime.now(dt.UTC).date()
        env = self.env("cli", STRIPE_API_KEY=KEY)
        result = self.run(
            "--api-base", self.url(), "invoices", "export",
            "--from", str(today - dt.timedelta(days=45)), "--to", str(today),
            "--dir", str(folder), env=env,
        )  # fmt: skip
        if result.returncode != 0:
            raise Failed(f"exit {result.returncode}: {result.stderr.strip()[-500:]}")
        with open(folder / "index.csv", encoding="utf-8-sig", newline="") as index:
            rows = list(csv.DictReader(index))
        pdfs = sorted(folder.glob("*.pdf"))
        if (
            not rows
            or len(rows) != len(pdfs)
            or {r["file_name"] for r in rows} != {p.name for p in pdfs}
        ):
            raise Failed(f"index.csv lists {len(rows)} files, the folder has {len(pdfs)} PDFs")
        broken = [p.name for p in pdfs if not _is_pdf(p.read_bytes())]
        if broken:
            raise Failed(f"not PDF files: {broken[:3]}")
        unicode_fonts = sum(1 for p in pdfs if b"/FontFile2" in p.read_bytes())
        return f"{result.stdout.strip()} ({unicode_fonts} embed a TrueType font)"

    def demo(self, platform: str, seconds: float, **extra: str) -> str:
        home = f"demo-{platform}"
        env = self.env(home, QT_QPA_PLATFORM=platform, **extra)
        err = self.scratch / f"{home}.err"
        with open(err, "w") as stderr:
            process = self.start([str(self.binary), "demo"], env, stdout=stderr, stderr=stderr)
            time.sleep(seconds)
            alive = process.poll() is None
            self.stop(process)
        output = err.read_text()
        log = Path(env["DESK_BILLING_HOME"]) / "logs" / "desk-billing.jsonl"
        errors = [
            line
            for line in (log.read_text().splitlines() if log.exists() else [])
            if json.loads(line).get("level") in ("ERROR", "CRITICAL")
        ]
        if not alive or errors or QT_OR_PYTHON_FAILURE.search(output):
            raise Failed(f"alive: {alive}; log errors: {errors[:2]}; output: {output[-800:]}")
        customers = _cached_customers(Path(env["DESK_BILLING_HOME"]))
        if not customers:
            raise Failed("the window's sync put no customer into its cache")
        return (
            f"alive after {seconds:.0f} s, no error logged, its sync cached {customers} customers"
        )

    def demo_on_x11(self) -> str:
        if not shutil.which("Xvfb"):
            return "skipped: no Xvfb on this machine"
        display = next(f":{n}" for n in range(90, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists())
        xvfb = self.start(
            ["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"], dict(os.environ)
        )
        for _ in range(100):
            if Path(f"/tmp/.X11-unix/X{display[1:]}").exists():
                break
            time.sleep(0.1)
        try:
            return self.demo("xcb", 12, DISPLAY=display)
        finally:
            self.stop(xvfb)


def _is_pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")


def _cached_customers(home: Path) -> int:
    total = 0
    for path in (home / "data" / "cache").glob("*.sqlite3"):
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            total += db.execute("SELECT count(*) FROM customers").fetchone()[0]
    return total


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    smoke = Smoke(Path(sys.argv[1]).resolve())
    try:
        smoke.check("bundle carries its data and Qt plugins", smoke.bundle)
        smoke.check("system libraries", smoke.system_libraries)
        smoke.check("--version", smoke.version)
        smoke.check("info --json (temporary DESK_BILLING_HOME)", smoke.info)
        smoke.check("HTTPS: the SDK's CA bundle is found", smoke.tls)
        smoke.check("no keyring daemon: a clear sentence", smoke.no_keyring)
        smoke.check("sandbox --seed demo", smoke.sandbox)
        smoke.check("sync (summary against the sandbox's lists)", smoke.sync)
        smoke.check("Secret Service keyring (GNOME Keyring)", smoke.secret_service)
        smoke.check("refund --amount 1.25", smoke.refund)
        smoke.check("invoices export (last 45 days)", smoke.export)
        smoke.check(
            f"demo offscreen for {DEMO_SECONDS} s", lambda: smoke.demo("offscreen", DEMO_SECONDS)
        )
        smoke.check("demo on X11 (Xvfb)", smoke.demo_on_x11)
    finally:
        smoke.close()
    if smoke.failures:
        print(f"\n{smoke.failures} smoke check(s) failed", file=sys.stderr)
        return 1
    print("\nall smoke checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
