"""The agent's HTTP API (Starlette): flows as NDJSON, status, and Prometheus /metrics.

GET /api/v1/flows?filter=<FlowFilter JSON>&since=&until=&last=N&follow=1
    one GetFlowsResponse-shaped JSON object per line (as `observe -o json` prints);
    since/until are ns since the epoch, a duration ago (5m) or RFC3339.
GET /api/v1/status    collector path, counters, losses, store size
GET /api/v1/profiles?q=since=2h comm=nginx&top=20&format=json|pprof|folded|speedscope|html
    stored profiles merged over the range and labels: top functions (json) or a rendering
GET /metrics          Prometheus text format
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from beholder import __version__
from beholder.flows.filters import FlowFilter
from beholder.flows.lost import LostEvent
from beholder.flows.matchers import FilterError
from beholder.flows.render.json import flow_response, lost_response
from beholder.flows.timespec import TimeSpecError, parse_time_spec

from .agent import Agent

NDJSON = "application/x-ndjson"


def _time_ns(value: str | None, flag: str) -> int | None:
    if value is None or value == "":
        return None
    if value.isdigit():
        return int(value)
    dt = parse_time_spec(value, flag=flag)
    return int(dt.timestamp()) * 1_000_000_000 + dt.microsecond * 1000


def _bad(msg: str) -> JSONResponse:
    return JSONResponse({"error": msg}, status_code=400)


def create_app(agent: Agent) -> Starlette:
    async def flows(request: Request) -> Response:
        q = request.query_params
        try:
            flt = FlowFilter.from_json(q["filter"]) if q.get("filter") else FlowFilter()
            since = _time_ns(q.get("since"), "since")
            until = _time_ns(q.get("until"), "until")
            last = int(q["last"]) if q.get("last") else None
            if last is not None and last < 1:
                raise ValueError("last must be at least 1")
        except (FilterError, TimeSpecError) as e:
            return _bad(str(e))
        except ValueError as e:
            return _bad(f"invalid parameter: {e}")
        follow = q.get("follow", "") in ("1", "true", "yes")
        stop = threading.Event()

        def body() -> Iterator[str]:
            try:
                if not follow or since is not None or last is not None:
                    for f in agent.history(flt, since, until, last):
                        yield json.dumps(flow_response(f), separators=(",", ":")) + "\n"
                if follow:
                    for item in agent.follow(flt, stop):
                        if item is None:
                            yield ""  # idle: lets the server notice a closed client
                            continue
                        resp: dict[str, Any] = (lost_response(item) if isinstance(item, LostEvent)
                                                else flow_response(item))
                        yield json.dumps(resp, separators=(",", ":")) + "\n"
            finally:
                stop.set()

        return StreamingResponse(body(), media_type=NDJSON)

    def status(request: Request) -> Response:  # sync: runs in a thread, may wait for the store
        c = agent.collector
        return JSONResponse({
            "version": __version__,
            "path": c.path,
            "kprobe_available": c.kprobe_available,
            "flows_seen": agent.flows_seen,
            "lost": agent.lost(),
            "store": {**agent.store.stats(), "last_error": agent.store_error},
            "collector": dict(c.stats),
            "kubernetes": None if agent.pods is None else {
                "api": agent.pods.config.api, "refreshes": agent.pods.refreshes,
                "last_error": agent.pods.last_error},
            "profiler": None if agent.profiler is None else {
                "frequency_hz": agent.config.profile_frequency,
                "harvests": len(agent.profiler.harvests),
                "errors": agent.profiler.errors,
                "store": agent.profile_store.stats(),
            },
        })

    def profiles(request: Request) -> Response:  # sync: DuckDB and symbol work in a thread
        from beholder.profiles.render import get_renderer
        from beholder.profiles.store import Query, QueryError

        if agent.profile_store is None:
            return JSONResponse({"error": "continuous profiling is off (--profile-frequency 0)"},
                                status_code=404)
        q = request.query_params
        try:
            query = Query.parse(q.get("q", ""))
            top = int(q.get("top", "20"))
            fmt = q.get("format", "json")
            renderer = None if fmt == "json" else get_renderer(fmt)
        except (QueryError, ValueError) as e:
            return _bad(str(e))
        prof = agent.profile_store.query(query)
        if renderer is None:
            return JSONResponse({
                "samples": prof.total(), "idle_samples": prof.idle_samples, "lost": prof.lost,
                "top": [{"function": f, "self": s_, "total": t}
                        for f, s_, t in prof.top_functions(top)]})
        body = renderer.render(prof)
        media = "application/octet-stream" if renderer.binary else (
            "text/html" if fmt == "html" else "text/plain")
        return Response(body, media_type=media)

    async def metrics(request: Request) -> Response:
        return Response(agent.metrics.render(),
                        media_type="text/plain; version=0.0.4; charset=utf-8")

    return Starlette(routes=[
        Route("/api/v1/flows", flows),
        Route("/api/v1/status", status),
        Route("/api/v1/profiles", profiles),
        Route("/metrics", metrics),
    ])
