"""Shared by the explorer's tests: build an explorer as the CLI does, serve it on a free port."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kafkacheck.cli import build_parser, resolve
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.render import result_json
from kafkacheck.webui.server import bind, make_app, url_of
from kafkacheck.webui.session import Explorer, Limits
from kafkacheck.webui.traces import counterexamples


def explorer_for(name: str, *extra: str, limits: Limits | None = None,
                 with_counterexamples: bool = False) -> Explorer:
    """The explorer `kafkacheck explore NAME EXTRA...` would serve."""
    args = build_parser().parse_args(["explore", name, *extra])
    model, _config, focus = resolve(args)
    loaded = []
    if with_counterexamples:
        loaded = counterexamples(model, check_json(name, *extra), "check.json")
    return Explorer(model, loaded, limits or Limits(), tuple(focus), name)


def check_json(name: str, *extra: str) -> dict[str, Any]:
    """What `kafkacheck check NAME EXTRA... --json` prints, as data."""
    args = build_parser().parse_args(["check", name, *extra])
    model, _config, props = resolve(args)
    return json.loads(json.dumps(result_json(breadth_first(model, props))))


@contextmanager
def serving(explorer: Explorer) -> Iterator[str]:
    """The explorer served on 127.0.0.1 and a free port; yields its URL."""
    server = bind(make_app(explorer), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url_of(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def call(url: str, route: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """(HTTP status, JSON answer) of GET (no body) or POST (a JSON body) to the API."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url.rstrip("/") + route, data=data,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
