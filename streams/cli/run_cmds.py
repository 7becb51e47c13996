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
                   help="messages in flight for each of the worker's stages (default: BUNRI_WORKER__CONCURRENCY"
                        "__<STAGE>, else the seed's per worker: preprocess 8, gpt5 20, rag 4, gpt4o 10; "
                        "--stage all: the seed's totals)")
    w.add_argument("--web-port", type=int, default=None,
                   help="port of /healthz, /readyz and /metrics (default 6066; 0: any free port, printed)")
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
    v.add_argument("--concurrency", type=_stage_value, action="append", default=[], metavar="STAGE=N",
                   help="messages in flight for a stage, repeatable (default the seed's totals: "
                        "preprocess 24, gpt5 100, rag 8, gpt4o 30)")
    v.set_defaults(func=_serve)

    t = sub.add_parser("topics", help="create (idempotently), list or check the topics on KAFKA_BOOTSTRAP",
                       description="Each line: a configured topic, its partitions in the configuration and on "
                                   "the broker (- when missing), ok/MISSING/MISMATCH. `check` exits 1 on any "
                                   "difference, 3 when the broker cannot be reached.")
    t.add_argument("action", choices=["create", "list", "check"],
                   help="create: create the missing topics, then list; list: the broker's topics next to the "
                        "configuration; check: list, and exit 1 on a mismatch")
    t.set_defaults(func=_topics)


def _stage_value(text: str) -> tuple[str, int]:
    """``gpt5=100`` -> ``("gpt5", 100)``, for ``bunri serve --concurrency``."""
    stage, _, value = text.partition("=")
    if stage not in STAGES or not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"want STAGE=N with STAGE one of {', '.join(STAGES)} and N >= 1")
    return stage, int(value)


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings()
    update: dict[str, Any] = {}
    concurrency = getattr(args, "concurrency", None)
    if concurrency:  # worker: one value for its stages; serve: STAGE=N pairs
        per_stage = dict(concurrency) if isinstance(concurrency, list) else {"single": concurrency}
        update["concurrency"] = settings.worker.concurrency.model_copy(update=per_stage)
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
    from streams.app import web_address
    from streams.phases import Phases
    from streams.runtime import running_stages, wait_for_signal

    settings = _settings(args)
    if not _need_bootstrap(settings):
        return 2
    stages = list(STAGES) if args.stage == "all" else [args.stage]

    async def run() -> None:
        phases = Phases()
        async with running_stages(settings, stages, web_port=settings.worker.web_port, phases=phases) as app:
            logger.info("%s", phases.line())
            if (address := web_address(app)) is not None:  # the real port, also when 0 asked for any free one
                print(f"bunri worker: /healthz /readyz /metrics on http://{address[0]}:{address[1]}",  # noqa: T201
                      flush=True)
            await wait_for_signal()
            await app.drain.run(app, settings.worker.shutdown_grace_s)  # finish in-flight work, commit

    return _run(run())


def _scheduler(args: argparse.Namespace) -> int:
    from streams.scheduler import run_scheduler

    settings = _settings(args)
    return _run(run_scheduler(settings, once=args.once, web_port=settings.worker.web_port))


def _gateway(args: argparse.Namespace) -> int:
    import uvicorn

    from gateway.inputs import SERVER_OPTIONS
    from gateway.main import create_app

    settings = Settings()
    if not _need_bootstrap(settings):
        return 2
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_config=None,  # our logging (BUNRI_LOG_*)
                **SERVER_OPTIONS)
    return 0


def _serve(args: argparse.Namespace) -> int:
    base = _settings(args)
    return _run(_serve_async(base, args.host, args.port))


async def _serve_async(base: Settings, host: str, port: int) -> None:
    import uvicorn

    from gateway.inputs import SERVER_OPTIONS
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
        server = Server(uvicorn.Config(create_app(settings), host=host, port=port, log_config=None,
                                               **SERVER_OPTIONS))  # BUNRI_LOG_*
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
    from aiokafka.errors import KafkaError

    from streams.broker import ensure_topics
    from streams.health import fetch_topics
    from streams.health.compare import compare_topics
    from streams.topics import topic_specs

    settings = Settings()
    if not _need_bootstrap(settings):
        return 2
    bootstrap = settings.bootstrap or ""
    try:
        if args.action == "create":
            asyncio.run(ensure_topics(bootstrap, settings.kafka))
        have = asyncio.run(fetch_topics(bootstrap, 5.0, security=settings.kafka))  # TLS/SASL
        rows = compare_topics(topic_specs(settings.kafka), have)
    except (BrokerUnavailable, KafkaError) as exc:
        print(f"bunri: cannot read the topics of {bootstrap}: {exc}", file=sys.stderr)  # noqa: T201
        return 3
    for row in rows:  # what the broker has, next to the configuration
        print(row.line())  # noqa: T201
    if args.action == "check" and any(row.status != "ok" for row in rows):
        print("bunri: the broker's topics differ from the configuration", file=sys.stderr)  # noqa: T201
        return 1
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

