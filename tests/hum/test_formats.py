from __future__ import annotations

import itertools
import random
import re
import string
import sys
from collections import Counter

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from conftest import DATA, ROOT
from hum.formats import FORMATS, Format, ParseError
from hum.formats.base import PLAIN
from hum.formats.escapes import BREAKS, escape
from hum.formats.yaml_list import dumped
from hum.io import read_jsonl
from hum.normalise import normalise
from hum.phrasing import load_phrasings
from hum.tasks import TASKS

NAMES = sorted(set(FORMATS) - {"text"})  # `text` holds one free-form value: tested on its own below
NEW = ["bullets", "code", "csv", "json_grouped", "numbered", "sentences", "tuples", "xml", "yaml"]
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
PHRASINGS = load_phrasings(ROOT / "data/templates")
EMPTY_FORMS = sorted({p.text for key, pool in PHRASINGS.pools.items() if key[0] == "empty" for p in pool})


def widths(name: str) -> list[int]:
    return [w for w in (1, 2, 3) if w >= FORMATS[name].min_columns]


CASES = [(name, w) for name in NAMES for w in widths(name)]


# What a format cannot hold, so generation falls back to JSON (`hum.generate.renderable`). Every format escapes or
# quotes its own syntax, so what is left is what no escape can write: a one-column `lines` item with an empty value (its
# line is blank, and blank lines are skipped), an answer that reads as the empty form, and the edge spaces of free text.
# Real gold values are stripped and non-empty, so in practice only a one-item `lines` answer equal to the empty form falls back.
def kinds(rows: list[tuple[str, ...]], fmt: Format, columns: tuple[str, ...], empty: str | None = None) -> set[str]:
    """The kinds of value in `rows` a format may declare it cannot hold."""
    values = [v for r in rows for v in r]
    found = {
        "padding": any(v != v.strip() for v in values),
        "blank_line": len(columns) == 1 and any(not v for v in values),
        "empty_form": bool(rows) and fmt.render(rows, columns, empty).strip() == (empty or fmt.default_empty),
    }
    return {k for k, present in found.items() if present}


CANNOT: dict[str, set[str]] = {
    "lines": {"blank_line", "empty_form"},  # blank lines are skipped; a lone item is written bare
    "text": {"padding", "empty_form"},  # the whole answer is stripped
}


def round_trips(fmt: Format, rows: list[tuple[str, ...]], columns: tuple[str, ...], empty: str | None = None) -> bool:
    rows = fmt.arrange(rows)
    try:
        return fmt.parse(fmt.render(rows, columns, empty), columns, empty) == rows
    except ParseError:
        return False


def holds(name: str, rows: list[tuple[str, ...]], columns: tuple[str, ...], empty: str | None = None) -> bool:
    """The contract: a round trip, unless the rows hold a kind of value the format declared it cannot hold."""
    fmt = FORMATS[name]
    return round_trips(fmt, rows, columns, empty) or bool(kinds(fmt.arrange(rows), fmt, columns, empty) & CANNOT.get(name, set()))


# Values: random text glued to the characters formats use as syntax.
SYNTAX = [*"\"'\\|,;:#[](){}<>&=-*.`", "&amp;", "&#10;", "<tags>", "</item>", "\\n", "\\u0020", " | ", "; ", ": ", "- "]
SYNTAX += ["1. ", "Item(", '="', "None", "null", "[]", "{}", "北京", "上海大学", "🎉", "👩‍💻", "\t", " ", "\u3000", "\xa0"]
NEWLINES = ["\n", "\r\n", "\r", "\n\n", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c"]
piece = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + " ", max_size=6), st.sampled_from(SYNTAX), st.text(max_size=3)
)
raw = st.lists(piece, max_size=5).map("".join)
ordinary = raw.map(lambda v: "".join(c for c in v if c not in BREAKS).strip() or "x")  # as real gold values are
unruly = st.lists(st.one_of(piece, st.sampled_from(NEWLINES)), max_size=6).map("".join)


