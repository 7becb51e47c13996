"""Building each stage's dependencies from settings, once, at the edge.

Handlers stay pure (``async def f(msg, *, deps...)``); this module binds their keyword
arguments with :func:`functools.partial` and owns the lifetime of pools and clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from streams import contracts as c
from streams.binding import StageBinding
from streams.phases import Phases
from streams.settings import STAGES, Settings

__all__ = ["ANALYSER_STAGES", "CATALOGUE_STAGES", "Resources", "build_bindings"]

#: The stages that resolve free text, so load the Korean analyser at start (~10 ms). The rag
#: stage gets the gpt5 stage's reading with each message (streams/stages/reading.py); it reads text itself
#: only for an older producer's message, and loads the analyser then.
ANALYSER_STAGES = frozenset({"gpt5"})
#: The stages that use the rules catalogue (~25 MB): preprocess only for its version (answer-cache keys).
CATALOGUE_STAGES = frozenset({"preprocess", "gpt5", "rag"})
_WARM_TEXT = "뚜껑 닫힌 생수병은 어떻게 버려요?"


@dataclass
class Resources:
    """Everything the stages of one process share."""

    settings: Settings
    store: Any
    cache: Any
    catalog: Any
    pool: Any = None
    models: Any = None
    limiters: Any = None
    stages: tuple[str, ...] = ()
    #: Start-up work running beside the app (:meth:`warm_up`): the analyser, the image pool.
    warming: list[asyncio.Future[Any]] = field(default_factory=list, repr=False)
    _warm_started: bool = field(default=False, repr=False)
    _pool_started: bool = field(default=False, repr=False)

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, settings: Settings, stages: Sequence[str], *,
                   phases: Phases | None = None) -> AsyncIterator[Resources]:
        """Build what ``stages`` need; slow warm-ups wait for :meth:`warm_up`."""
        from streams.cache import Cache
        from streams.rules.snapshot import load_catalog
        from streams.store import make_store

        store = make_store(settings)
        catalog = None  # a gpt4o worker answers from the rag stage's context alone
        if CATALOGUE_STAGES & set(stages):
            with phases.span("catalogue") if phases else contextlib.nullcontext():
                catalog = load_catalog(settings.rules_dir, cache_dir=settings.rules_cache_dir)
        res = cls(settings=settings, store=store, cache=Cache(store, settings.cache), catalog=catalog,
                  stages=tuple(stages))
        async with contextlib.AsyncExitStack() as stack:
            if "preprocess" in stages:
                from streams.imaging import ImagePool

                res.pool = ImagePool(settings.preprocess, workers=settings.preprocess.pool_workers)
                stack.callback(res.pool.close)
            if {"gpt5", "gpt4o"} & set(stages):
                from streams.llm import make_limiters, make_models

                res.models = make_models(settings)
                res.limiters = make_limiters(settings)
                if res.models is not None:
                    stack.push_async_callback(res.models.aclose)
            yield res

    def warm_up(self, phases: Phases | None = None, *, pool: bool = True) -> list[asyncio.Future[Any]]:
        """Start, once, what would make the first message slow; return the futures to wait for.

        - the Korean analyser and the resolver's first question, if a stage here resolves text (gpt5): a
          few tens of ms in a thread;
        - the image pool's processes (fork server, imports), unless ``pool=False``.

        Call it when the process is about to wait anyway (the broker starting, the group join).
        """
        if self._warm_started:
            return self.warming
        self._warm_started = True
        if ANALYSER_STAGES & set(self.stages):
            job = functools.partial(self.catalog.resolve, _WARM_TEXT)  # loads it and runs it once
            work = phases.timed("analyser", job) if phases else job
            self.warming.append(asyncio.get_running_loop().run_in_executor(None, work))
        if pool:
            self.warm_pool()
        return self.warming

    def warm_pool(self) -> None:
        """Start the image pool's processes, once. Its fork server imports in a process of its own, so it
        can start before the group join is sent without delaying it."""
        if self.pool is not None and not self._pool_started:
            self._pool_started = True
            self.warming.append(asyncio.ensure_future(self.pool.warm()))

    def model_names(self) -> dict[str, str]:
        if self.settings.offline:
            return {"gpt5": "offline", "gpt4o": "offline"}
        from streams.stages.variants import variant_tag

        # Part of the answer-cache key: another prompt variant must not reuse an answer (default: unchanged).
        return {"gpt5": variant_tag(self.settings.gpt5.model, self.settings.gpt5.prompt_variant),
                "gpt4o": variant_tag(self.settings.gpt4o.model, self.settings.gpt4o.prompt_variant)}

    def prompt_versions(self) -> dict[str, str]:
        """Each model stage's prompt version (``label@hash``), stamped on replies; empty offline."""
        if self.settings.offline:
            return {}
        from streams.stages.variants import check_variant, prompt_version

        versions = {}
        for stage in ("gpt5", "gpt4o"):
            variant = check_variant(stage, getattr(self.settings, stage).prompt_variant)  # refused in every worker
            if stage == "gpt5" and self.catalog is None:
                continue  # its prompt lists the catalogue, which a gpt4o-only worker does not load
            versions[stage] = prompt_version(stage, variant, self.catalog)
        return versions


