"""Long-running commands: ``worker``, ``scheduler``, ``gateway``, ``serve`` and ``topics``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
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
    from streams.runtime import running_stages, wait_for_signal

    settings = _settings(args)
    if not _need_bootstrap(settings):
        return 2
    stages = list(STAGES) if args.stage == "all" else [args.stage]

    async def run() -> None:
        async with running_stages(settings, stages, web_port=settings.worker.web_port):
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
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from gateway.main import create_app
    from streams.broker import kafka_broker
    from streams.runtime import running_stages
    from streams.scheduler import sweep_forever

    base = Settings()

    async def run(bootstrap: str) -> None:
        settings = base.with_bootstrap(bootstrap)
        async with running_stages(settings, list(STAGES)):
            sweeper = asyncio.create_task(sweep_forever(settings))
            server = uvicorn.Server(uvicorn.Config(create_app(settings), host=args.host, port=args.port,
                                                   log_level="info"))
            print(f"bunri: serving on http://{args.host}:{server.config.port} "  # noqa: T201
                  f"(Kafka {bootstrap}); Ctrl-C stops", file=sys.stderr)
            try:
                await server.serve()  # returns on Ctrl-C / SIGTERM (uvicorn handles the signals)
            finally:
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper

    with kafka_broker(base.bootstrap) as bootstrap:
        return _run(run(bootstrap))


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

