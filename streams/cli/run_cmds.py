"""Long-running commands: ``worker``, ``scheduler``, ``gateway``, ``serve`` and ``topics``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import Any

from streams.errors import BrokerUnavailable
from streams.settings import STAGES, Settings

__all__ = ["add_parsers"]

logger = logging.getLogger(__name__)


def add_parsers(sub: Any) -> None:
    w = sub.add_parser("worker", help="run one stage (or all) as a Kafka consumer/producer")
    w.add_argument("--stage", required=True, choices=[*STAGES, "all"])
    w.add_argument("--concurrency", type=int, default=None,
                   help="messages in flight per worker (default: the seed's, e.g. gpt5 20)")
    w.add_argument("--web-port", type=int, default=None, help="port of /healthz and /readyz (default 6066)")
    w.set_defaults(func=_worker)

    s = sub.add_parser("scheduler", help="periodic sweep of old raw uploads and expired cache entries")
    s.add_argument("--web-port", type=int, default=None)
    s.add_argument("--once", action="store_true", help="sweep once and exit")
    s.set_defaults(func=_scheduler)

    g = sub.add_parser("gateway", help="run the HTTP gateway against KAFKA_BOOTSTRAP")
    g.add_argument("--host", default="127.0.0.1")
    g.add_argument("--port", type=int, default=8000)
    g.set_defaults(func=_gateway)

    v = sub.add_parser("serve", help="embedded broker (unless KAFKA_BOOTSTRAP) + all stages + gateway")
    v.add_argument("--host", default="127.0.0.1")
    v.add_argument("--port", type=int, default=8000)
    v.set_defaults(func=_serve)

    t = sub.add_parser("topics", help="create (idempotently) or list the topics on KAFKA_BOOTSTRAP")
    t.add_argument("action", choices=["create", "list"])
    t.set_defaults(func=_topics)


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings()
    update: dict[str, Any] = {}
    if getattr(args, "concurrency", None):
        update["concurrency"] = args.concurrency
    if getattr(args, "web_port", None) is not None:
        update["web_port"] = args.web_port
    if update:
        settings = settings.model_copy(update={"worker": settings.worker.model_copy(update=update)})
    return settings


def _need_bootstrap(settings: Settings) -> bool:
    if settings.bootstrap:
        return True
    print("bunri: KAFKA_BOOTSTRAP is not set. Separate workers need a shared cluster; "  # noqa: T201
          "use `bunri serve` or `bunri ask` for the embedded broker.", file=sys.stderr)
    return False


def _worker(args: argparse.Namespace) -> int:
    from streams.phases import Phases
    from streams.runtime import running_stages, wait_for_signal

    settings = _settings(args)
    if not _need_bootstrap(settings):
        return 2
    stages = list(STAGES) if args.stage == "all" else [args.stage]

    async def run() -> None:
        phases = Phases()
        async with running_stages(settings, stages, web_port=settings.worker.web_port, phases=phases):
            logger.info("%s", phases.line())
            await wait_for_signal()

    return _run(run())


def _scheduler(args: argparse.Namespace) -> int:
    from streams.scheduler import run_scheduler

    settings = _settings(args)
    return _run(run_scheduler(settings, once=args.once, web_port=settings.worker.web_port))


def _gateway(args: argparse.Namespace) -> int:
    import uvicorn

    from gateway.main import create_app

    settings = Settings()
    if not _need_bootstrap(settings):
        return 2
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_config=None)  # our logging (BUNRI_LOG_*)
    return 0


def _serve(args: argparse.Namespace) -> int:
    base = Settings()
    return _run(_serve_async(base, args.host, args.port))


async def _serve_async(base: Settings, host: str, port: int) -> None:
    import uvicorn

    from gateway.main import create_app
    from streams.cli.remote import remove_lock, write_lock
    from streams.phases import Phases
    from streams.runtime import embedded_stages, running_stages, wait_for_signal
    from streams.scheduler import sweep_forever

    class Server(uvicorn.Server):
        # bunri serve owns Ctrl-C and SIGTERM (they also stop the stages and the broker): uvicorn must
        # neither take the handlers nor re-raise the signal after its shutdown (exit code 130).
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    phases = Phases()
    async with contextlib.AsyncExitStack() as stack:
        if base.bootstrap:  # a shared cluster: join the stages' groups like any worker
            await stack.enter_async_context(running_stages(base, list(STAGES), phases=phases))
            settings = base
        else:
            _, settings = await stack.enter_async_context(embedded_stages(base, list(STAGES), phases=phases))
        stack.push_async_callback(_cancel, asyncio.create_task(sweep_forever(settings)))
        server = Server(uvicorn.Config(create_app(settings), host=host, port=port, log_config=None))  # BUNRI_LOG_*
        serving = asyncio.create_task(server.serve())
        stopping = asyncio.create_task(wait_for_signal())
        stack.push_async_callback(_cancel, stopping)
        with phases.span("gateway"):
            while not server.started and not serving.done():
                await asyncio.sleep(0.01)
        if server.started:
            url = f"http://{_client_host(host)}:{server.servers[0].sockets[0].getsockname()[1]}"
            stack.callback(remove_lock, write_lock(settings.data_dir, url))  # `bunri ask` finds us here
            print(f"bunri: serving on {url} (Kafka {settings.bootstrap}); Ctrl-C stops\n"  # noqa: T201
                  f"bunri: try it in a browser: {url}/", file=sys.stderr)
            logger.info("%s", phases.line())
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        await serving


async def _cancel(task: asyncio.Task[Any]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _client_host(host: str) -> str:
    """The address a local client uses for a server bound to ``host``."""
    return {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host, host)  # noqa: S104


def _topics(args: argparse.Namespace) -> int:
    from streams.broker import ensure_topics
    from streams.topics import topic_specs

    settings = Settings()
    if not _need_bootstrap(settings):
        return 2
    if args.action == "create":
        specs = asyncio.run(ensure_topics(settings.bootstrap or "", settings.kafka))
    else:
        specs = topic_specs(settings.kafka)
    for spec in specs:
        print(f"{spec.name}\tpartitions={spec.partitions}\treplication={spec.replication_factor}")  # noqa: T201
    return 0


def _run(coro: Any) -> int:
    try:
        asyncio.run(coro)
    except BrokerUnavailable as exc:
        print(f"bunri: {exc.message}", file=sys.stderr)  # noqa: T201
        return 3
    except KeyboardInterrupt:
        return 130
    return 0

