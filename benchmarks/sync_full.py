"""Full sync of a large account from the sandbox at Stripe's test-mode limit: how close to the
ceiling does the engine's request rate get?

Run: python benchmarks/sync_full.py [--objects 100000] [--runs 1] [--latency-ms 50] [--rate 25]
The sandbox is bulk-seeded with about `objects` objects (a tenth of each kind), answers after
`latency-ms` and returns 429 above `rate` requests/s; the gateway's limiter is set to the same
rate. Prints requests/s achieved as a share of the limit (goal >= 90%). A quick run:
`--objects 10000`.
"""

from __future__ import annotations

import argparse
import statistics
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
from desk_billing.sandbox import Sandbox  # noqa: E402

KEY = "sk_test_benchmark000000000000"


def one_run(sb: Sandbox, rate: float, concurrency: int) -> tuple[float, int, float, int]:
    gateway = Gateway.from_profile(Profile("bench"), KEY, api_base=sb.url, rate=rate, env={})
    with tempfile.TemporaryDirectory() as tmp, Cache.open(Path(tmp) / "bench.sqlite3") as cache:
        engine = SyncEngine(gateway, cache, concurrency=concurrency, reconcile_every_s=None)
        requests = 0
        get = engine.fetcher.get

        def counted(*args, **kwargs):
            nonlocal requests
            requests += 1
            return get(*args, **kwargs)

        engine.fetcher.get = counted
        started = time.perf_counter()
        engine.run()
        elapsed = time.perf_counter() - started
        objects = sum(cache.count(r.table, include_deleted=True) for r in RESOURCES)
        throttled = gateway.monitor.state().last_throttled_at is not None
        return requests / elapsed, requests, elapsed, objects if not throttled else -objects


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    print(describe())
    with Sandbox(latency_ms=args.latency_ms, rate_limit=args.rate) as sb:
        counts = sb.seed("bulk", each=max(1, args.objects // 10))
        print(f"seeded: {sum(v for k, v in counts.items() if k != 'events'):,} objects {counts}")
        shares = []
        for _ in range(args.runs):
            achieved, requests, elapsed, objects = one_run(sb, args.rate, args.concurrency)
            shares.append(achieved / args.rate)
            note = "" if objects >= 0 else " (throttled by the server at least once)"
            print(
                f"  run: {abs(objects):,} objects, {requests} requests in {elapsed:.1f} s = "
                f"{achieved:.2f} req/s = {achieved / args.rate:.1%} of {args.rate:g}/s{note}"
            )
        print(f"median share of the limit: {statistics.median(shares):.1%}  (goal >= 90%)")


if __name__ == "__main__":
    main()