def table(values: st.SearchStrategy[str], width: int) -> st.SearchStrategy[list[tuple[str, ...]]]:
    # few distinct first fields, so json_grouped has groups of several rows to arrange
    first = st.one_of(st.sampled_from(["person", "org", "北京"]), values)
    return st.lists(st.tuples(first, *[values] * (width - 1)), min_size=1, max_size=5)


@pytest.mark.parametrize(("name", "width"), CASES)
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_ordinary_values_round_trip(name, width, data):
    rows, columns = data.draw(table(ordinary, width)), COLUMNS[width]
    empty = data.draw(st.sampled_from([None, *EMPTY_FORMS]))
    assert holds(name, rows, columns, empty), FORMATS[name].render(FORMATS[name].arrange(rows), columns, empty)


@pytest.mark.parametrize(("name", "width"), CASES)
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_newlines_padding_and_blanks(name, width, data):
    rows, columns = data.draw(table(unruly, width)), COLUMNS[width]
    assert holds(name, rows, columns), FORMATS[name].render(FORMATS[name].arrange(rows), columns)


# Plain values (`hum.formats.base.PLAIN`): words of letters, digits and everyday punctuation, with words formats may
# read otherwise (YAML numbers, booleans and indicators, the empty forms, list markers).
TRICKY = ["None", "null", "yes", "No", "-", "---", "...", "1.", "0123", "1e3", "0x1F", "#x", "@x", "a:", ":", "(a)", "N/A"]
plain_word = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + ".,'-:/@#&()!?" + "北京éß٣", min_size=1, max_size=8),
    st.sampled_from(TRICKY + [w for form in EMPTY_FORMS for w in form.split() if PLAIN.fullmatch(w)]),
)
plain = st.lists(plain_word, min_size=1, max_size=3).map(" ".join)


@pytest.mark.parametrize(("name", "width"), [*CASES, ("json", 4), ("table", 4), ("yaml", 4)])
@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_reads_back_at_a_glance_only_what_parsing_reads_back(name, width, data):
    """`reads_back` skips the parse for plain values (any value for JSON): it must say what the parse says."""
    fmt, columns = FORMATS[name], (*COLUMNS[min(width, 3)], "start", "end")[:width] if width > 3 else COLUMNS[width]
    rows = fmt.arrange(data.draw(table(st.one_of(raw, unruly) if fmt.verbatim else plain, width)))
    empty = data.draw(st.sampled_from([None, *EMPTY_FORMS]))
    assert fmt.verbatim or all(PLAIN.fullmatch(v) for r in rows for v in r)
    assert fmt.reads_back(fmt.render(rows, columns, empty), rows, columns, empty) == round_trips(fmt, rows, columns, empty)


def escaped_each(value, special, bare_start, bare_end):
    """`escape` by its definition, character by character."""

    def one(c):
        if c == "\\" or c in special:
            return "\\" + c
        return {"\n": "\\n", "\r": "\\r"}.get(c) or (f"\\u{ord(c):04x}" if c in BREAKS else c)

    out = [one(c) for c in value]
    if bare_start and value[:1].isspace():
        out[0] = f"\\u{ord(value[0]):04x}"
    if bare_end and value[-1:].isspace():
        out[-1] = f"\\u{ord(value[-1]):04x}"
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(st.one_of(raw, unruly, plain), st.sampled_from(["", "|", ";"]), st.booleans(), st.booleans())
def test_escape_leaves_an_ordinary_value_as_it_is_and_escapes_the_rest_char_by_char(value, special, start, end):
    assert escape(value, special, bare_start=start, bare_end=end) == escaped_each(value, special, start, end)


bare_word = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + "_北京éß٣Ⅻ", min_size=1, max_size=8),
    st.sampled_from(["null", "Null", "true", "Yes", "off", "0123", "1_000", "0x1F", "0b101", "1e3", "nan", "inf", "190", "y"]),
)
bare = st.lists(bare_word, min_size=1, max_size=3).map(" ".join)


