"""The explorer's web server: a Bottle app of static files and a small JSON API.

Routes: ``GET /`` (the page), ``GET /static/<file>``, ``GET /api/model``, and
``POST /api/state``, ``/api/search``, ``/api/load`` taking JSON bodies.  Bad requests get
``400 {"error": one line}``.  Served by the standard library's WSGI server, one thread
per request, so a running search does not freeze the page.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import bottle

from kafkacheck.config import UsageError
from kafkacheck.webui.search import search_from
from kafkacheck.webui.session import Explorer
from kafkacheck.webui.traces import counterexamples

STATIC = Path(__file__).parent / "static"
# A `check --json` result pasted into the page can be several megabytes.
MAX_BODY = 32 * 1024 * 1024


def make_app(explorer: Explorer) -> bottle.Bottle:
    """The WSGI application serving one explorer."""
    app = bottle.Bottle()
    bottle.BaseRequest.MEMFILE_MAX = MAX_BODY

    def api(handler: Callable[[dict[str, Any]], Any]) -> Callable[[], Any]:
        def run() -> Any:
            bottle.response.content_type = "application/json"
            try:
                body = bottle.request.json if bottle.request.method == "POST" else {}
                if not isinstance(body, dict):
                    raise UsageError("the request body must be a JSON object")
                return json.dumps(handler(body))
            except UsageError as exc:
                bottle.response.status = 400
                return json.dumps({"error": str(exc)})
            except (ValueError, KeyError, TypeError) as exc:
                bottle.response.status = 400
                return json.dumps({"error": f"bad request: {exc!r}"})
            except Exception as exc:  # a model's bug: say so on the page, and where it was
                traceback.print_exc()
                bottle.response.status = 500
                return json.dumps({"error": f"internal error (traceback on the server's "
                                            f"terminal): {exc!r}"})
        return run

    def state(body: dict[str, Any]) -> Any:
        return explorer.describe(body.get("init", 0), body.get("path", []), body.get("at"))

    def search(body: dict[str, Any]) -> Any:
        trace = explorer.path_trace(body.get("init", 0), body.get("path", []))
        at = body.get("at", len(trace))
        if not isinstance(at, int) or not 0 <= at <= len(trace):
            raise UsageError(f"no step {at!r} on a path of {len(trace)} steps")
        return search_from(explorer.model, trace.steps[at].state, str(body.get("property")),
                           explorer.limits)

    def load(body: dict[str, Any]) -> Any:
        name = str(body.get("name") or "uploaded result")
        return {"counterexamples": counterexamples(explorer.model, body.get("result"), name)}

    app.route("/api/model", "GET", api(lambda _body: explorer.describe_model()))
    app.route("/api/state", "POST", api(state))
    app.route("/api/search", "POST", api(search))
    app.route("/api/load", "POST", api(load))

    @app.get("/")
    def index() -> Any:
        return bottle.static_file("index.html", root=str(STATIC))

    @app.get("/static/<name:path>")
    def static(name: str) -> Any:
        return bottle.static_file(name, root=str(STATIC))

    return app


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's name)
        pass


def bind(app: bottle.Bottle, host: str, port: int) -> WSGIServer:
    """A server listening on host:port (port 0: a free one); UsageError when it cannot."""
    try:
        return make_server(host, port, app, server_class=_Server, handler_class=_QuietHandler)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def url_of(server: WSGIServer) -> str:
    """The address a browser opens."""
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in str(host) else host
    return f"http://{shown}:{port}/"
