"""Tolerant reading of model replies: realistic wrappers of small models around answers in several formats."""

from __future__ import annotations

import pytest

from hum.evaluation.extract import Unparsable, read_reply, variants
from hum.formats import FORMATS

NER = ("type", "entity")
OIE = ("subject", "relation", "object")
ROWS = [("person", "Ann Lee"), ("organization", "ACME")]


def read(reply: str, fmt: str, columns: tuple[str, ...] = NER, empty: str | None = None):
    return read_reply(reply, FORMATS[fmt], columns, empty)


@pytest.mark.parametrize(
    ("fmt", "reply"),
    [
        ("json", '[{"type": "person", "entity": "Ann Lee"}, {"type": "organization", "entity": "ACME"}]'),
        ("json", ('Here are the entities:\n```json\n[{"type": "person", "entity": "Ann Lee"},\n'
                  ' {"type": "organization", "entity": "ACME"}]\n```')),
        ("json", '```json\n[{"type": "person", "entity": "Ann Lee"}, {"type": "organization", "entity": "ACME"}]'),  # unclosed
        ("json", ('[{"type": "person", "entity": "Ann Lee"}, {"type": "organization", "entity": "ACME"}]\n'
                  "These are all the named entities in the text.")),
        ("json_grouped", 'Sure! The entities grouped by type are {"person": ["Ann Lee"], "organization": ["ACME"]}.'),
        ("kv", "type: person\nentity: Ann Lee\n\ntype: organization\nentity: ACME\n\nLet me know if you need anything else!"),
        ("table", ("Sure! Here is the table.\n\n| type | entity |\n|---|---|\n| person | Ann Lee |\n| organization | ACME |\n\n"
                   "Note: ACME is a company.")),
        ("yaml", "```yaml\n- type: person\n  entity: Ann Lee\n- type: organization\n  entity: ACME\n```\n\nI hope this helps."),
        ("xml", ("<item><type>person</type><entity>Ann Lee</entity></item>\n"
                 "<item><type>organization</type><entity>ACME</entity></item>\n\nThe text mentions two entities.")),
        ("code", 'Output:\n```python\nItem(type="person", entity="Ann Lee")\nItem(type="organization", entity="ACME")\n```'),
        ("numbered", "答案如下：\n1. type: person; entity: Ann Lee\n2. type: organization; entity: ACME"),
        ("bullets", ("以下是文本中的实体：\n\n- type: person; entity: Ann Lee\n- type: organization; entity: ACME\n\n"
                     "希望对你有帮助。")),
        ("csv", "```csv\ntype,entity\nperson,Ann Lee\norganization,ACME\n```"),
    ],
)  # fmt: skip
def test_wrapped_answers_read_back(fmt, reply):
    assert read(reply, fmt) == ROWS


def test_chinese_tuples_after_a_lead_in():
    reply = "根据文本，抽取的三元组如下：\n(李白; 出生于; 碎叶城)\n(李白; 是; 诗人)"
    assert read(reply, "tuples", OIE) == [("李白", "出生于", "碎叶城"), ("李白", "是", "诗人")]


def test_chinese_json_in_a_fence_with_chatter():
    reply = '好的，答案如下：\n```json\n[{"type": "人物", "entity": "李白"}]\n```\n以上就是全部实体。'
    assert read(reply, "json") == [("人物", "李白")]


@pytest.mark.parametrize(
    ("fmt", "reply", "empty"),
    [
        ("json", "```json\n[]\n```", None),
        ("lines", "```\nNone\n```", None),
        ("bullets", "答案：\n无", "无"),
        ("kv", "N/A\n\nThe text does not mention any entity.", "N/A"),
    ],
)
def test_stated_empty_forms_through_wrappers(fmt, reply, empty):
    assert read(reply, fmt, NER, empty) == []


@pytest.mark.parametrize(
    ("fmt", "reply"),
    [
        ("json", "I could not find any entities in this text."),
        ("json", '[{"type": "person", "name": "Ann Lee"}]'),  # wrong keys
        ("numbered", "1. type: person; entity: Ann Lee\n3. type: organization; entity: ACME"),  # misnumbered
        ("bullets", "抱歉，我无法完成这个任务。"),
        ("kv", ""),  # a format writes even an empty result
        ("lines", "```\n\n```"),
    ],
)
def test_unparsable_replies_are_marked(fmt, reply):
    reading = read(reply, fmt)
    assert isinstance(reading, Unparsable)
    assert reading.error


def test_the_parser_error_of_the_reply_itself_is_kept():
    reading = read("Here you go:\n[broken", "json")
    assert isinstance(reading, Unparsable)
    assert reading.error.startswith("json:")


def test_the_exact_text_wins_over_cleaned_variants():
    # A one-column `lines` answer parses as it is, so a line ending in a colon stays an item.
    assert read("Note:\nParis", "lines", ("entity",)) == [("Note:",), ("Paris",)]


def test_variants_go_from_light_to_bold_cleaning():
    reply = "Here it is:\n```\na\n\nb\n```\n\nBye."
    found = list(dict.fromkeys(variants(reply)))
    assert found[0] == reply
    assert found.index("a\n\nb\n") > found.index("Here it is:\n```\na\n\nb\n```")  # the fence comes after trimming the tail
    assert {"a\n\nb\n", "a", "```\na\n\nb\n```\n\nBye."} <= set(found)
