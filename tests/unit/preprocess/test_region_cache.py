"""The preprocess stage with a region: carried forward, part of the answer-cache key, never a cached answer
for a region that must be asked back."""

from __future__ import annotations

from streams.cache import ANSWERS, answer_key
from streams.contracts import PreparedQuery, RegionRef
from streams.stages.preprocess import prepare
from tests.unit.preprocess.conftest import MODELS, RULES_VERSION, make_answer, make_request

GANGNAM = RegionRef(code="11680", sido="서울특별시", sigungu="강남구")
SEOUL_JUNGGU = RegionRef(code="11140", sido="서울특별시", sigungu="중구")
BUSAN_JUNGGU = RegionRef(code="26110", sido="부산광역시", sigungu="중구")


async def test_the_region_travels_on(prepare_kwargs) -> None:  # type: ignore[no-untyped-def]
    out = await prepare(make_request(region=GANGNAM), **prepare_kwargs)
    assert isinstance(out, PreparedQuery) and out.region == GANGNAM
    out = await prepare(make_request(region_choices=[SEOUL_JUNGGU, BUSAN_JUNGGU]), **prepare_kwargs)
    assert isinstance(out, PreparedQuery) and out.region_choices == [SEOUL_JUNGGU, BUSAN_JUNGGU]


async def test_an_answer_cached_for_one_district_is_not_served_to_another(prepare_kwargs, cache) -> None:  # type: ignore[no-untyped-def]
    question = "이 생수병 어떻게 버려요?"
    await cache.put(ANSWERS, answer_key(None, question, RULES_VERSION, MODELS, region="11680"),
                    make_answer(question).model_dump(mode="json"))
    hit = await prepare(make_request(question, region=GANGNAM), **prepare_kwargs)
    assert not isinstance(hit, PreparedQuery) and hit.cache_hit
    assert isinstance(await prepare(make_request(question), **prepare_kwargs), PreparedQuery)
    other = GANGNAM.model_copy(update={"code": "11440", "sigungu": "마포구"})
    assert isinstance(await prepare(make_request(question, region=other), **prepare_kwargs), PreparedQuery)


async def test_an_ambiguous_region_never_gets_a_cached_answer(prepare_kwargs, cache) -> None:  # type: ignore[no-untyped-def]
    question = "이 생수병 어떻게 버려요?"
    await cache.put(ANSWERS, answer_key(None, question, RULES_VERSION, MODELS), make_answer(question).model_dump(
        mode="json"))
    out = await prepare(make_request(question, region_choices=[SEOUL_JUNGGU, BUSAN_JUNGGU]), **prepare_kwargs)
    assert isinstance(out, PreparedQuery)  # goes on, to be asked which 시·도
