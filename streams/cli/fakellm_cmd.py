"""``bunri fake-llm``: run the fake OpenAI-compatible server (see :mod:`streams.fakellm`)."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    """Register ``fake-llm`` on the main parser's subparsers."""
    p = sub.add_parser(
        "fake-llm",
        help="run a fake OpenAI-compatible model server (latency, faults) for load tests and demos",
        description="Serves POST /v1/chat/completions, GET /v1/models and GET /_stats. Use it with "
        "OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 and any OPENAI_API_KEY.",
    )
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=9100, help="port (default 9100)")
    p.add_argument("--vision-latency", default="3-5", metavar="LOW-HIGH",
                   help="seconds per vision/structured call, uniform (default 3-5)")
    p.add_argument("--answer-latency", default="1-2", metavar="LOW-HIGH",
                   help="seconds per answer call, uniform (default 1-2)")
    p.add_argument("--fault-rate", type=float, default=0.0, help="share of calls that fail (0..1, default 0)")
    p.add_argument("--faults", default="429,500,timeout,malformed",
                   help="comma-separated fault kinds to draw from (default: 429,500,timeout,malformed; "
                        "also truncated_utf8: a body cut inside a UTF-8 character)")
    p.add_argument("--retry-after", type=float, default=1.0, help="Retry-After seconds on 429 (default 1)")
    p.add_argument("--timeout-sleep", type=float, default=120.0,
                   help="seconds a 'timeout' fault sleeps before answering (default 120)")
    p.add_argument("--seed", type=int, default=None, help="random seed, for a reproducible run")
    p.add_argument("--trace", default=None, metavar="REGEX",
                   help="GET /_trace: seconds spent on the calls whose prompt contains each match")
    p.set_defaults(func=_run)


def config_from_args(args: argparse.Namespace) -> Any:
    """The :class:`~streams.fakellm.FakeLLMConfig` for parsed arguments."""
    from streams.fakellm import FakeLLMConfig, parse_range

    faults = tuple(f.strip() for f in args.faults.split(",") if f.strip())
    return FakeLLMConfig(
        vision_latency=parse_range(args.vision_latency), answer_latency=parse_range(args.answer_latency),
        fault_rate=args.fault_rate, faults=faults, seed=args.seed, retry_after_s=args.retry_after,
        timeout_sleep_s=args.timeout_sleep, trace=getattr(args, "trace", None),
    )


def _run(args: argparse.Namespace) -> int:
    import uvicorn

    from streams.fakellm import create_app

    try:
        config = config_from_args(args)
    except ValueError as exc:
        raise SystemExit(f"bunri fake-llm: {exc}") from exc
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="warning")
    return 0
