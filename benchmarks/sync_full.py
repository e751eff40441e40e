"""Full sync of a large account from the sandbox at Stripe's test-mode limit: how close to the
ceiling does the engine's request rate get?

Run: python benchmarks/sync_full.py [--objects 100000] [--runs 3] [--latency-ms 50] [--rate 25]
The sandbox runs in its own process (as Stripe is remote), bulk-seeded with about `objects`
synced objects, answers after `latency-ms` and returns 429 above `rate` requests/s; the gateway's
limiter is set to the same rate. Prints, per run, the request rate achieved as a share of the
limit (goal >= 90%) and, to keep that honest, the share counting only the pages a single
sequential walk would need (the extra requests are windows found empty when lists are split).
A quick run: `--objects 10000 --runs 1`.
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._machine import describe  # noqa: E402
from desk_billing.core.cache import Cache  # noqa: E402
from desk_billing.core.gateway import Gateway  # noqa: E402
from desk_billing.core.profiles import Profile  # noqa: E402
from desk_billing.core.sync import RESOURCES, SyncEngine  # noqa: E402

KEY = "sk_test_benchmark000000000000"
SYNCED_PER_EACH = 13.2  # synced objects per bulk "each" (customers, invoices, charges, ...)


def one_run(url: str, rate: float, concurrency: int) -> dict[str, float]:
    gateway = Gateway.from_profile(Profile("bench"), KEY, api_base=url, rate=rate, env={})
    with tempfile.TemporaryDirectory() as tmp, Cache.open(Path(tmp) / "bench.sqlite3") as cache:
        engine = SyncEngine(gateway, cache, concurrency=concurrency, reconcile_every_s=None)
        requests = 0
        get = engine.fetcher.get

        def counted(*args, **kwargs):
            nonlocal requests
            requests += 1
            return get(*args, **kwargs)

        engine.fetcher.get = counted
        started, cpu = time.perf_counter(), time.process_time()
        engine.run()
        elapsed = time.perf_counter() - started
        counts = {r.table: cache.count(r.table, include_deleted=True) for r in RESOURCES}
        needed = sum(max(1, math.ceil(n / 100)) for n in counts.values())
        return {
            "objects": sum(counts.values()),
            "requests": requests,
            "needed": needed,
            "elapsed": elapsed,
            "cpu": time.process_time() - cpu,
            "throttled": gateway.monitor.state().last_throttled_at is not None,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    print(describe())
    each = max(1, round(args.objects / SYNCED_PER_EACH))
    server = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("_sandbox_server.py")),
            str(each),
            str(args.latency_ms),
            str(args.rate),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url, seeded = server.stdout.readline().split()
        print(
            f"sandbox: {url}, {int(seeded):,} objects seeded (bulk each={each}), latency {args.latency_ms} ms, limit {args.rate:g}/s"
        )
        shares, useful = [], []
        for _ in range(args.runs):
            run = one_run(url, args.rate, args.concurrency)
            rate = run["requests"] / run["elapsed"]
            shares.append(rate / args.rate)
            useful.append(run["needed"] / run["elapsed"] / args.rate)
            print(
                f"  run: {run['objects']:,} objects, {run['requests']} requests ({run['needed']} pages needed) "
                f"in {run['elapsed']:.1f} s = {rate:.2f} req/s = {shares[-1]:.1%} of the limit; "
                f"needed pages only {useful[-1]:.1%}; client CPU {run['cpu']:.1f} s"
                + ("; THROTTLED by the server" if run["throttled"] else "")
            )
        print(
            f"median share of the limit: {statistics.median(shares):.1%} (needed pages only: "
            f"{statistics.median(useful):.1%})  goal >= 90%"
        )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
