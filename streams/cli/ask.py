"""``bunri ask``: one question (or a JSONL batch) through the real pipeline.

Without ``KAFKA_BOOTSTRAP`` it starts the embedded broker and all four stages in this
process; with it, it submits to the deployed pipeline and waits for the reply.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

from streams import contracts as c
from streams.errors import BrokerUnavailable, PipelineError
from streams.settings import STAGES, Settings

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("ask", help="ask one question (or --batch FILE.jsonl) and print the answer",
                       description="Runs the query through Kafka and all four stages. Without "
                       "KAFKA_BOOTSTRAP an embedded Tansu broker and in-process stages are used.")
    p.add_argument("question", nargs="?", help='e.g. "이 컵은 플라스틱인가요?"')
    p.add_argument("--image", type=Path, help="photo to attach (JPEG, PNG, WebP, HEIC)")
    p.add_argument("--json", action="store_true", help="print the full result object as JSON")
    p.add_argument("--batch", type=Path, metavar="FILE.jsonl",
                   help='one {"id", "question", "image"?} per line; one result per output line')
    p.add_argument("--output", type=Path, help="batch output file (default: stdout)")
    p.add_argument("--concurrency", type=int, default=64, help="batch queries in flight (default 64)")
    p.add_argument("--no-cache", action="store_true", help="do not answer from the result cache")
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
        return asyncio.run(_main(args, Settings()))
    except BrokerUnavailable as exc:
        print(f"bunri ask: {exc.message}", file=sys.stderr)  # noqa: T201
        return 3


@contextlib.asynccontextmanager
async def pipeline(settings: Settings) -> AsyncIterator[tuple[Any, Any, Settings]]:
    """Yield (bus, store, settings) connected to a running pipeline."""
    from gateway.bus import KafkaRequestBus
    from streams.broker import kafka_broker
    from streams.runtime import running_stages
    from streams.store import make_store

    external = settings.bootstrap is not None
    with kafka_broker(settings.bootstrap) as bootstrap:
        settings = settings.with_bootstrap(bootstrap)
        async with contextlib.AsyncExitStack() as stack:
            if not external:
                await stack.enter_async_context(running_stages(settings, list(STAGES)))
            bus = KafkaRequestBus(settings)
            await bus.start()
            stack.push_async_callback(bus.stop)
            yield bus, make_store(settings), settings


async def _main(args: argparse.Namespace, settings: Settings) -> int:
    async with pipeline(settings) as (bus, store, settings):
        if args.batch:
            return await _batch(args, bus, store, settings)
        return await _single(args, bus, store, settings)


async def ask_one(bus: Any, store: Any, settings: Settings, question: str, image: Path | None,
                  use_cache: bool = True) -> c.Answer | c.Failure:
    from streams.intake import build_request

    data = image.read_bytes() if image else None
    request = await build_request(settings, store, question, image=data, use_cache=use_cache,
                                  filename=image.name if image else None)
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


async def _single(args: argparse.Namespace, bus: Any, store: Any, settings: Settings) -> int:
    try:
        reply = await ask_one(bus, store, settings, args.question, args.image, not args.no_cache)
    except PipelineError as exc:
        print(f"bunri ask: {exc.reason}: {exc.message}", file=sys.stderr)  # noqa: T201
        return 2
    if args.json:
        print(reply.model_dump_json(indent=2))  # noqa: T201
    elif isinstance(reply, c.Answer):
        print(_human(reply))  # noqa: T201
    else:
        print(f"bunri ask: {reply.reason}: {reply.message}", file=sys.stderr)  # noqa: T201
    return 0 if isinstance(reply, c.Answer) else 1


def _human(answer: c.Answer) -> str:
    item = f"{answer.item.name} ({answer.item.official_category})" if answer.item else "확인 필요"
    provider = ", ".join(f"{k}={v}" for k, v in answer.provider.items())
    meta = f"품목: {item} · {provider} · {answer.timings_ms.get('total', 0):.0f} ms"
    if answer.cache_hit:
        meta += " · cache"
    return f"{answer.answer}\n\n— {meta}"


async def _batch(args: argparse.Namespace, bus: Any, store: Any, settings: Settings) -> int:
    from tqdm import tqdm

    lines = args.batch.read_text(encoding="utf-8").splitlines()
    jobs = [(n, line) for n, line in enumerate(lines, 1) if line.strip()]
    out: IO[str] = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
    slots = asyncio.Semaphore(max(1, args.concurrency))
    counts = {"answer": 0, "failure": 0, "error": 0}
    bar = tqdm(total=len(jobs), unit="q", file=sys.stderr, desc="bunri ask")

    async def one(lineno: int, line: str) -> None:
        async with slots:
            record = await _batch_record(lineno, line, bus, store, settings, args.batch.parent, not args.no_cache)
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


async def _batch_record(lineno: int, line: str, bus: Any, store: Any, settings: Settings, base: Path,
                        use_cache: bool) -> dict[str, Any]:
    try:
        item = json.loads(line)
        if not isinstance(item, dict):
            raise ValueError("each line must be a JSON object")
        image = item.get("image")
        path = (base / image) if image and not Path(image).is_absolute() else (Path(image) if image else None)
        if path is not None and not path.is_file():
            raise ValueError(f"no such image file: {image}")
        reply = await ask_one(bus, store, settings, item.get("question"), path, use_cache)
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
