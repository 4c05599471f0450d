"""What watching costs: one request through the observing middleware (request id, timing,
a JSON log line) and one script run's bookkeeping, side by side with the same work bare.

Run: .venv/bin/python benchmarks/bench_observe.py [--requests 3000] [--runs 5]
In-process (ASGI, no sockets), so the figures are the middleware's own cost, not the
network's. JSON lines go to /dev/null through the app's real handler. Prints the median
microseconds per request or run over `--runs` rounds, interleaved so machine noise hits both
sides alike.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.responses import PlainTextResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from homemovies_core.observability import context, logs  # noqa: E402
from homemovies_core.observability.metrics import SCRIPT_RUN_DURATION  # noqa: E402
from homemovies_core.web import headers, routes  # noqa: E402


async def _progress(request):
    return PlainTextResponse("ok")


def _app(observed: bool) -> Starlette:
    middleware = routes.middleware() if observed else headers.middleware()
    return Starlette(routes=[Route("/api/progress", _progress)], middleware=middleware)


async def _per_request_us(app: Starlette, count: int) -> float:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        start = time.perf_counter()
        for _ in range(count):
            await client.get("/api/progress")
        return (time.perf_counter() - start) / count * 1e6


def _per_run_us(count: int) -> float:
    """A script run's bookkeeping (ui/observe.script_run without Streamlit): bind an id and
    the page, time it, log the line, clear."""
    import logging

    log = logging.getLogger("homemovies.script")
    start = time.perf_counter()
    for _ in range(count):
        context.bind(request_id=context.new_request_id(), page="library")
        began = time.perf_counter()
        SCRIPT_RUN_DURATION.labels(page="library").observe(time.perf_counter() - began)
        log.info("script run", extra={"duration_ms": 0.1})
        context.clear()
    return (time.perf_counter() - start) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with open(os.devnull, "w") as devnull:
        logs.configure("json", stream=devnull)
        bare, observed = _app(False), _app(True)
        results: dict[str, list[float]] = {k: [] for k in ("bare", "observed", "run")}
        for _ in range(args.runs):
            results["bare"].append(asyncio.run(_per_request_us(bare, args.requests)))
            results["observed"].append(asyncio.run(_per_request_us(observed, args.requests)))
            results["run"].append(_per_run_us(args.requests))
    bare_us, observed_us = (statistics.median(results[k]) for k in ("bare", "observed"))
    print(f"{'':36} {'µs (median of ' + str(args.runs) + ')':>20}")
    print(f"{'request, security headers only':36} {bare_us:>20.1f}")
    print(f"{'request, observed (id, timing, log)':36} {observed_us:>20.1f}")
    print(f"{'  cost of observing one request':36} {observed_us - bare_us:>20.1f}")
    print(f"{'script run bookkeeping (id, log)':36} {statistics.median(results['run']):>20.1f}")


if __name__ == "__main__":
    main()
