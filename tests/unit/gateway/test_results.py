"""Replies and answer events are kept as JSON (not as thousands of parsed objects) and read back whole."""

from __future__ import annotations

import uuid

from gateway.events import EventLog
from gateway.events.log import event_reader
from gateway.results import ResultStore
from streams import contracts as c


def _answer(qid: uuid.UUID) -> c.Answer:
    rule = c.RuleUsed(item_id="milk_carton", rule_id="milk_carton:step:1", kind="step", text="헹궈 말립니다",
                      sources=[c.SourceRef(key="MOE-GUIDE")])
    guidance = c.ItemGuidance(item_id="milk_carton", name="우유팩", official_category="종이팩", rules=[rule])
    return c.Answer(query_id=qid, question="우유팩", answer="종이팩으로", item=None, items=[guidance],
                    rules=[rule], analysis=c.VisionAnalysis(saw_image=False))


def test_result_store_keeps_json_and_a_few_parsed() -> None:
    store = ResultStore(parsed=2)
    answers = [_answer(uuid.uuid4()) for _ in range(5)]
    for a in answers:
        assert store.put(a, a.model_dump_json().encode())
    assert not store.put(answers[0])  # a duplicate
    assert len(store._parsed) == 2  # noqa: SLF001  (the rest are bytes only)
    assert store.get(answers[0].query_id) is not answers[0]  # left the parsed few: read back from its JSON
    assert all(store.get(a.query_id) == a for a in answers)
    assert answers[0].query_id in store and uuid.uuid4() not in store


def test_event_log_keeps_the_answer_event_as_json() -> None:
    log, qid = EventLog(), uuid.uuid4()
    feed = event_reader(log.add)
    for kind in ("accepted", "preprocessed"):
        feed(c.ProgressEvent(query_id=qid, event=kind, stage="gateway").model_dump_json().encode())
    answer = _answer(qid)
    feed(c.ProgressEvent(query_id=qid, event="answer", stage="gpt4o", answer=answer).model_dump_json().encode())
    entry = log._entries[qid]  # noqa: SLF001
    assert entry.events[-1].answer is None and entry.answer_json is not None
    events = log.events(qid)
    assert [e.event for e in events] == ["accepted", "preprocessed", "answer"] and events[-1].answer == answer
    assert log.finished(qid)
