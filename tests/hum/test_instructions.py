from __future__ import annotations

import pytest

from hum.instructions import Parts, is_request, user_message
from hum.tasks import Query


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
    assert user_message(parts, query, "zh") == (
        "请回答问题。\n\n规则：\n1. 只给出答案。\n\n输出格式：每行写一个答案。\n\n文本：\n博物馆于5月3日开放。\n\n问题：何时？"
    )