@pytest.mark.parametrize("width", [1, 2, 3, 4])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_yaml_written_without_the_emitter_is_what_pyyaml_writes(width, data):
    """YAML answers written directly (bare words, values PyYAML writes as they are) are byte for byte what PyYAML writes."""
    columns = (*COLUMNS[min(width, 3)], "start", "end")[:width] if width > 3 else COLUMNS[width]
    rows = data.draw(table(st.one_of(bare, plain, ordinary, unruly, st.sampled_from(["", " x", "x ", "a: b", "x #y"])), width))
    items = [r[0] for r in rows] if width == 1 else [dict(zip(columns, r, strict=True)) for r in rows]
    assert FORMATS["yaml"].render(rows, columns) == dumped(items)


@pytest.mark.parametrize("name", NEW)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_new_formats_hold_every_value_and_never_read_as_empty(name, data):
    width = data.draw(st.sampled_from(widths(name)))
    rows, columns = data.draw(table(unruly, width)), COLUMNS[width]
    empty = data.draw(st.sampled_from([None, *EMPTY_FORMS]))
    fmt = FORMATS[name]
    assert round_trips(fmt, rows, columns, empty)
    assert fmt.render(fmt.arrange(rows), columns).strip() not in {*EMPTY_FORMS, "None", "[]", "{}"}


@pytest.mark.parametrize(("name", "width"), CASES)
@pytest.mark.parametrize("data", [ROWS, UNICODE], ids=["ascii", "unicode"])
def test_round_trip(name, width, data):
    fmt, rows, cols = FORMATS[name], data[width], COLUMNS[width]
    assert fmt.parse(fmt.render(fmt.arrange(rows), cols), cols) == fmt.arrange(rows)


