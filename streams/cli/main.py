"""``bunri``: the one command-line entry point.

Settings are built here, once, from the environment, and passed down. Subcommand
modules each expose ``add_parser(subparsers)`` and set ``func`` to a callable taking the
parsed arguments and returning an exit code.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    from streams.cli import ask, fakellm_cmd, rules_cmd, run_cmds, schemas_cmd

    parser = argparse.ArgumentParser(
        prog="bunri",
        description="분리배출 assistant: photo + question -> official Korean disposal guidance, "
        "as a Kafka stream pipeline (preprocess -> gpt5 -> rag -> gpt4o).",
        epilog="Settings come from the environment: BUNRI_* (nested with __), KAFKA_BOOTSTRAP, "
        "OPENAI_API_KEY, OPENAI_BASE_URL, AWS_*. See README.md.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    ask.add_parser(sub)
    run_cmds.add_parsers(sub)
    schemas_cmd.add_parser(sub)
    rules_cmd.add_parser(sub)
    fakellm_cmd.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("aiokafka", "faust", "mode", "kafka"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING if args.verbose < 2 else logging.DEBUG))
    try:
        return int(args.func(args) or 0)
    except ValidationError as exc:
        print(f"bunri: invalid settings or input:\n{exc}", file=sys.stderr)  # noqa: T201
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
