"""``kafkacheck explore``: its arguments and what it does (the CLI delegates here)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from kafkacheck.config import UsageError


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The explore subcommand's arguments."""
    p.add_argument("model", help="model or preset name (see `kafkacheck list`)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="a Kafka setting, e.g. --set acks=1 (repeatable)")
    p.add_argument("--config", dest="configs", action="append", default=[],
                   metavar="FILE.properties", help="Kafka settings from a .properties file")
    p.add_argument("--bound", dest="bounds", action="append", default=[], metavar="NAME=VALUE",
                   help="a model bound, e.g. --bound crashes=1 (repeatable)")
    p.add_argument("--kafka-version", default=None, metavar="X.Y",
                   help="the Kafka release to explore (0.10 to 4.4; default 4.4): picks its "
                        "rules and its defaults")
    p.add_argument("--trace", metavar="RESULT.json",
                   help="counterexamples to step through: `check --json` output, - for stdin")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (0, the default: a free one)")
    p.add_argument("--max-states", type=int, default=200_000, metavar="N",
                   help="state limit of 'search from here' (200000)")
    p.add_argument("--max-seconds", type=float, default=30.0, metavar="S",
                   help="time limit of 'search from here' (30)")
    p.add_argument("--open", action="store_true", help="open the page in a web browser")
    p.set_defaults(props=[])


def explore(args: argparse.Namespace, resolve: Callable[[argparse.Namespace], Any]) -> int:
    """Check the input, start the server, print its address, serve until Ctrl-C."""
    from kafkacheck.webui.server import bind, make_app, url_of
    from kafkacheck.webui.session import Explorer, Limits
    from kafkacheck.webui.traces import counterexamples, read_result_file

    model, _config, focus = resolve(args)
    if not args.host.strip():
        # An empty address binds every interface: say 0.0.0.0 if that is what is meant.
        raise UsageError("--host '': give an address (0.0.0.0 for every interface)")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: give 0 (a free port) up to 65535")
    loaded = []
    if args.trace:
        loaded = counterexamples(model, read_result_file(args.trace), args.trace)
    explorer = Explorer(model, loaded, Limits(args.max_states, args.max_seconds),
                        tuple(focus), args.model)
    server = bind(make_app(explorer), args.host, args.port)
    url = url_of(server)
    print(f"kafkacheck explore: {model.name} at {url} (Ctrl-C stops it)", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"note: listening on {args.host}: anyone who reaches it can run searches",
              file=sys.stderr, flush=True)
    if args.open:
        import webbrowser

        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("kafkacheck explore: stopped", flush=True)
    finally:
        server.server_close()
    return 0
