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

from streams.observability.logs import LogSettings, configure_logging

__all__ = ["build_parser", "main"]

#: Long-running commands: they log at INFO unless BUNRI_LOG_LEVEL says otherwise.
SERVER_COMMANDS = frozenset({"serve", "gateway", "worker", "scheduler"})


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; for ``command="ask"`` only that command, so `bunri ask` skips the others' imports."""
    from streams.cli import ask

    parser = argparse.ArgumentParser(
        prog="bunri",
        description="분리배출 assistant: photo + question -> official Korean disposal guidance, "
        "as a Kafka stream pipeline (preprocess -> gpt5 -> rag -> gpt4o).",
        epilog="Settings come from the environment: BUNRI_* (nested with __), KAFKA_BOOTSTRAP, "
        "OPENAI_API_KEY, OPENAI_BASE_URL, AWS_*. See README.md.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more logging than BUNRI_LOG_LEVEL (-v info, -vv debug)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    ask.add_parser(sub)
    if command == "ask":  # the latency-critical one (docs/performance.md): ~0.1 s of imports saved
        return parser
    from streams.cli import eval_cmds, fakellm_cmd, feedback_cmd, rules_cmd, run_cmds, schemas_cmd

    run_cmds.add_parsers(sub)
    schemas_cmd.add_parser(sub)
    rules_cmd.add_parser(sub)
    fakellm_cmd.add_parser(sub)
    eval_cmds.add_parsers(sub)
    feedback_cmd.add_parser(sub)
    from streams.cli import keys_cmd

    keys_cmd.add_parser(sub)
    from streams.cli import regions_cmd

    regions_cmd.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(next((w for w in words if not w.startswith("-")), None))
    args = parser.parse_args(words)
    try:
        # BUNRI_LOG_LEVEL (default: INFO for the servers, WARNING for one-shot commands; -v/-vv lower it)
        # and BUNRI_LOG_FORMAT (text, or json lines), before anything logs.
        configure_logging(LogSettings(), verbose=args.verbose,
                          default=logging.INFO if args.command in SERVER_COMMANDS else logging.WARNING)
        return int(args.func(args) or 0)
    except ValidationError as exc:
        print(f"bunri: invalid settings or input:\n{exc}", file=sys.stderr)  # noqa: T201
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