# Real gold: every query the tasks build over the shared samples, in every format.
OIE_CFG = {"name": "carb", "task": "oie", "lang": "en", "loader": "jsonl"}
EE_CFG = yaml.safe_load((ROOT / "conf/datasets/phee.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def gold(records) -> list[tuple[tuple[str, ...], list[tuple[str, ...]]]]:
    """(columns, gold rows) of every sub-task's query over the first records of each sample."""
    samples = {
        **records,
        "crossner": [
            normalise(r, {"name": "crossner_ai", "task": "ner", "lang": "en"}, i)
            for i, r in enumerate(itertools.islice(read_jsonl(DATA / "ner/crossner_ai_test.jsonl"), 200))
        ],
        "oie": [normalise(r, OIE_CFG, i) for i, r in enumerate(itertools.islice(read_jsonl(DATA / "oie/carb_dev.jsonl"), 200))],
        "ee": [normalise(r, EE_CFG, i) for i, r in enumerate(itertools.islice(read_jsonl(DATA / "ee/phee_dev.jsonl"), 200))],
    }
    out = []
    for recs in samples.values():
        task = TASKS[recs[0]["task"]]
        labels = sorted({lab for r in recs for lab in task.labels_of(r)})
        for i, rec in enumerate(recs):
            for subtask in task.subtasks:
                q = task.query(rec, labels, random.Random(i), subtask)
                if q.rows:
                    out.append((q.columns, q.rows))
    return out


def test_real_gold_round_trips(gold):
    assert len(gold) > 1000
    tried, fallbacks, unexplained = Counter[str](), Counter[str](), Counter[str]()
    for (columns, rows), name in itertools.product(gold, FORMATS):
        fmt = FORMATS[name]
        if len(columns) < fmt.min_columns or (name == "text" and (len(rows), len(columns)) != (1, 1)):
            continue
        tried[name] += 1
        if not round_trips(fmt, rows, columns):
            fallbacks[name] += 1
            unexplained[name] += not kinds(fmt.arrange(rows), fmt, columns) & CANNOT.get(name, set())
    report = ", ".join(f"{n}: {fallbacks[n]}/{tried[n]}" for n in sorted(tried))
    assert not +unexplained, f"fallbacks per format: {report}; unexplained: {dict(unexplained)}"
    assert all(fallbacks[n] == 0 for n in NEW), f"fallbacks per format: {report}"
    assert all(fallbacks[n] <= tried[n] // 100 for n in tried), f"fallbacks per format: {report}"


@pytest.mark.parametrize("name", NAMES)
def test_empty_default_form(name):
    fmt, columns = FORMATS[name], COLUMNS[max(2, FORMATS[name].min_columns)]
    text = fmt.render([], columns)
    assert text == {"json": "[]", "yaml": "[]", "json_grouped": "{}"}.get(name, "None")
    assert fmt.parse(text, columns) == []


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


NER = [("person", "Taylor Swift"), ("org", "ACME, Inc."), ("person", "Ann")]
TRIPLES = [("Ann", "works for", "ACME (US)"), ("ACME (US)", "based in", "Ohio")]
EXACT = {
    "yaml": [
        (NER, "- type: person\n  entity: Taylor Swift\n- type: org\n  entity: ACME, Inc.\n- type: person\n  entity: Ann"),
        ([("Paris",), ("123",), ("yes: no",)], "- Paris\n- '123'\n- 'yes: no'"),
    ],
    "xml": [
        (NER[:1], "<item><type>person</type><entity>Taylor Swift</entity></item>"),
        ([("AT&T <b>",), ("a\nb",)], "<entity>AT&amp;T &lt;b&gt;</entity>\n<entity>a&#10;b</entity>"),
    ],
    "csv": [
        (NER, 'type,entity\nperson,Taylor Swift\norg,"ACME, Inc."\nperson,Ann'),
        ([('say "hi"',), (" pad",)], 'entity\n"say ""hi"""\n" pad"'),
    ],
    "json_grouped": [
        (NER, '{"person": ["Taylor Swift", "Ann"], "org": ["ACME, Inc."]}'),
        (
            TRIPLES,
            '{"Ann": [{"relation": "works for", "tail": "ACME (US)"}], "ACME (US)": [{"relation": "based in", "tail": "Ohio"}]}',
        ),
    ],
    "tuples": [
        (TRIPLES, "(Ann; works for; ACME \\(US\\))\n(ACME \\(US\\); based in; Ohio)"),
        ([("a;b",), ("c\\d",)], "(a\\;b)\n(c\\\\d)"),
    ],
    "code": [
        (NER[:2], 'Item(type="person", entity="Taylor Swift")\nItem(type="org", entity="ACME, Inc.")'),
        ([('say "hi"\n',)], 'Item(entity="say \\"hi\\"\\n")'),
    ],
    "bullets": [
        (NER[:2], "- type: person; entity: Taylor Swift\n- type: org; entity: ACME, Inc."),
        ([("a; b",), ("two\nlines",)], "- a; b\n- two\\nlines"),
        ([("x; y", "end ")], "- type: x\\; y; entity: end\\u0020"),
    ],
    "numbered": [
        (NER[:2], "1. type: person; entity: Taylor Swift\n2. type: org; entity: ACME, Inc."),
        ([("Paris",), ("Rome",)], "1. Paris\n2. Rome"),
    ],
    "sentences": [
        (NER[:2], 'The type is "person" and the entity is "Taylor Swift".\nThe type is "org" and the entity is "ACME, Inc.".'),
        (TRIPLES[:1], 'The head is "Ann", the relation is "works for" and the tail is "ACME (US)".'),
        ([('"quoted" \\ text',)], 'The entity is "\\"quoted\\" \\\\ text".'),
    ],
}


# Values a separator, an escape or markdown could misread, in the formats that once could not hold them all.
HOSTILE = [("a | b", "x\\|y"), ("*bold*", "[link](u)"), ("&amp;", " pad")]
EXACT |= {
    "lines": [
        (HOSTILE, "a \\| b | x\\\\\\|y\n*bold* | [link](u)\n&amp; | \\u0020pad"),
        ([("a | b",), ("x\\|y",), ("two\nlines",)], "a | b\nx\\\\|y\ntwo\\nlines"),
    ],
    "table": [
        (
            HOSTILE,
            "| type | entity |\n|---|---|\n| a \\| b | x\\\\\\|y |\n| \\*bold\\* | \\[link\\](u) |\n| \\&amp; | &#32;pad |",
        ),
        (
            [("AT&T <i>",), ("`code` ~~x~~ _y_",), ("two\nlines ",)],
            "| entity |\n|---|\n| AT&T \\<i> |\n| \\`code\\` \\~\\~x\\~\\~ \\_y\\_ |\n| two&#10;lines&#32; |",
        ),
        ([("", "Zoë, 北京: it's 1.5-2 🎉")], "| type | entity |\n|---|---|\n|  | Zoë, 北京: it's 1.5-2 🎉 |"),
        ([("card_arrival",), ("_x a__b_",)], "| entity |\n|---|\n| card_arrival |\n| \\_x a__b\\_ |"),
    ],
    "kv": [
        (HOSTILE, "type: a | b\nentity: x\\\\|y\n\ntype: *bold*\nentity: [link](u)\n\ntype: &amp;\nentity: \\u0020pad"),
        ([("two\n\nlines", "end\\ "), ("", "x: y")], "type: two\\n\\nlines\nentity: end\\\\\\u0020\n\ntype: \nentity: x: y"),
    ],
}


@pytest.mark.parametrize(("name", "rows", "text"), [(n, r, t) for n, cases in EXACT.items() for r, t in cases])
def test_exact_renderings_per_format(name, rows, text):
    fmt, columns = FORMATS[name], COLUMNS[len(rows[0])]
    assert fmt.render(fmt.arrange(rows), columns) == text
    assert fmt.parse(text, columns) == fmt.arrange(rows)


def test_json_grouped_arranges_by_first_appearance():
    fmt = FORMATS["json_grouped"]
    assert fmt.arrange(NER) == [NER[0], NER[2], NER[1]]
    assert fmt.arrange([]) == []
    assert (fmt.min_columns, fmt.conflicts) == (2, frozenset({"order"}))
    assert all(FORMATS[n].arrange(NER) == NER and not FORMATS[n].conflicts for n in FORMATS if n != "json_grouped")
    with pytest.raises(ParseError, match="json_grouped: needs at least 2 columns"):
        fmt.render([("x",)], ("entity",))


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
        ("kv", "type y\nentity: x", ("type", "entity"), 'kv: each item needs the lines "type", "entity" in order'),
        ("lines", "a \\| b", ("type", "entity"), "lines: expected 2 fields per item"),
        ("lines", "person Ann", ("type", "entity"), "lines: expected 2 fields per item"),
        ("yaml", "- a\n- [b", ("entity",), "yaml: not valid YAML (ParserError)"),
        ("yaml", "entity: x", ("entity",), "yaml: expected a list"),
        ("yaml", "- entity: x\n  type: y", ("type", "entity"), 'yaml: every item needs exactly the keys "type", "entity"'),
        ("yaml", "- [x]", ("entity",), "yaml: every value must be a string"),
        (
            "xml",
            "<item><entity>x</entity></item>",
            ("type", "entity"),
            "xml: every item must be written <item><type>...</type><entity>...</entity></item>",
        ),
        ("csv", "type,entity\n1", ("type", "entity"), "csv: expected 2 fields per item"),
        ("csv", "entity,type\n1,2", ("type", "entity"), 'csv: the header row must be "type", "entity"'),
        ("json_grouped", '["x"]', ("type", "entity"), "json_grouped: expected an object mapping each type to a non-empty list"),
        ("json_grouped", '{"a": ["x"], "a": ["y"]}', ("type", "entity"), "json_grouped: a key occurs twice"),
        ("json_grouped", '{"a": [{"x": "1"}]}', ("h", "r", "t"), 'json_grouped: every item needs exactly the keys "r", "t"'),
        ("tuples", "(a; b", ("type", "entity"), "tuples: each line must be one tuple (type; entity)"),
        ("tuples", "(a; b; c)", ("type", "entity"), "tuples: each line must be one tuple (type; entity)"),
        (
            "code",
            'Item(entity="x", type="y")',
            ("type", "entity"),
            'code: each line must be one call Item(type="...", entity="...")',
        ),
        (
            "code",
            "Item(type='x', entity='y')",
            ("type", "entity"),
            'code: each line must be one call Item(type="...", entity="...")',
        ),
        ("bullets", "- entity: x; type: y", ("type", "entity"), "bullets: each line must be one item - type: ...; entity: ..."),
        ("numbered", "1. a\n3. b", ("entity",), "numbered: item 2 is numbered 3"),
        ("numbered", "- a", ("entity",), "numbered: each line must be one item 1. ..."),
        (
            "sentences",
            'The type is "x".',
            ("type", "entity"),
            'sentences: each line must read The type is "..." and the entity is "...".',
        ),
    ],
)
def test_parse_errors(name, text, columns, message):
    with pytest.raises(ParseError) as info:
        FORMATS[name].parse(text, columns)
    assert str(info.value) == message


def test_lenient_reading_of_model_like_output():
    assert FORMATS["xml"].parse("<item>\n  <type>a</type>\n  <entity>b</entity>\n</item>", ("type", "entity")) == [("a", "b")]
    assert FORMATS["code"].parse('Item( type = "a" , entity = "b", )\n\n', ("type", "entity")) == [("a", "b")]
    assert FORMATS["bullets"].parse("* a\n\n- b", ("entity",)) == [("a",), ("b",)]
    assert FORMATS["yaml"].parse("- 2024\n- 1.5", ("entity",)) == [("2024",), ("1.5",)]
    assert FORMATS["lines"].parse("a|b\n\n c |d ", ("type", "entity")) == [("a", "b"), ("c", "d")]
    assert FORMATS["kv"].parse("type:a\n entity :  b \n\n\n\ntype: c\nentity: d", ("type", "entity")) == [("a", "b"), ("c", "d")]
    assert FORMATS["table"].parse("type | entity\n--|--\n*a* | b\\\\c &lt;", ("type", "entity")) == [("*a*", "b\\c <")]


# A CommonMark reader with GFM tables and strikethrough reads back every cell of a `table` answer as exactly its value.
MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])
MARKUP = [*"\\|`*_[]<>&~!#", "\\|", "**", "__", "~~", "](u)", "![", "<b>", "</i>", "<http://x.y>", "<a@b.c>", "&amp;", "&#10;"]
MARKUP += ["&#x41;", "&copy", "&nosuch;", "\\&amp;", "www.x.com", "a_b", "x__y", "é_", "_", "# h", "- ", "1. ", "> ", "---"]
MARKUP += ["北京大学", "🎉", "\t", "\u3000"]
# CommonMark reads NUL as U+FFFD; markdown-it trims U+000B from a cell's edge but reads `&#11;` as U+FFFD too.
markdown_value = st.lists(st.one_of(piece, st.sampled_from(MARKUP + NEWLINES)), max_size=6).map("".join)
markdown_value = markdown_value.filter(lambda v: "\x00" not in v and "\x0b" not in v[:1] + v[-1:])


