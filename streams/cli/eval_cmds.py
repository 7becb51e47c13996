"""``bunri export``, ``bunri replay`` and ``bunri eval``: parse flags, build settings, call :mod:`streams.eval`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from streams.errors import BrokerUnavailable
from streams.settings import Settings

__all__ = ["add_parsers"]

_TIME_HELP = "ISO 8601 instant, e.g. 2025-05-01T09:00+09:00 (no zone: UTC)"


def add_parsers(sub: Any) -> None:
    from streams.eval.export import parse_instant

    e = sub.add_parser("export", help="write a topic's recorded messages as JSONL (partition, offset, timestamp)",
                       description="Reads TOPIC on KAFKA_BOOTSTRAP from the beginning (or --since) to its end "
                       "offsets at the start, without a consumer group; one JSON object per message: topic, "
                       "partition, offset, timestamp, key, value.")
    e.add_argument("--topic", required=True, help="q.preprocess, q.gpt5, q.rag, q.gpt4o, q.reply, q.dead-letter "
                   "(BUNRI_KAFKA__TOPIC_PREFIX is added) or any other topic name")
    _filters(e, parse_instant)
    e.add_argument("--output", type=Path, help="output file (default: stdout)")
    e.set_defaults(func=_export)

    r = sub.add_parser("replay", help="re-run recorded queries under the current configuration, as a named run",
                       description="Re-runs queries from a topic (on KAFKA_BOOTSTRAP) or a JSONL file (an export, "
                       "or question lines) through the four stages in this process, configured by the "
                       "environment and the flags below, on the run's own topics and without the cache. "
                       "Results: <BUNRI_DATA_DIR>/runs/NAME/results.jsonl and run.json.")
    r.add_argument("--from", dest="source", required=True, metavar="{q.preprocess|q.gpt5|FILE.jsonl}",
                   help="recorded requests to re-run; photo queries older than the raw retention (1 h) "
                   "replay from q.gpt5")
    _filters(r, parse_instant)
    r.add_argument("--run", required=True, metavar="NAME", help="name of the run (letters, digits, _ . -)")
    r.add_argument("--overwrite", action="store_true", help="replace an existing run of that name")
    r.add_argument("--keep-topics", action="store_true", help="keep the run's topics on the cluster afterwards")
    _config_flags(r)
    r.set_defaults(func=_replay)

    v = sub.add_parser("eval", help="measure a run (vs labels, vs another run); --labels alone runs the set first",
                       description="With --run: evaluate that run. Without --run: run the --labels set through "
                       "the current configuration first (like `bunri replay --from FILE`), then evaluate it. "
                       "Reports category agreement (overall, per category, confusion matrix), item agreement, "
                       "clarification and degraded rates, failures by reason, cost, latency p50/p95, and with "
                       "--against the queries whose category or answer changed.")
    v.add_argument("--run", metavar="NAME", help="an existing run (name, directory or results.jsonl)")
    v.add_argument("--labels", type=Path, metavar="FILE.jsonl", help='lines {"id", "question", "accepted", "item_id"}')
    v.add_argument("--against", metavar="RUN", help="compare with this run (joined on the query's id)")
    v.add_argument("--json", action="store_true", help="print the metrics as JSON")
    v.add_argument("--report", type=Path, metavar="report.html", help="write a self-contained HTML report")
    v.add_argument("--save-as", metavar="NAME", help="name of the run the one-step form creates "
                   "(default eval-<UTC time>)")
    _config_flags(v)
    v.set_defaults(func=_eval)


def _filters(p: argparse.ArgumentParser, instant: Any) -> None:
    p.add_argument("--since", type=instant, metavar="ISO", help=f"only messages at or after this time; {_TIME_HELP}")
    p.add_argument("--until", type=instant, metavar="ISO", help="only messages at or before this time")
    p.add_argument("--limit", type=_positive, metavar="N", help="at most N messages")


def _config_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("configuration of the run (default: the environment's, as for a worker)")
    g.add_argument("--gpt5-model", metavar="M", help="BUNRI_GPT5__MODEL")
    g.add_argument("--gpt4o-model", metavar="M", help="BUNRI_GPT4O__MODEL")
    g.add_argument("--base-url", metavar="URL", help="OPENAI_BASE_URL (the key stays in OPENAI_API_KEY)")
    g.add_argument("--gpt5-prompt", metavar="VARIANT", help="BUNRI_GPT5__PROMPT_VARIANT (default, careful)")
    g.add_argument("--gpt4o-prompt", metavar="VARIANT",
                   help="BUNRI_GPT4O__PROMPT_VARIANT (default, concise, checklist)")
    g.add_argument("--rules-dir", type=Path, metavar="DIR", help="BUNRI_RULES_DIR")
    g.add_argument("--min-confidence", type=float, metavar="X", help="BUNRI_GPT5__MIN_CONFIDENCE")
    g.add_argument("--timeout", type=float, metavar="S", help="BUNRI_QUERY_TIMEOUT_S, per query")
    g.add_argument("--concurrency", type=_positive, default=64, help="queries in flight (default 64)")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _configured(args: argparse.Namespace) -> Settings:
    """Settings from the environment, then the flags on top (built once, here at the edge)."""
    from streams.stages.variants import check_variant

    settings = Settings()
    update: dict[str, Any] = {}
    for stage in ("gpt5", "gpt4o"):
        block: dict[str, Any] = {}
        if getattr(args, f"{stage}_model"):
            block["model"] = getattr(args, f"{stage}_model")
        if getattr(args, f"{stage}_prompt"):
            block["prompt_variant"] = check_variant(stage, getattr(args, f"{stage}_prompt"))
        if stage == "gpt5" and args.min_confidence is not None:
            block["min_confidence"] = args.min_confidence
        if block:
            update[stage] = getattr(settings, stage).model_validate({**getattr(settings, stage).model_dump(), **block})
    for variant_stage in ("gpt5", "gpt4o"):  # the environment's variants are checked too, before any work
        check_variant(variant_stage, update.get(variant_stage, getattr(settings, variant_stage)).prompt_variant)
    if args.base_url:
        update["openai_base_url"] = args.base_url
    if args.rules_dir:
        update["rules_dir"] = args.rules_dir
    if args.timeout:
        update["query_timeout_s"] = args.timeout
    return settings.model_copy(update=update) if update else settings


def _bar(desc: str, unit: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=0, desc=desc, unit=unit, file=sys.stderr, mininterval=0.3)


def _guarded(fn: Any) -> Any:
    """Typed errors become a message and an exit code: 2 for what the user can fix, 3 for Kafka."""
    def run(args: argparse.Namespace) -> int:
        from streams.eval.errors import EvalError
        from streams.stages.variants import UnknownPromptVariant

        try:
            return int(fn(args))
        except (EvalError, UnknownPromptVariant) as exc:
            print(f"bunri {args.command}: {exc}", file=sys.stderr)  # noqa: T201
            return 2
        except BrokerUnavailable as exc:
            print(f"bunri {args.command}: {exc.message}", file=sys.stderr)  # noqa: T201
            return 3
    return run


@_guarded
def _export(args: argparse.Namespace) -> int:
    from streams.eval.errors import SourceError
    from streams.eval.export import export_topic, resolve_topic

    settings = Settings()
    if not settings.bootstrap:
        raise SourceError("set KAFKA_BOOTSTRAP to the cluster that recorded the topic (`bunri serve` prints the "
                          "embedded broker's address); a fresh embedded broker would be empty")
    topic = resolve_topic(settings.kafka, args.topic)
    out = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
    bar = _bar(f"export {topic}", "msg")
    try:
        count = asyncio.run(export_topic(settings.bootstrap, topic, out, since=args.since, until=args.until,
                                         limit=args.limit, progress=bar, security=settings.kafka))
    finally:
        bar.close()
        if args.output:
            out.close()
    print(f"bunri export: {count} messages from {topic}", file=sys.stderr)  # noqa: T201
    return 0


@_guarded
def _replay(args: argparse.Namespace) -> int:
    from streams.eval.replay import ReplayOptions

    settings = _configured(args)
    opts = ReplayOptions(run=args.run, source=args.source, since=args.since, until=args.until, limit=args.limit,
                         concurrency=args.concurrency, overwrite=args.overwrite, keep_topics=args.keep_topics)
    summary = _run_replay(settings, opts)
    counts = summary.counts
    print(f"bunri replay: run {args.run}: {counts['answer']} answered, {counts['failure']} failed, "  # noqa: T201
          f"{counts['skipped']} skipped in {summary.elapsed_s:.1f}s -> {summary.paths.results}", file=sys.stderr)
    return 0


def _run_replay(settings: Settings, opts: Any) -> Any:
    from streams.eval.replay import replay

    return asyncio.run(replay(settings, opts, progress=_bar))


@_guarded
def _eval(args: argparse.Namespace) -> int:
    from streams import contracts as c
    from streams.eval.errors import LabelsError, RunNotFound
    from streams.eval.evaluation import as_text, evaluate_run, for_json
    from streams.eval.replay import ReplayOptions

    settings = _configured(args)
    run = args.run
    if run is None:  # the one-step form: run the labelled set through this configuration first
        if args.labels is None:
            raise RunNotFound("give --run NAME, or --labels FILE.jsonl to run and evaluate a labelled set")
        if not args.labels.is_file():
            raise LabelsError(f"no such labelled set: {args.labels}")
        run = args.save_as or f"eval-{c.utcnow():%Y%m%dT%H%M%S}"
        summary = _run_replay(settings, ReplayOptions(run=run, source=str(args.labels), concurrency=args.concurrency))
        print(f"bunri eval: ran {sum(summary.counts.values())} questions as run {run} "  # noqa: T201
              f"in {summary.elapsed_s:.1f}s ({summary.paths.results})", file=sys.stderr)
    result = evaluate_run(settings, run, labels=args.labels, against=args.against)
    if args.report:
        from streams.eval.report import write_report

        write_report(args.report, result)
        print(f"bunri eval: report written to {args.report}", file=sys.stderr)  # noqa: T201
    if args.json:
        print(json.dumps(for_json(result), ensure_ascii=False, indent=2, default=str))  # noqa: T201
    else:
        print(as_text(result))  # noqa: T201
    return 0
