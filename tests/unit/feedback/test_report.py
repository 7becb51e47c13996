"""`bunri feedback report`: corrections and unresolved questions, ranked, one per query."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from streams import contracts as c
from streams.feedback.read import parse_since
from streams.feedback.report import build_report, render_text

PAPER_CUP = c.ItemRef(item_id="paper_cup", name="종이컵", official_category="종이")


def fb(helpful: bool = False, *, category: str | None = None, item: str | None = None, question: str = "종이컵?",
       answered: c.ItemRef | None = PAPER_CUP, qid: uuid.UUID | None = None, comment: str | None = None) -> c.Feedback:
    return c.Feedback(query_id=qid or uuid.uuid4(), helpful=helpful, correct_category=category,  # type: ignore[arg-type]
                      correct_item=item, question=question, answered_item=answered, comment=comment)


def reply(question: str, *, item: c.ItemRef | None = PAPER_CUP, clarify: bool = False) -> c.Answer:
    clar = c.Clarification(question="어느 쪽인가요?", candidates=[PAPER_CUP]) if clarify else None
    return c.Answer(query_id=uuid.uuid4(), question=question, answer="...", item=item,
                    analysis=c.VisionAnalysis(saw_image=False), needs_clarification=clarify, clarification=clar)


def test_corrections_are_grouped_and_ranked() -> None:
    twice = uuid.uuid4()
    feedback = [
        fb(category="일반종량제폐기물", item="코팅 종이컵", question="코팅된 종이컵은요?", qid=twice),
        fb(category="일반종량제폐기물", item="코팅 종이컵", question="코팅 종이컵 버리기"),
        fb(category="일반종량제폐기물", item="코팅 종이컵", question="ignored: same query again", qid=twice),
        fb(category="플라스틱류", answered=None, question="뽁뽁이"),
        fb(True), fb(False, comment="설명이 길어요"),
    ]
    report = build_report(feedback, [])
    assert (report.feedback, report.helpful, report.not_helpful, report.corrected) == (5, 1, 4, 3)
    top, second = report.corrections
    assert (top.answered, top.correct_category, top.correct_item, top.count) == (
        "종이컵 (종이)", "일반종량제폐기물", "코팅 종이컵", 2)
    assert top.examples == ["코팅된 종이컵은요?", "코팅 종이컵 버리기"]
    assert (second.answered, second.count) == ("(항목 없음)", 1)
    assert report.comments == ["설명이 길어요"]


def test_unresolved_questions_come_from_the_replies() -> None:
    replies = [reply("이거 뭐예요?", item=None), reply("이거 뭐예요", item=None), reply("컵", clarify=True),
               reply("종이컵"), c.Failure(query_id=uuid.uuid4(), reason="timeout", message="late", stage="gpt5")]
    report = build_report([], replies)
    assert [(u.question, u.outcome, u.count) for u in report.unresolved] == [
        ("이거 뭐예요", "no_item", 2), ("컵", "clarification", 1)]
    assert report.unresolved[1].candidates == ["종이컵"]
    assert report.replies == 4


def test_top_limits_every_list_and_text_renders() -> None:
    feedback = [fb(category="종이", item=f"품목{i}") for i in range(5)]
    report = build_report(feedback, [reply(f"q{i}", item=None) for i in range(5)], top=2)
    assert len(report.corrections) == 2 and len(report.unresolved) == 2
    text = render_text(report)
    assert "Corrections" in text and "-> 종이 / '품목" in text and "[no_item] q" in text
    assert report.to_dict()["feedback"] == 5


def test_since() -> None:
    now = datetime(2025, 5, 8, 12, tzinfo=UTC)
    assert parse_since("24h", now) == now - timedelta(hours=24)
    assert parse_since("7d", now) == now - timedelta(days=7)
    assert parse_since("2025-05-01", now) == datetime(2025, 5, 1, tzinfo=UTC)
    assert parse_since("2025-05-01T09:00+09:00", now).utcoffset() == timedelta(hours=9)
    with pytest.raises(ValueError, match="--since"):
        parse_since("last tuesday", now)