def markdown_cells(text: str) -> list[tuple[str, ...]]:
    """The rows of the table markdown-it reads in `text`, each cell as its text; a cell that holds any markup fails."""
    rows: list[list[str]] = []
    for before, token in itertools.pairwise(MARKDOWN.parse(text)):
        if before.type == "tr_open":
            rows.append([])
        if before.type in {"th_open", "td_open"}:
            children = token.children or []
            assert [c.type for c in children if c.type != "text"] == [], (text, children)
            rows[-1].append("".join(c.content for c in children))
    return [tuple(r) for r in rows]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_table_cells_read_back_exactly_in_commonmark(data):
    width = data.draw(st.sampled_from([1, 2, 3]))
    rows, columns, fmt = data.draw(table(markdown_value, width)), COLUMNS[width], FORMATS["table"]
    text = fmt.render(rows, columns)
    assert markdown_cells(text) == [columns, *rows], text
    assert fmt.parse(text, columns) == rows


def test_table_cells_of_hostile_values_in_commonmark():
    values = ["a | b", "x\\|y", "*bold*", "[link](u)", "&amp;", "AT&T", "<b>", "`c`", "~~s~~", "_i_", "\\", " pad\n", ""]
    rows = [(v, "北京 🎉") for v in values]
    text = FORMATS["table"].render(rows, ("type", "entity"))
    assert markdown_cells(text) == [("type", "entity"), *rows]
    assert MARKDOWN.render(text).count("<td>") == 2 * len(rows)
    assert "<td>*bold*</td><td>" in MARKDOWN.render(text).replace("\n", "")


