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
from kafkacheck.webui.session import Explorer, step_at
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
                body = request_body() if bottle.request.method == "POST" else {}
                return json.dumps(handler(body))
            except bottle.HTTPError as exc:  # bottle's own refusal (a body over MEMFILE_MAX)
                bottle.response.status = exc.status_code
                return json.dumps({"error": _one_line(f"bad request: {exc.body}")})
            except UsageError as exc:
                bottle.response.status = 400
                return json.dumps({"error": _one_line(str(exc))})
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
        at = step_at(trace, body.get("at"))
        return search_from(explorer.model, trace.steps[at].state, str(body.get("property")),
                           explorer.limits)

    def load(body: dict[str, Any]) -> Any:
        name = str(body.get("name") or "uploaded result")
        return {"counterexamples": counterexamples(explorer.model, body.get("result"), name)}

    app.route("/api/model", "GET", api(lambda _body: explorer.describe_model()))
    app.route("/api/state", "POST", api(state))
    app.route("/api/search", "POST", api(search))
    app.route("/api/load", "POST", api(load))

    def api_error(err: bottle.HTTPError) -> Any:
        """404 and 405 under /api/ as one-line JSON, like every other API answer."""
        if not bottle.request.path.startswith("/api/"):
            return app.default_error_handler(err)
        bottle.response.content_type = "application/json"
        what = "no such route" if err.status_code == 404 else "method not allowed"
        return json.dumps({"error": f"{what}: {bottle.request.method} "
                                    f"{bottle.request.path[:100]}"})

    app.error_handler[404] = api_error
    app.error_handler[405] = api_error

    @app.get("/")
    def index() -> Any:
        return bottle.static_file("index.html", root=str(STATIC))

    @app.get("/static/<name:path>")
    def static(name: str) -> Any:
        return bottle.static_file(name, root=str(STATIC))

    return app


# A page's request is a few levels deep (a check --json result about ten): anything much
# deeper is refused before a handler recurses into it.
MAX_DEPTH = 64


def request_body() -> dict[str, Any]:
    """The POST body as a JSON object; UsageError (a one-line 400) when it is not one."""
    ctype = bottle.request.content_type.split(";")[0].strip().lower()
    if ctype != "application/json":
        raise UsageError("send a JSON object with Content-Type: application/json")
    raw = bottle.request.body.read()
    try:
        body = json.loads(raw)
    except RecursionError:
        raise UsageError("the request body is not JSON: nested too deeply") from None
    except ValueError as exc:  # UnicodeDecodeError too
        raise UsageError(f"the request body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise UsageError("the request body must be a JSON object")
    if _deeper_than(body, MAX_DEPTH):
        raise UsageError(f"the request body is nested more than {MAX_DEPTH} levels deep")
    return body


def _deeper_than(doc: Any, limit: int) -> bool:
    """Whether a JSON document nests lists and objects more than ``limit`` deep (no
    recursion: the document may be deep enough to exhaust the stack)."""
    stack = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)
    return False


def _one_line(text: str) -> str:
    """An error as the one line the page shows."""
    return " ".join(str(text).split())


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
