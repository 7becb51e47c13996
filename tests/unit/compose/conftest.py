"""The real catalogue, and the offline path from a question to its written answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from streams.offline import analyse_text, write_answer
from streams.rules import RulesCatalog
from streams.settings import default_rules_dir
from streams.stages.rag import lookup
from tests.unit.rules.test_rag import make_query


@pytest.fixture(scope="session")
def catalog() -> RulesCatalog:
    return RulesCatalog.load(default_rules_dir())


@pytest.fixture
def answer(catalog: RulesCatalog) -> Callable[[str], Awaitable[str]]:
    async def ask(question: str) -> str:
        ctx = await lookup(make_query(question, [], analysis=analyse_text(question, catalog)), catalog=catalog)
        return write_answer(ctx, image_attached=False)

    return ask