@pytest.mark.parametrize(("name", "width"), CASES)
def test_values_with_pipes(name, width):
    rows = [tuple(f"a|b{i}" for i in range(width)), tuple("|x|" for _ in range(width)), tuple(" | " for _ in range(width))]
    fmt, cols = FORMATS[name], COLUMNS[width]
    assert fmt.parse(fmt.render(fmt.arrange(rows), cols), cols) == fmt.arrange(rows)


def test_lines_value_with_pipe():
    fmt, rows, cols = FORMATS["lines"], [("a|b", "c"), ("x", "y | z"), ("\\|", "|")], ("x", "y")
    assert fmt.render(rows, cols) == "a\\|b | c\nx | y \\| z\n\\\\\\| | \\|"
    assert fmt.parse(fmt.render(rows, cols), cols) == rows
    assert fmt.parse("a\\|b|c\n x|y \\| z ", cols) == [("a|b", "c"), ("x", "y | z")]  # spaces round a separator are optional
    assert fmt.render([("a|b",)], ("entity",)) == "a|b"  # one column: nothing to separate


def test_registry_and_phrasing_files():
    assert len(FORMATS) >= 14
    files = {p.stem for p in (ROOT / "data/templates/formats").glob("*.yaml")}
    assert files == set(FORMATS)
    for name, fmt in FORMATS.items():
        assert fmt.name == name
        assert type(fmt).__doc__
        assert sys.modules[type(fmt).__module__].__doc__
        for lang, width, single in itertools.product(("en", "zh"), widths(name), (False, True)):
            assert PHRASINGS.format_spec(random.Random(0), name, lang, width, single=single).text


