"""A bulk-seeded sandbox in its own process, as Stripe would be: `python _sandbox_server.py EACH
LATENCY_MS RATE`. Prints its base URL on the first line once seeded, then serves until killed."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from desk_billing.sandbox import Sandbox  # noqa: E402


def main() -> None:
    each, latency_ms, rate = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    sandbox = Sandbox(latency_ms=latency_ms, rate_limit=rate or None)
    url = sandbox.bind("127.0.0.1", 0)
    counts = sandbox.seed("bulk", each=each)
    print(url, sum(counts.values()), flush=True)
    sandbox.serve_forever()


if __name__ == "__main__":
    main()
