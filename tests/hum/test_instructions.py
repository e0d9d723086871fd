from __future__ import annotations

from pathlib import Path

import pytest

from hum.instructions import Parts, is_request, user_message
from hum.phrasing import load_phrasings
from hum.tasks import Query

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("When did the museum reopen?", "en", True),
        ("List the cities Maria moved to.", "en", True),
        ("The fourth patient was treated with ropinirole.", "en", False),
        ("I'll extract every fact.", "en", False),
        ("", "en", False),
        ("里昂的博物馆是哪一天重新开放的？", "zh", True),
        ("列出玛丽亚搬去过的城市。", "zh", True),
        ("博物馆重新开放了。", "zh", False),
    ],
)
def test_is_request(text, lang, expected):
    assert is_request(text, lang) is expected


def test_user_message_order_and_language():
    query = Query("mrc", "extractive", ("answer",), [("3 May",)], slots={"question": "何时？"})
    parts = Parts(
        description="请回答问题。", text="博物馆于5月3日开放。", rules=("只给出答案。",), format_spec="每行写一个答案。"
    )
    layouts = load_phrasings(ROOT / "data/templates").layouts
    message, (start, end) = user_message(parts, query, "zh", layouts["headed"])
    assert message == (
        "请回答问题。\n\n规则：\n1. 只给出答案。\n\n输出格式：每行写一个答案。\n\n文本：\n博物馆于5月3日开放。\n\n问题：何时？"
    )
    assert message[start:end] == parts.text


@pytest.mark.parametrize("name", ["headed", "text_first", "markdown", "prose", "bracketed"])
def test_every_layout_states_every_part_once(name):
    layout = load_phrasings(ROOT / "data/templates").layouts[name]
    query = Query("mrc", "extractive", ("answer",), [("3 May",)], slots={"question": "When?"})
    parts = Parts(description="Answer.", text="It opened on 3 May.", guidelines="- g", rules=("r1", "r2"), format_spec="Plain.")
    message, (start, end) = user_message(parts, query, "en", layout)
    assert message[start:end] == parts.text
    for piece in ("Answer.", "- g", "r1", "r2", "Plain.", "When?"):
        assert message.count(piece) == 1, piece
    positions = {part: message.index(text) for part, text in
                 {"description": "Answer.", "text": parts.text, "question": "When?", "rules": "r1"}.items()}  # fmt: skip
    assert sorted(positions, key=positions.get) == [p for p in layout.order if p in positions]
