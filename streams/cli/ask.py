"""``bunri ask``: one question (or a JSONL batch) through the real pipeline.

Where the question goes, first match wins:

1. ``--embedded``: an embedded broker and all four stages in this process;
2. ``BUNRI_SERVER_URL``, or (without ``KAFKA_BOOTSTRAP``) a running local ``bunri serve`` found by
   the file it writes in the data dir: the query is sent over HTTP (:mod:`streams.cli.remote`);
3. ``KAFKA_BOOTSTRAP``: submitted to the deployed pipeline, waiting for the reply;
4. otherwise the embedded pipeline, as in 1.

``-v`` logs where the start-up time went (:class:`streams.phases.Phases`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import json
import logging
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import IO, Any

from streams import contracts as c
from streams.errors import BrokerUnavailable, PipelineError
from streams.phases import Phases
from streams.settings import STAGES, Settings

__all__ = ["add_parser", "ask_one", "pipeline"]

logger = logging.getLogger(__name__)

#: (question, image, use_cache, region=None) -> the reply; the in-process pipeline or a running server.
Ask = Callable[..., Awaitable["c.Answer | c.Failure"]]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("ask", help="ask one question (or --batch FILE.jsonl) and print the answer",
                       description="Runs the query through Kafka and all four stages: on a running "
                       "`bunri serve` (BUNRI_SERVER_URL, or the one serving this data dir), else on the "
                       "pipeline at KAFKA_BOOTSTRAP, else on an embedded Tansu broker and in-process "
                       "stages. -v prints where the start-up time went.")
    p.add_argument("question", nargs="?", help='e.g. "이 컵은 플라스틱인가요?"')
    p.add_argument("--image", type=Path, help="photo to attach (JPEG, PNG, WebP, HEIC)")
    p.add_argument("--json", action="store_true", help="print the full result object as JSON")
    p.add_argument("--batch", type=Path, metavar="FILE.jsonl",
                   help='one {"id", "question", "image"?, "region"?} per line; one result per output line')
    p.add_argument("--output", type=Path, help="batch output file (default: stdout)")
    p.add_argument("--concurrency", type=int, default=64, help="batch queries in flight (default 64)")
    p.add_argument("--no-cache", action="store_true",
                   help="do not answer from the result cache (runs the pipeline here, not on a server)")
    p.add_argument("--region", metavar="시·군·구",
                   help="where you live: a 시·군·구 code or name (11680, 강남구, '서울 중구', '수원시 영통구'); the "
                   "answer gets the district's days, places and own rules (never give an address)")
    p.add_argument("--embedded", action="store_true",
                   help="always run the embedded broker and stages in this process (ignore a running "
                   "server, BUNRI_SERVER_URL and KAFKA_BOOTSTRAP)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    if bool(args.batch) == bool(args.question):
        print("bunri ask: give a question or --batch FILE.jsonl (not both)", file=sys.stderr)  # noqa: T201
        return 2
    if args.image and not args.image.is_file():
        print(f"bunri ask: no such image file: {args.image}", file=sys.stderr)  # noqa: T201
        return 2
    if args.batch and not args.batch.is_file():
        print(f"bunri ask: no such batch file: {args.batch}", file=sys.stderr)  # noqa: T201
        return 2
    try:
        return asyncio.run(_main(args, _one_shot(Settings(), batch=bool(args.batch))))
    except BrokerUnavailable as exc:
        print(f"bunri ask: {exc.message}", file=sys.stderr)  # noqa: T201
        return 3
    finally:
        # The process ends here: spare it the final collection over the catalogue and the
        # analyser's objects (~0.15 s of a cold `bunri ask`), which frees nothing worth having.
        gc.freeze()


def _one_shot(settings: Settings, *, batch: bool) -> Settings:
    """One question: normalise its photo in a thread rather than start a process pool for it."""
    if batch or "pool" in settings.preprocess.model_fields_set:
        return settings
    return settings.model_copy(update={"preprocess": settings.preprocess.model_copy(update={"pool": "thread"})})


@contextlib.asynccontextmanager
async def pipeline(settings: Settings, *, embedded: bool = False, warm_pool: bool = True,
                   phases: Phases | None = None) -> AsyncIterator[tuple[Any, Any, Settings]]:
    """Yield (bus, store, settings) connected to a running pipeline.

    Embedded (no ``KAFKA_BOOTSTRAP``, or ``embedded=True``): a fresh Tansu broker and all stages here.
    """
    phases = phases or Phases()
    with phases.span("imports"):  # faust, aiokafka, the gateway's bus: imported only on this path
        from gateway.bus import KafkaRequestBus
        from streams.runtime import embedded_stages
        from streams.store import make_store

    async with contextlib.AsyncExitStack() as stack:
        if embedded or settings.bootstrap is None:
            _, settings = await stack.enter_async_context(
                embedded_stages(settings, list(STAGES), warm_pool=warm_pool, phases=phases))
        bus = KafkaRequestBus(settings)
        with phases.span("bus"):
            await bus.start()
        stack.push_async_callback(bus.stop)
        yield bus, make_store(settings), settings


async def _main(args: argparse.Namespace, settings: Settings) -> int:
    from streams.cli.remote import RemoteAsker, find_server

    phases = Phases()
    try:
        url = None if args.embedded or args.no_cache else await find_server(settings)
        if url is not None:
            logger.info("asking the bunri server at %s", url)
            async with RemoteAsker(url, timeout_s=settings.query_timeout_s + 5,
                                   concurrency=args.concurrency if args.batch else 1) as remote:
                return await _dispatch(args, remote.ask, phases)
        async with pipeline(settings, embedded=args.embedded, warm_pool=bool(args.batch),
                            phases=phases) as (bus, store, settings):
            code = await _dispatch(args, functools.partial(ask_one, bus, store, settings), phases)
            stopping = time.perf_counter()
        phases.add("shutdown", time.perf_counter() - stopping)
        return code
    finally:
        logger.info("%s", phases.line())


async def _dispatch(args: argparse.Namespace, ask: Ask, phases: Phases) -> int:
    if args.batch:
        return await _batch(args, ask)
    with phases.span("query"):
        reply = await _single_reply(args, ask)
    return _print_single(args, reply)


async def ask_one(bus: Any, store: Any, settings: Settings, question: str, image: Path | None,
                  use_cache: bool = True, region: str | None = None) -> c.Answer | c.Failure:
    from streams.intake import build_request

    data = image.read_bytes() if image else None
    request = await build_request(settings, store, question, image=data, use_cache=use_cache,
                                  filename=image.name if image else None, region=region)
    started = time.perf_counter()
    await bus.submit(request)
    reply = await bus.wait(request.envelope.query_id, settings.query_timeout_s + 5)
    if reply is None:
        return c.Failure(query_id=request.envelope.query_id, reason="timeout", stage="cli",
                         message=f"no reply within {settings.query_timeout_s + 5:.0f}s")
    if isinstance(reply, c.Answer):
        total = round((time.perf_counter() - started) * 1000, 2)
        reply = reply.model_copy(update={"timings_ms": {**reply.timings_ms, "total": total}})
    return reply


async def _single_reply(args: argparse.Namespace, ask: Ask) -> c.Answer | c.Failure | PipelineError:
    try:
        return await ask(args.question, args.image, not args.no_cache, region=args.region)
    except BrokerUnavailable:
        raise
    except PipelineError as exc:
        return exc


def _print_single(args: argparse.Namespace, reply: c.Answer | c.Failure | PipelineError) -> int:
    if isinstance(reply, PipelineError):
        print(f"bunri ask: {reply.reason}: {reply.message}", file=sys.stderr)  # noqa: T201
        return 2
    if args.json:
        print(reply.model_dump_json(indent=2))  # noqa: T201
    elif isinstance(reply, c.Answer):
        print(_human(reply))  # noqa: T201
    else:
        print(f"bunri ask: {reply.reason}: {reply.message}", file=sys.stderr)  # noqa: T201
    sys.stdout.flush()  # the answer shows now, before the pipeline shuts down
    return 0 if isinstance(reply, c.Answer) else 1


def _human(answer: c.Answer) -> str:
    item = f"{answer.item.name} ({answer.item.official_category})" if answer.item else "확인 필요"
    provider = ", ".join(f"{k}={v}" for k, v in answer.provider.items())
    meta = f"품목: {item} · {provider} · {answer.timings_ms.get('total', 0):.0f} ms"
    if answer.region is not None:
        meta += f" · 지역: {answer.region.sido} {answer.region.sigungu}".rstrip()
    if answer.cache_hit:
        meta += " · cache"
    return f"{answer.answer}\n\n— {meta}"


async def _batch(args: argparse.Namespace, ask: Ask) -> int:
    from tqdm import tqdm

    lines = args.batch.read_text(encoding="utf-8").splitlines()
    jobs = [(n, line) for n, line in enumerate(lines, 1) if line.strip()]
    out: IO[str] = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
    slots = asyncio.Semaphore(max(1, args.concurrency))
    counts = {"answer": 0, "failure": 0, "error": 0}
    bar = tqdm(total=len(jobs), unit="q", file=sys.stderr, desc="bunri ask")

    async def one(lineno: int, line: str) -> None:
        async with slots:
            record = await _batch_record(lineno, line, ask, args.batch.parent, not args.no_cache, args.region)
        counts[record.pop("_kind")] += 1
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        bar.update(1)

    try:
        await asyncio.gather(*(one(n, line) for n, line in jobs))
    finally:
        bar.close()
        if args.output:
            out.close()
    print(f"bunri ask: {len(jobs)} queries: {counts['answer']} answered, {counts['failure']} failed, "  # noqa: T201
          f"{counts['error']} invalid lines", file=sys.stderr)
    return 0 if counts["error"] == 0 else 1


async def _batch_record(lineno: int, line: str, ask: Ask, base: Path, use_cache: bool,
                        region: str | None = None) -> dict[str, Any]:
    try:
        item = json.loads(line)
        if not isinstance(item, dict):
            raise ValueError("each line must be a JSON object")
        image = item.get("image")
        path = (base / image) if image and not Path(image).is_absolute() else (Path(image) if image else None)
        if path is not None and not path.is_file():
            raise ValueError(f"no such image file: {image}")
        reply = await ask(item.get("question"), path, use_cache, region=item.get("region", region))
    except (ValueError, PipelineError) as exc:
        code = exc.reason if isinstance(exc, PipelineError) else "invalid_input"
        message = exc.message if isinstance(exc, PipelineError) else str(exc)
        return {"_kind": "error", "id": _id(line), "line": lineno, "error": {"code": code, "message": message}}
    body = reply.model_dump(mode="json")
    kind = "answer" if isinstance(reply, c.Answer) else "failure"
    return {"_kind": kind, "id": item.get("id", lineno), **body}


def _id(line: str) -> Any:
    with contextlib.suppress(ValueError, AttributeError):
        return json.loads(line).get("id")
    return None
