"""Text normalised at load: NFC and LF line ends, every span moved to cover the same characters."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from hum.textnorm import canonical, clean, one_line

NFD = unicodedata.normalize("NFD", "Café")  # "Cafe" + a combining acute accent: 5 code points
assert len(NFD) == 5


def span(text: str, part: str, **extra: Any) -> dict[str, Any]:
    start = text.index(part)
    return {"start": start, "end": start + len(part), "text": part, **extra}


def covered(record: dict[str, Any], item: dict[str, Any]) -> str:
    return record["text"][item["start"] : item["end"]]


def test_clean_makes_nfc_and_lf_line_ends():
    assert clean(f"{NFD}\r\nAnn\rBob\n") == "Café\nAnn\nBob\n"
    assert clean("ﬁne 北京") == "ﬁne 北京"  # NFC, not NFKC: compatibility characters stay


def test_one_line_collapses_whitespace():
    assert one_line(" Who\r\nmet\t\tBob?\n") == "Who met Bob?"


def test_an_entity_after_a_decomposed_letter_moves_back():
    text = f"{NFD} owner Ann"
    out = canonical({"text": text, "entities": [span(text, "Ann", type="PER"), span(text, NFD, type="ORG")]})
    assert out["text"] == "Café owner Ann"
    assert out["entities"] == [
        {"start": 11, "end": 14, "text": "Ann", "type": "PER"},
        {"start": 0, "end": 4, "text": "Café", "type": "ORG"},
    ]
    assert all(covered(out, e) == e["text"] for e in out["entities"])


def test_a_span_on_the_second_line_of_a_crlf_text():
    text = "first line\r\nAnn met Bob\r\n"
    out = canonical({"text": text, "entities": [span(text, "Bob", type="PER")]})
    assert out["text"] == "first line\nAnn met Bob\n"
    assert out["entities"] == [{"start": 19, "end": 22, "text": "Bob", "type": "PER"}]


def test_a_span_holding_a_line_break_and_an_accent():
    text = f"x\r\n{NFD}\r\nBob\ry"
    out = canonical({"text": text, "entities": [span(text, f"{NFD}\r\nBob", type="ORG")]})
    assert out["text"] == "x\nCafé\nBob\ny"
    assert out["entities"] == [{"start": 2, "end": 10, "text": "Café\nBob", "type": "ORG"}]


def test_a_boundary_inside_a_combining_sequence_keeps_the_pieces_apart():
    """A span ending between "e" and its accent still covers "Cafe"; the accent is not merged across the cut."""
    text = f"{NFD} Bob"
    out = canonical({"text": text, "entities": [{"start": 0, "end": 4, "text": "Cafe", "type": "ORG"}]})
    assert out["text"] == text
    assert covered(out, out["entities"][0]) == "Cafe"


def test_nfc_that_lengthens_a_character():
    """NFC maps a few characters to two or more (Hebrew U+FB2C to three): spans after them move right."""
    text = "\ufb2c Bob"
    out = canonical({"text": text, "entities": [span(text, "Bob", type="PER")]})
    assert len(out["text"]) == len(text) + 2
    assert covered(out, out["entities"][0]) == "Bob"


def test_relation_ends_event_spans_and_answers_move_too():
    text = f"{NFD}\r\nsold Ann aspirin"
    rel = {
        "text": text,
        "entities": [span(text, "Ann")],
        "relations": [{"type": "r", "head": span(text, "Ann"), "tail": span(text, NFD)}],
    }
    event = {
        "text": text,
        "events": [{"type": "e", "trigger": span(text, "sold"), "arguments": [span(text, "aspirin", role="drug")]}],
    }
    mrc = {"text": text, "question": f"Who sold at {NFD}?", "answers": [span(text, "Ann")]}
    out_rel, out_event, out_mrc = canonical(rel), canonical(event), canonical(mrc)
    assert out_rel["text"] == out_event["text"] == out_mrc["text"] == "Café\nsold Ann aspirin"
    rel_spans = [out_rel["entities"][0], out_rel["relations"][0]["head"], out_rel["relations"][0]["tail"]]
    event_spans = [out_event["events"][0]["trigger"], out_event["events"][0]["arguments"][0]]
    for record, items in ((out_rel, rel_spans), (out_event, event_spans), (out_mrc, out_mrc["answers"])):
        assert all(covered(record, item) == item["text"] for item in items)
    assert out_rel["relations"][0]["tail"] == {"start": 0, "end": 4, "text": "Café"}
    assert out_mrc["question"] == "Who sold at Café?"


def test_other_strings_are_nfc():
    assert canonical({"text": "t", "labels": [NFD], "multi_label": False})["labels"] == ["Café"]
    assert canonical({"text": NFD, "tuples": [[NFD, "is", "open"]]})["tuples"] == [["Café", "is", "open"]]
    assert canonical({"text": "Say hi", "output": f"{NFD}\r\n"})["output"] == "Café\n"
    entity = canonical({"text": NFD, "entities": [{"start": 0, "end": 5, "text": NFD, "type": f"{NFD}_NAME"}]})["entities"]
    assert entity == [{"start": 0, "end": 4, "text": "Café", "type": "Café_NAME"}]


def test_a_mismatched_span_stays_mismatched():
    """Span texts are cleaned on their own, never copied from the text: the offset checks still see the error."""
    text = f"{NFD} Ann"
    out = canonical({"text": text, "entities": [{"start": 0, "end": 3, "text": "Ann", "type": "PER"}]})
    assert out["entities"][0]["text"] == "Ann"
    assert covered(out, out["entities"][0]) == "Caf"


@pytest.mark.parametrize(
    ("start", "end", "moved"),
    [(-2, 3, (-2, 3)), (6, 20, (5, 19)), (3, 3, (3, 3)), (7, 6, (6, 5))],
)
def test_offsets_outside_the_text_or_reversed_stay_wrong(start, end, moved):
    """Negative, beyond the end, empty or reversed spans keep what makes them wrong, for the checks to name it."""
    out = canonical({"text": f"{NFD} Ann", "entities": [{"start": start, "end": end, "text": "x", "type": "T"}]})
    assert (out["entities"][0]["start"], out["entities"][0]["end"]) == moved


def test_a_text_of_the_wrong_type_is_left_for_the_checks():
    record = {"text": 5, "labels": ["x"]}
    assert canonical(record) is record


def test_the_input_record_is_not_changed():
    text = f"{NFD} Ann"
    record = {"text": text, "entities": [span(text, "Ann", type="PER")]}
    canonical(record)
    assert record == {"text": text, "entities": [span(text, "Ann", type="PER")]}