def build_bindings(res: Resources, stages: Sequence[str]) -> list[StageBinding]:
    unknown = set(stages) - set(STAGES)
    if unknown:
        raise ValueError(f"unknown stage(s) {sorted(unknown)}; choose from {', '.join(STAGES)}")
    bindings = [_BUILDERS[stage](res) for stage in stages]
    prompts = res.prompt_versions()  # also refuses an unknown prompt variant before anything runs
    every = set(stages) == set(STAGES)  # one process with every stage (serve): the seed's totals
    for binding in bindings:  # per stage, else --concurrency N for all of this worker's, else the seed's
        binding.concurrency = res.settings.worker.concurrency.of(binding.name, every_stage=every)
        binding.prompt = prompts.get(binding.name)
    return bindings


def _preprocess(res: Resources) -> StageBinding:
    from streams.stages.preprocess import prepare

    handler = functools.partial(prepare, store=res.store, cache=res.cache, pool=res.pool,
                                settings=res.settings.preprocess, rules_version=res.catalog.version,
                                models=res.model_names())
    return StageBinding("preprocess", c.QueryRequest, handler)


def _gpt5(res: Resources) -> StageBinding:
    from streams.llm.latency import LatencyTracker, TimedModel
    from streams.stages.gpt5 import analyse

    models, latency = res.models, LatencyTracker()
    vision = TimedModel(models.vision, latency) if models and models.vision else None
    handler = functools.partial(analyse, vision=vision, catalog=res.catalog, latency=latency,
                                store=res.store, cache=res.cache, settings=res.settings.gpt5,
                                limiter=res.limiters.vision if res.limiters else None,
                                prices=models.prices if models else None)
    return StageBinding("gpt5", c.PreparedQuery, handler)


def _rag(res: Resources) -> StageBinding:
    from streams.regions.localise import make_localiser
    from streams.stages.rag import lookup

    regions = make_localiser(res.settings.publicdata, res.store)  # district schedules (docs/regions.md)
    return StageBinding("rag", c.AnalysedQuery, functools.partial(lookup, catalog=res.catalog, regions=regions))


def _gpt4o(res: Resources) -> StageBinding:
    from streams.llm.latency import LatencyTracker, TimedModel
    from streams.stages.gpt4o import answer

    models, latency = res.models, LatencyTracker()
    writer = TimedModel(models.answer, latency) if models and models.answer else None
    handler = functools.partial(answer, writer=writer, cache=res.cache, latency=latency,
                                settings=res.settings.gpt4o,
                                limiter=res.limiters.answer if res.limiters else None,
                                prices=models.prices if models else None, models=res.model_names())
    return StageBinding("gpt4o", c.RuleContext, handler)


_BUILDERS = {"preprocess": _preprocess, "gpt5": _gpt5, "rag": _rag, "gpt4o": _gpt4o}
