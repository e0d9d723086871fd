from __future__ import annotations

import pytest

from hum.formats import FORMATS, ParseError

NAMES = sorted(set(FORMATS) - {"text"})  # `text` holds one free-form value: tested on its own below
ROWS = {
    1: [("Paris",), ("New York",)],
    2: [("person", "Taylor Swift"), ("location", "Redondo Beach Blvd")],
    3: [("audits", "Message-Topic", "waste"), ("bridge", "crosses", "Wabash River")],
}
COLUMNS = {1: ("entity",), 2: ("type", "entity"), 3: ("head", "relation", "tail")}
UNICODE = {
    1: [("北京大学",), ("東京タワー",), ("🎉 party",)],
    2: [("地点", "上海"), ("emoji", "🚀 launch")],
    3: [("李白", "出生地", "碎叶城"), ("Zoë", "likes", "café ☕")],
}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("width", [1, 2, 3])
@pytest.mark.parametrize("data", [ROWS, UNICODE], ids=["ascii", "unicode"])
def test_round_trip(name, width, data):
    fmt, rows, cols = FORMATS[name], data[width], COLUMNS[width]
    assert fmt.parse(fmt.render(rows, cols), cols) == rows


@pytest.mark.parametrize("name", NAMES)
def test_empty_default_form(name):
    fmt = FORMATS[name]
    text = fmt.render([], ("entity",))
    assert text == ("[]" if name == "json" else "None")
    assert fmt.parse(text, ("entity",)) == []


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("empty", ["N/A", "No results found."])
def test_empty_custom_form(name, empty):
    fmt = FORMATS[name]
    assert fmt.render([], ("type", "entity"), empty) == empty
    assert fmt.parse(f"  {empty}\n", ("type", "entity"), empty) == []


def test_exact_renderings():
    rows, cols = [("person", "Ann"), ("org", "ACME")], ("type", "entity")
    assert FORMATS["json"].render(rows, cols) == '[{"type": "person", "entity": "Ann"}, {"type": "org", "entity": "ACME"}]'
    assert FORMATS["json"].render([("Ann",)], ("entity",)) == '["Ann"]'
    assert FORMATS["lines"].render(rows, cols) == "person | Ann\norg | ACME"
    assert FORMATS["table"].render(rows, cols) == "| type | entity |\n|---|---|\n| person | Ann |\n| org | ACME |"
    assert FORMATS["kv"].render(rows, cols) == "type: person\nentity: Ann\n\ntype: org\nentity: ACME"


@pytest.mark.parametrize("width", [1, 2, 3])
def test_table_escapes_pipes(width):
    rows = [tuple(f"a|b{i}" for i in range(width)), tuple("|x|" for _ in range(width))]
    fmt, cols = FORMATS["table"], COLUMNS[width]
    text = fmt.render(rows, cols)
    assert "a\\|b0" in text
    assert fmt.parse(text, cols) == rows


def test_lines_value_with_pipe():
    rows, cols = [("a|b", "c")], ("x", "y")
    assert FORMATS["lines"].parse(FORMATS["lines"].render(rows, cols), cols) == rows


@pytest.mark.parametrize(
    ("name", "text", "columns", "message"),
    [
        ("json", "not json", ("type",), "json: Expecting value"),
        ("json", '{"type": "x"}', ("type",), "json: expected a list"),
        (
            "json",
            '[{"entity": "x", "type": "y"}]',
            ("type", "entity"),
            'json: every item needs exactly the keys "type", "entity"',
        ),
        ("json", '[{"type": "y"}]', ("type", "entity"), 'json: every item needs exactly the keys "type", "entity"'),
        ("table", "| a | b |\n|---|---|\n| 1 | 2 |", ("type", "entity"), 'table: header must be "type", "entity"'),
        ("table", "| type | entity |", ("type", "entity"), 'table: header must be "type", "entity"'),
        ("table", "| type | entity |\n|---|---|\n| 1 |", ("type", "entity"), "table: expected 2 fields per item"),
        ("kv", "entity: x\ntype: y", ("type", "entity"), 'kv: each item needs the lines "type", "entity" in order'),
        ("kv", "type: y", ("type", "entity"), 'kv: each item needs the lines "type", "entity" in order'),
        ("lines", "person Ann", ("type", "entity"), "lines: expected 2 fields per item"),
    ],
)
def test_parse_errors(name, text, columns, message):
    with pytest.raises(ParseError) as info:
        FORMATS[name].parse(text, columns)
    assert str(info.value) == message


@pytest.mark.parametrize("name", NAMES)
def test_describe_names_columns(name):
    for lang in ("en", "zh"):
        text = FORMATS[name].describe(("type", "entity"), lang)
        assert "type" in text
        assert "entity" in text


def test_text_holds_one_free_form_value():
    fmt = FORMATS["text"]
    answer = "Line one | with a pipe\n\nand a blank line"
    assert fmt.render([(answer,)], ("answer",)) == answer
    assert fmt.parse(answer, ("answer",)) == [(answer,)]
    with pytest.raises(ParseError, match="text: answers have one column"):
        fmt.parse(answer, ("a", "b"))
