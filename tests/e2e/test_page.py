"""The page at GET / in headless Chromium, on the real pipeline: photo, question, live steps, answer, feedback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn

from gateway.main import create_app
from streams import contracts as c
from streams.broker import free_port
from streams.feedback.read import read_values
from streams.runtime import running_stages
from streams.settings import STAGES, Settings
from streams.topics import topic_name
from tests.integration.conftest import make_settings

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pet_bottle.jpg"
STEPS = ["accepted", "preprocessed", "analysed", "rules", "answer"]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def served(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Settings, str]]:
    settings = make_settings(kafka_bootstrap, tmp_path_factory.mktemp("data"))
    async with running_stages(settings, list(STAGES)):
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None))
        serving = asyncio.create_task(server.serve())
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=url, timeout=5) as client:
            for _ in range(400):
                if server.started and (await client.get("/readyz")).status_code == 200:
                    break
                await asyncio.sleep(0.05)
        try:
            yield settings, url
        finally:
            server.should_exit = True
            await serving


async def test_ask_with_a_photo_watch_the_steps_read_the_answer_send_feedback(
        served: tuple[Settings, str], chromium: str, screenshot_path: Any) -> None:
    from playwright.async_api import async_playwright

    settings, url = served
    problems: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844}, locale="ko-KR")  # a phone
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
            await page.goto(url + "/")
            assert await page.title() == "분리배출 도우미 · bunri"
            await page.set_input_files("#gallery", str(EXAMPLE))
            assert await page.is_visible("#preview img")
            await page.fill("#question", "이 페트병은 어떻게 버려요? 뚜껑은 닫혀 있어요")
            async with page.expect_response(lambda r: "/v1/queries?wait=0" in r.url) as posted:
                await page.click("#submit")
            accepted = await (await posted.value).json()
            query_id = accepted["query_id"]
            await page.wait_for_selector("#result:not([hidden])", timeout=30_000)

            # every step lit up, each with its time from the SSE event that lit it
            for step in STEPS:
                li = page.locator(f'[data-step="{step}"]')
                assert await li.get_attribute("class") == "done", step
                assert (await li.locator(".ms").inner_text()).endswith(("ms", "s")), step
            assert "사진" in await page.locator('[data-step="accepted"] .detail').inner_text()
            assert await page.locator('[data-step="analysed"] .detail').inner_text()
            assert "기준" in await page.locator('[data-step="rules"] .detail').inner_text()
            # the answer, with its item, category, sources
            assert await page.locator("#item-name").inner_text()
            assert await page.locator("#item-category").inner_text() in c.OFFICIAL_CATEGORIES
            assert len(await page.locator("#answer-text").inner_text()) > 20
            assert await page.locator("#sources li").count() >= 1
            assert "오프라인" in await page.locator("#meta").inner_text()

            await page.click("#fb-down")
            await page.select_option("#fb-category", "플라스틱류")
            await page.fill("#fb-item", "생수병 뚜껑")
            await page.screenshot(path=str(screenshot_path("page-answer.png")), full_page=True)
            async with page.expect_response(lambda r: r.url.endswith("/feedback")) as sent:
                await page.click("#fb-send")
            assert (await sent.value).status == 202
            await page.wait_for_selector("#fb-done:not([hidden])")
            assert "고마워요" in await page.locator("#fb-done").inner_text()
            await page.screenshot(path=str(screenshot_path("page-feedback.png")), full_page=True)
        finally:
            await browser.close()
    assert not problems, problems

    feedback = [c.decode(c.Feedback, v) async for v in read_values(settings.bootstrap or "",
                                                                  topic_name(settings.kafka, "feedback"))]
    [mine] = [f for f in feedback if str(f.query_id) == query_id]
    assert (mine.helpful, mine.correct_category, mine.correct_item) == (False, "플라스틱류", "생수병 뚜껑")
