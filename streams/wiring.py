"""Building each stage's dependencies from settings, once, at the edge.

Handlers stay pure (``async def f(msg, *, deps...)``); this module binds their keyword
arguments with :func:`functools.partial` and owns the lifetime of pools and clients.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from streams import contracts as c
from streams.binding import StageBinding
from streams.settings import STAGES, Settings

__all__ = ["Resources", "build_bindings", "STAGE_CONCURRENCY"]

#: The seed's per-worker concurrency (gpt5 20, gpt4o 10, preprocess 8, rag 4).
STAGE_CONCURRENCY = {"preprocess": 8, "gpt5": 20, "rag": 4, "gpt4o": 10}


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

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, settings: Settings, stages: Sequence[str]) -> AsyncIterator[Resources]:
        from streams.cache import Cache
        from streams.rules import RulesCatalog
        from streams.store import make_store

        store = make_store(settings)
        res = cls(settings=settings, store=store, cache=Cache(store, settings.cache),
                  catalog=RulesCatalog.load(settings.rules_dir))
        async with contextlib.AsyncExitStack() as stack:
            if "preprocess" in stages:
                from streams.imaging import ImagePool

                res.pool = ImagePool(settings.preprocess, workers=settings.preprocess.pool_workers)
                stack.callback(res.pool.close)
                await res.pool.warm()  # the first photo should not pay the pool's start-up
            if {"gpt5", "gpt4o"} & set(stages):
                from streams.llm import make_limiters, make_models

                res.models = make_models(settings)
                res.limiters = make_limiters(settings)
                if res.models is not None:
                    stack.push_async_callback(res.models.aclose)
            yield res

    def model_names(self) -> dict[str, str]:
        if self.settings.offline:
            return {"gpt5": "offline", "gpt4o": "offline"}
        return {"gpt5": self.settings.gpt5.model, "gpt4o": self.settings.gpt4o.model}


def build_bindings(res: Resources, stages: Sequence[str]) -> list[StageBinding]:
    unknown = set(stages) - set(STAGES)
    if unknown:
        raise ValueError(f"unknown stage(s) {sorted(unknown)}; choose from {', '.join(STAGES)}")
    bindings = [_BUILDERS[stage](res) for stage in stages]
    for binding in bindings:  # --concurrency applies to a single-stage worker; else the seed's
        binding.concurrency = res.settings.worker.concurrency or STAGE_CONCURRENCY[binding.name]
    return bindings


def _preprocess(res: Resources) -> StageBinding:
    from streams.stages.preprocess import prepare

    handler = functools.partial(prepare, store=res.store, cache=res.cache, pool=res.pool,
                                settings=res.settings.preprocess, rules_version=res.catalog.version,
                                models=res.model_names())
    return StageBinding("preprocess", c.QueryRequest, handler)


def _gpt5(res: Resources) -> StageBinding:
    from streams.stages.gpt5 import analyse

    models = res.models
    handler = functools.partial(analyse, vision=models.vision if models else None, catalog=res.catalog,
                                store=res.store, cache=res.cache, settings=res.settings.gpt5,
                                limiter=res.limiters.vision if res.limiters else None,
                                prices=models.prices if models else None)
    return StageBinding("gpt5", c.PreparedQuery, handler)


def _rag(res: Resources) -> StageBinding:
    from streams.stages.rag import lookup

    return StageBinding("rag", c.AnalysedQuery, functools.partial(lookup, catalog=res.catalog))


def _gpt4o(res: Resources) -> StageBinding:
    from streams.stages.gpt4o import answer

    models = res.models
    handler = functools.partial(answer, writer=models.answer if models else None, cache=res.cache,
                                settings=res.settings.gpt4o,
                                limiter=res.limiters.answer if res.limiters else None,
                                prices=models.prices if models else None, models=res.model_names())
    return StageBinding("gpt4o", c.RuleContext, handler)


_BUILDERS = {"preprocess": _preprocess, "gpt5": _gpt5, "rag": _rag, "gpt4o": _gpt4o}