def test_every_phrasing_fills():
    """Every phrasing of every format, in both languages, fills from `slots` with no placeholder or brace left over."""
    seen = Counter[tuple[str, str]]()
    for key, pool in PHRASINGS.pools.items():
        if key[0] != "format":
            continue
        _, name, lang, shape = key
        fmt = FORMATS[name]
        shape_widths = {"one": [1], "single": [1], "many": [2, 3]}.get(shape, [1, 2, 3])
        for phrase, width in itertools.product(pool, [w for w in shape_widths if w >= fmt.min_columns]):
            columns = COLUMNS[width]
            text = fmt.describe(phrase.text, columns)
            assert text.strip()
            assert "{" not in phrase.text.format(**dict.fromkeys(fmt.slots(columns), "X")), phrase.id
            assert "}" not in phrase.text.format(**dict.fromkeys(fmt.slots(columns), "X")), phrase.id
            if lang == "zh":
                bare = re.sub(r"\{\w+\}|&\w+;", "", phrase.text)
                assert not re.search(r"[,:;?!] |\.$", bare), phrase.id  # full-width punctuation in Chinese
            seen[name, lang] += 1
    assert {name for name, _ in seen} == set(FORMATS)
    assert all(seen[name, lang] >= 3 for name in FORMATS for lang in ("en", "zh")), seen


