"""prepare(): the preprocess stage handler, against a real local store and a thread image pool."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from streams.cache import ANSWERS, Cache, answer_key
from streams.contracts import Answer, ImageRef, PreparedQuery
from streams.errors import ImageTooLarge, InvalidImage, InvalidInput, PermanentError, UnsupportedImage
from streams.settings import CacheSettings
from streams.stages.preprocess import prepare
from tests.unit.preprocess import factory as f
from tests.unit.preprocess.conftest import MODELS, RULES_VERSION, make_answer, make_request


async def test_photo_is_normalised_stored_and_the_raw_upload_deleted(upload, prepare_kwargs, store) -> None:  # type: ignore[no-untyped-def]
    ref = await upload(f.jpeg_12mp())
    msg = make_request(image=ref)
    out = await prepare(msg, **prepare_kwargs)

    assert isinstance(out, PreparedQuery)
    assert out.envelope == msg.envelope and out.question == msg.question and out.use_cache
    image = out.image
    assert image is not None
    assert (image.key, image.width, image.height) == (f"images/{image.sha256}.jpg", 750, 1000)
    assert image.source_format == "jpeg" and image.phash and image.mime == "image/jpeg"
    stored = await store.inner.get(image.key)
    assert len(stored) == image.size
    f.assert_no_metadata(stored)  # GPS and all EXIF gone from what the model will see
    assert not await store.inner.exists(ref.key)
    assert set(out.timings_ms) == {"gateway", "preprocess"} and out.timings_ms["preprocess"] > 0


@pytest.mark.parametrize("make", [f.png_alpha, f.webp, f.heic_small])
async def test_every_supported_format_goes_through(upload, prepare_kwargs, store, make) -> None:  # type: ignore[no-untyped-def]
    out = await prepare(make_request(image=await upload(make())), **prepare_kwargs)
    assert isinstance(out, PreparedQuery) and out.image is not None
    f.assert_no_metadata(await store.inner.get(out.image.key))


async def test_the_same_photo_twice_is_stored_once(upload, prepare_kwargs, store) -> None:  # type: ignore[no-untyped-def]
    data = f.jpeg_small()
    first = await prepare(make_request(image=await upload(data)), **prepare_kwargs)
    second = await prepare(make_request(image=await upload(data)), **prepare_kwargs)
    assert isinstance(first, PreparedQuery) and isinstance(second, PreparedQuery)
    assert first.image == second.image
    assert store.keys("put", "images/") == [first.image.key]  # type: ignore[union-attr]
    assert [o.key for o in await store.inner.list("images/")] == [first.image.key]  # type: ignore[union-attr]


async def test_metadata_only_changes_dedupe(upload, prepare_kwargs) -> None:  # type: ignore[no-untyped-def]
    a = await prepare(make_request(image=await upload(f.jpeg_small(gps=True))), **prepare_kwargs)
    b = await prepare(make_request(image=await upload(f.jpeg_small(gps=False, camera="x"))), **prepare_kwargs)
    assert a.image.sha256 == b.image.sha256  # type: ignore[union-attr]


async def test_redelivery_after_success_reuses_the_result(upload, prepare_kwargs, pool) -> None:  # type: ignore[no-untyped-def]
    msg = make_request(image=await upload(f.jpeg_small()))
    first = await prepare(msg, **prepare_kwargs)
    again = await prepare(msg, **prepare_kwargs)  # the raw upload is gone; the marker answers
    assert isinstance(again, PreparedQuery) and again.image == first.image  # type: ignore[union-attr]
    assert pool.runs == 1


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (f.bomb_png(), InvalidImage),
        (f.bomb_jpeg(), InvalidImage),
        (f.truncated_jpeg(), InvalidImage),
        (f.TEXT_AS_JPG, UnsupportedImage),
        (f.SVG, UnsupportedImage),
        (f.HTML, UnsupportedImage),
        (f.upload_30mb(), ImageTooLarge),
    ],
    ids=["bomb-png", "bomb-jpeg", "truncated", "text", "svg", "html", "30mb"],
)
async def test_bad_uploads_raise_typed_errors_and_are_deleted(  # type: ignore[no-untyped-def]
    upload, prepare_kwargs, store, data: bytes, error: type[PermanentError]
) -> None:
    ref = await upload(data)
    ref = ref.model_copy(update={"size": 1000})  # a producer that under-reported the size
    msg = make_request(image=ref)
    with pytest.raises(error) as exc:
        await prepare(msg, **prepare_kwargs)
    assert exc.value.stage == "preprocess" and exc.value.query_id == str(msg.envelope.query_id)
    assert not await store.inner.exists(ref.key)
    assert store.keys("put", "images/") == []


async def test_a_zero_byte_upload_is_invalid(upload, prepare_kwargs) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidImage):
        await prepare(make_request(image=await upload(b"")), **prepare_kwargs)


async def test_oversize_claims_are_refused_before_downloading(prepare_kwargs, store) -> None:  # type: ignore[no-untyped-def]
    ref = ImageRef(key=f"raw/{uuid4()}", size=30 * 1024 * 1024)
    with pytest.raises(ImageTooLarge):
        await prepare(make_request(image=ref), **prepare_kwargs)
    assert store.keys("get") == []


@pytest.mark.parametrize(
    "key", ["images/" + "a" * 64 + ".jpg", "cache/answers/x.json", "../raw/x", "raw/../cache/x"]
)
async def test_claim_checks_must_point_at_raw_uploads(prepare_kwargs, store, key: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as exc:
        await prepare(make_request(image=ImageRef(key=key, size=10)), **prepare_kwargs)
    assert exc.value.stage == "preprocess"
    assert store.keys("delete") == [] and store.keys("get") == []


async def test_another_querys_upload_is_refused_and_left_alone(upload, prepare_kwargs, store) -> None:  # type: ignore[no-untyped-def]
    theirs = await upload(f.jpeg_small())  # a rogue producer names someone else's raw/ object
    msg = make_request()
    msg = msg.model_copy(update={"image": theirs})
    with pytest.raises(InvalidInput, match="not this query's upload"):
        await prepare(msg, **prepare_kwargs)
    assert store.keys("get") == [] and store.keys("delete") == []
    assert await store.inner.exists(theirs.key)


async def test_a_missing_upload_is_invalid_input(prepare_kwargs) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match="not found"):
        await prepare(make_request(image=ImageRef(key=f"raw/{uuid4()}", size=10)), **prepare_kwargs)


async def _cache_answer(cache: Cache, image_sha: str | None, question: str) -> Answer:
    answer = make_answer(question)
    await cache.put(
        ANSWERS, answer_key(image_sha, question, RULES_VERSION, MODELS), answer.model_dump(mode="json")
    )
    return answer


async def test_a_repeat_photo_and_question_is_answered_from_the_cache(  # type: ignore[no-untyped-def]
    upload, prepare_kwargs, cache, pool
) -> None:
    data = f.jpeg_small()
    first = await prepare(make_request(image=await upload(data)), **prepare_kwargs)
    cached = await _cache_answer(cache, first.image.sha256, "이 생수병 어떻게 버려요?")  # type: ignore[union-attr]

    msg = make_request("이 생수병  어떻게 버려요", image=await upload(data))
    out = await prepare(msg, **prepare_kwargs)

    # An Answer, not a PreparedQuery: the binding replies at once and no model stage is called.
    assert isinstance(out, Answer) and out.cache_hit
    assert out.query_id == msg.envelope.query_id and out.question == "이 생수병  어떻게 버려요"
    assert out.answer == cached.answer and out.rules_version == RULES_VERSION
    assert set(out.timings_ms) == {"gateway", "preprocess"}
    assert out.usage.calls == [] and out.usage.cost_usd == 0
    assert pool.runs == 1  # the identical upload is recognised by its digest: no second decode


async def test_a_known_upload_whose_image_was_deleted_is_normalised_again(  # type: ignore[no-untyped-def]
    upload, prepare_kwargs, store, pool
) -> None:
    data = f.jpeg_small()
    first = await prepare(make_request(image=await upload(data)), **prepare_kwargs)
    await store.delete(first.image.key)  # type: ignore[union-attr]
    again = await prepare(make_request(image=await upload(data)), **prepare_kwargs)
    assert again.image == first.image and pool.runs == 2  # type: ignore[union-attr]
    assert await store.exists(first.image.key)  # type: ignore[union-attr]


async def test_text_only_requests_pass_straight_through(prepare_kwargs, store, pool) -> None:  # type: ignore[no-untyped-def]
    msg = make_request("스티로폼 박스는 어떻게 버려요?")
    out = await prepare(msg, **prepare_kwargs)
    assert isinstance(out, PreparedQuery) and out.image is None
    assert pool.runs == 0
    assert [m for m, _ in store.calls] == ["get"]  # only the answer-cache lookup


async def test_text_only_requests_hit_the_answer_cache(prepare_kwargs, cache) -> None:  # type: ignore[no-untyped-def]
    await _cache_answer(cache, None, "스티로폼 박스는 어떻게 버려요?")
    out = await prepare(make_request("스티로폼 박스는 어떻게 버려요"), **prepare_kwargs)
    assert isinstance(out, Answer) and out.cache_hit


async def test_use_cache_false_skips_the_lookup(prepare_kwargs, cache, store) -> None:  # type: ignore[no-untyped-def]
    await _cache_answer(cache, None, "스티로폼?")
    out = await prepare(make_request("스티로폼?", use_cache=False), **prepare_kwargs)
    assert isinstance(out, PreparedQuery) and not out.use_cache
    assert store.keys("get") == []


async def test_a_disabled_cache_never_answers(prepare_kwargs, cache, store) -> None:  # type: ignore[no-untyped-def]
    await _cache_answer(cache, None, "스티로폼?")
    kwargs: dict[str, Any] = {**prepare_kwargs, "cache": Cache(store, CacheSettings(enabled=False))}
    assert isinstance(await prepare(make_request("스티로폼?"), **kwargs), PreparedQuery)


async def test_a_cached_answer_from_an_old_contract_is_a_miss(prepare_kwargs, cache) -> None:  # type: ignore[no-untyped-def]
    await cache.put(
        ANSWERS, answer_key(None, "스티로폼?", RULES_VERSION, MODELS), {"kind": "answer", "old": 1}
    )
    assert isinstance(await prepare(make_request("스티로폼?"), **prepare_kwargs), PreparedQuery)
