"""Sandbox throughput through the official SDK over loopback HTTP: list (limit=100) and create rates.

Run: python benchmarks/sandbox_throughput.py [--objects 2000] [--seconds 3] [--runs 5] [--threads 1,4]
Prints requests/s for each (operation, client threads) as the median of several runs. Lists are
measured twice: as typed SDK objects (`client.v1.customers.list`, where turning JSON into
StripeObjects costs the client most of the time) and as `client.raw_request` + orjson (what the
server itself sustains). Client and server share the machine's two cores.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

import orjson
import stripe

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._machine import describe  # noqa: E402
from desk_billing.sandbox import Sandbox  # noqa: E402
from desk_billing.sandbox.resources.customers import create_customer  # noqa: E402

KEY = "sk_test_benchmark000000000000"


def _rate(threads: int, seconds: float, work) -> float:
    """Requests per second achieved by `threads` clients calling `work(i)` for `seconds`."""
    counts = [0] * threads
    stop = time.perf_counter() + seconds

    def loop(slot: int) -> None:
        i = 0
        while time.perf_counter() < stop:
            work(slot, i)
            i += 1
        counts[slot] = i

    started = time.perf_counter()
    workers = [threading.Thread(target=loop, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(counts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--objects", type=int, default=2000, help="customers in the account for listing"
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one measurement")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", default="1,4", help="client thread counts to measure")
    args = parser.parse_args()
    print(describe())
    with Sandbox() as sandbox:
        with sandbox.state.lock:
            for i in range(args.objects):
                create_customer(
                    sandbox.state, {"name": f"Kundin {i} Zoë", "email": f"k{i}@example.com"}
                )
        clients = {}

        def client(slot: int) -> stripe.StripeClient:
            # one SDK client (one keep-alive connection pool) per thread
            if slot not in clients:
                clients[slot] = stripe.StripeClient(KEY, base_addresses={"api": sandbox.url})
            return clients[slot]

        ids = [c["id"] for c in sandbox.state.newest_first("customers")]

        def list_page(slot: int, i: int) -> None:
            cursor = ids[(i * 100) % max(1, len(ids) - 100)]
            page = client(slot).v1.customers.list({"limit": 100, "starting_after": cursor})
            assert len(page.data) == 100

        def list_raw(slot: int, i: int) -> None:
            cursor = ids[(i * 100) % max(1, len(ids) - 100)]
            response = client(slot).raw_request(
                "get", "/v1/customers", limit=100, starting_after=cursor
            )
            assert len(orjson.loads(response.body)["data"]) == 100

        def create(slot: int, i: int) -> None:
            client(slot).v1.customers.create(
                {"name": f"Neu {slot}-{i}", "email": f"n{slot}-{i}@example.com"}
            )

        print(
            f"account: {args.objects} customers; {args.runs} runs of {args.seconds:.0f} s each, median"
        )
        for threads in (int(t) for t in args.threads.split(",")):
            cases = (
                ("list (SDK objects)", list_page, 100),
                ("list (raw_request)", list_raw, 100),
                ("create customer", create, 1),
            )
            for name, work, objects_per_request in cases:
                rates = [_rate(threads, args.seconds, work) for _ in range(args.runs)]
                median = statistics.median(rates)
                print(
                    f"{name:19s} threads={threads}: {median:8.0f} req/s "
                    f"({median * objects_per_request:9.0f} objects/s; runs {min(rates):.0f}-{max(rates):.0f})"
                )


if __name__ == "__main__":
    main()