ONE_COLUMN = sorted(name for name, fmt in FORMATS.items() if fmt.min_columns == 1)
SEVERAL = re.compile(r"\b(each|every|per|all|results|items|lines)\b|每|各|所有|逐")  # wording that presumes several items


@pytest.mark.parametrize("name", ONE_COLUMN)
def test_every_format_that_takes_one_column_has_single_phrasings(name):
    """An answer of one item (a class label, an answer span) is told so in both languages, never "one per line"."""
    for lang in ("en", "zh"):
        pool = PHRASINGS.pools.get(("format", name, lang, "single"), [])
        assert len(pool) >= 3, (name, lang)
        for phrase in pool:
            assert not SEVERAL.search(phrase.text), phrase.id


def test_json_grouped_has_no_single_pool():
    """It needs two columns, and `single` is for one-column answers."""
    assert not any(key[:2] == ("format", "json_grouped") and key[3] == "single" for key in PHRASINGS.pools)


@pytest.mark.parametrize(("name", "width", "single", "shape"), [
    ("json", 1, True, "single"),
    ("json", 1, False, "one"),
    ("json", 2, True, "many"),  # a label with its reason: `many` names the fields
    ("csv", 1, True, "single"),
    ("csv", 1, False, "any"),
    ("csv", 2, True, "any"),
    ("json_grouped", 2, True, "any"),
])  # fmt: skip
def test_format_spec_takes_the_most_specific_pool(name, width, single, shape):
    for lang, seed in itertools.product(("en", "zh"), range(5)):
        phrase = PHRASINGS.format_spec(random.Random(seed), name, lang, width, single=single)
        assert phrase.id.startswith(f"format.{name}.{lang}.{shape}."), phrase.id


def test_single_phrasings_show_the_answer_as_it_is_rendered():
    """A `single` phrasing that shows the answer's syntax (its pattern or key line) shows what the format writes for one item."""
    for name, lang in itertools.product(ONE_COLUMN, ("en", "zh")):
        fmt, columns, value = FORMATS[name], ("label",), "card_arrival"
        answer = fmt.render([(value,)], columns)
        assert fmt.parse(answer, columns) == [(value,)]
        for phrase, slot in itertools.product(PHRASINGS.pools["format", name, lang, "single"], ("pattern", "keys")):
            if "{" + slot + "}" in phrase.text:
                shown = fmt.slots(columns)[slot].strip('"')  # a placeholder "..." or the column name stands for the value
                assert answer in {shown.replace("...", value), shown.replace(columns[0], value)}, (phrase.id, shown, answer)


@pytest.mark.parametrize("name", NAMES)
def test_describe_names_the_columns(name):
    """Every phrasing for several columns names them (in a list, a pattern or an example)."""
    for lang, width in itertools.product(("en", "zh"), [w for w in (2, 3) if w >= FORMATS[name].min_columns]):
        pool = PHRASINGS.pools.get(("format", name, lang, "many")) or PHRASINGS.pools["format", name, lang, "any"]
        for phrase in pool:
            text = FORMATS[name].describe(phrase.text, COLUMNS[width])
            assert all(c in text for c in COLUMNS[width]), text


def test_text_holds_one_free_form_value():
    fmt = FORMATS["text"]
    answer = "Line one | with a pipe\n\nand a blank line"
    assert fmt.render([(answer,)], ("answer",)) == answer
    assert fmt.parse(answer, ("answer",)) == [(answer,)]
    with pytest.raises(ParseError, match="text: answers have one column"):
        fmt.parse(answer, ("a", "b"))


@settings(max_examples=100, deadline=None)
@given(value=st.one_of(raw, unruly))
def test_text_round_trips_one_value(value):
    fmt = FORMATS["text"]
    assert holds("text", [(value,)], ("answer",)), fmt.render([(value,)], ("answer",))
