"""Gold requests: every answer recomputed here from the gold, independently of `hum.requests`, on real samples."""

from __future__ import annotations

import random
import re
import string
from collections import Counter
from dataclasses import replace

import pytest

from conftest import ROOT, prepare_samples
from hum.instructions import LIST_SEP, is_request
from hum.phrasing import Phrase, _request_pools, load_phrasings
from hum.prepare import load_labelsets, train_records
from hum.requests import KINDS, Ask, Kind, gold_request, request_text

DATASETS = (
    *("wnut17", "crossner_ai", "crossner_music", "semeval2010_task8", "fewrel"),
    *("phee", "xquad_en", "xquad_zh", "banking77", "clinc150"),
)
SEEDS = range(8)
YES = {"en": "Yes", "zh": "是"}
NO = {"en": "No", "zh": "否"}
STOPS = ".!?。！？"
FIELD = re.compile(r"\{[^{}]*\}")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """The first 60 training records of each real sample, through `prepare`."""
    return prepare_samples(DATASETS, tmp_path_factory.mktemp("prepared"), 60)


@pytest.fixture(scope="module")
def seeds(prepared):
    return list(train_records(prepared, "general"))


@pytest.fixture(scope="module")
def labelsets(prepared):
    return load_labelsets(prepared)


@pytest.fixture(scope="module")
def phrasings():
    return load_phrasings(ROOT / "data/templates")


@pytest.fixture(scope="module")
def asked(seeds, labelsets, phrasings):
    """(record, lang, ask, request) for every record and seed; English records are asked in both languages."""
    out = []
    for seed in SEEDS:
        for rec in seeds:
            lang = "zh" if rec["lang"] == "zh" or seed % 2 else "en"
            got = gold_request(rec, labelsets[rec["dataset"]], random.Random(f"{seed}:{rec['id']}"), lang, phrasings)
            if got is not None:
                out.append((rec, lang, got[0], request_text(*got)))
    return out


# --- the answers, recomputed from the gold -------------------------------------------------------------------------


def mentions(rec, label):
    if rec["task"] == "ner":
        return {(e["start"], e["end"]) for e in rec["entities"] if e["type"] == label}
    if rec["task"] == "ee":
        return {(ev["trigger"]["start"], ev["trigger"]["end"]) for ev in rec["events"] if ev["type"] == label}
    pairs = [(r["head"], r["tail"]) for r in rec["relations"] if r["type"] == label]
    return {(h["start"], h["end"], t["start"], t["end"]) for h, t in pairs}


def in_first_mention_order(spans, items):
    """Items are the distinct span texts, ordered by their first gold mention and by their first place in the text."""
    first = {}
    for s in sorted(spans, key=lambda s: s["start"]):
        first.setdefault(s["text"], s["start"])
    return items == sorted(first, key=first.get) and len(set(items)) == len(items)


def a_sentence(text, answer, start, end):
    """`answer` is a whole sentence of `text` (cut at stops), holding [start, end), and not the whole text."""
    places = [m.start() for m in re.finditer(re.escape(answer), text)]
    at = next((p for p in places if p <= start and end <= p + len(answer)), None)
    if at is None:
        return False
    before, after = text[:at].rstrip(), text[at + len(answer) :].strip()
    return (not before or before[-1] in STOPS) and (not after or answer[-1] in STOPS) and answer != text.strip()


def check(rec, lang, ask):  # noqa: C901, PLR0911 - one branch per kind
    s, text, answer = ask.slots, rec["text"], ask.answer
    if ask.kind == "count":
        return answer == str(len(mentions(rec, s["label"])))
    if ask.kind == "exists":
        return answer == (YES if mentions(rec, s["label"]) else NO)[lang]
    if ask.kind == "about":
        return answer == (YES if s["label"] in rec["labels"] else NO)[lang]
    if ask.kind == "list_by_type":
        return in_first_mention_order([e for e in rec["entities"] if e["type"] == s["label"]], answer.split("\n"))
    if ask.kind == "role_of":
        events = [ev for ev in rec["events"] if (ev["type"], ev["trigger"]["text"]) == (s["event_type"], s["trigger"])]
        args = [a for ev in events for a in ev["arguments"] if a["role"] == s["role"]]
        return text.count(s["trigger"]) == 1 and in_first_mention_order(args, answer.split("\n"))
    if ask.kind == "trigger_of":
        triggers = {(ev["trigger"]["start"], ev["trigger"]["text"]) for ev in rec["events"] if ev["type"] == s["label"]}
        return len(triggers) == 1 and answer == triggers.pop()[1]
    if ask.kind == "relation_between":
        types = {r["type"] for r in rec["relations"] if {r["head"]["text"], r["tail"]["text"]} == {s["head"], s["tail"]}}
        return types == {answer} and answer in s["options"].split(LIST_SEP[lang])
    if ask.kind in {"tail_of", "head_of"}:
        given, other = ("head", "tail") if ask.kind == "tail_of" else ("tail", "head")
        found = {r[other]["text"] for r in rec["relations"] if (r["type"], r[given]["text"]) == (s["relation"], s[given])}
        return found == {answer}
    if ask.kind == "sentence_of":
        start = text.find(s["mention"])
        return text.count(s["mention"]) == 1 and a_sentence(text, answer, start, start + len(s["mention"]))
    if ask.kind == "answer_sentence":
        return s["question"] == rec["question"] and all(a_sentence(text, answer, a["start"], a["end"]) for a in rec["answers"])
    if ask.kind == "which_first":
        other = s["b"] if answer == s["a"] else s["a"]
        return answer in {s["a"], s["b"]} and all(text.count(x) == 1 for x in s.values()) and text.find(answer) < text.find(other)
    if ask.kind == "type_of":
        types = {e["type"] for e in rec["entities"] if e["text"] == s["entity"]}
        return types == {answer} and answer in s["options"].split(LIST_SEP[lang])
    raise AssertionError(f"no check for {ask.kind}")


def test_every_answer_is_recomputed_from_gold(asked):
    assert len(asked) > 3000
    for rec, lang, ask, _ in asked:
        assert rec["task"] in KINDS[ask.kind].tasks
        assert set(ask.slots) == set(KINDS[ask.kind].slots)
        assert check(rec, lang, ask), (rec, ask)


def test_checks_catch_a_wrong_answer(asked):
    flip = {"Yes": "No", "No": "Yes", "是": "否", "否": "是"}
    for rec, lang, ask, _ in asked[::5]:
        wrong = flip.get(ask.answer) or (str(int(ask.answer) + 1) if ask.answer.isdigit() else f"{ask.answer} x")
        assert not check(rec, lang, replace(ask, answer=wrong)), ask


def test_every_kind_in_both_languages(asked):
    seen = Counter((ask.kind, lang) for _, lang, ask, _ in asked)
    assert set(seen) == {(k, lang) for k in KINDS for lang in ("en", "zh")}, sorted(set(seen))
    assert len(KINDS) >= 6


def test_yes_no_asks_present_and_absent_labels(asked):
    answers = Counter(ask.answer for _, _, ask, _ in asked if ask.kind in {"exists", "about"})
    yes, no = answers["Yes"] + answers["是"], answers["No"] + answers["否"]
    assert 0.3 < yes / (yes + no) < 0.7, answers
    counts = Counter(ask.answer for _, _, ask, _ in asked if ask.kind == "count")
    assert counts["0"]
    assert sum(counts.values()) > counts["0"] * 2


def test_request_never_gives_a_span_answer_away(asked):
    for _, lang, ask, request in asked:
        assert is_request(request, lang), request
        if KINDS[ask.kind].spans:
            assert not any(line.casefold() in request.casefold() for line in ask.answer.split("\n")), (request, ask)


def test_same_seed_same_request(seeds, labelsets, phrasings):
    for rec in seeds[::5]:
        draws = [gold_request(rec, labelsets[rec["dataset"]], random.Random(f"7:{rec['id']}"), "en", phrasings) for _ in range(2)]
        assert draws[0] == draws[1]
        for kind in (k for k in KINDS.values() if rec["task"] in k.tasks):
            asks = [kind.ask(rec, labelsets[rec["dataset"]], random.Random(3), "zh") for _ in range(2)]
            assert asks[0] == asks[1]


# --- phrasing pools ----------------------------------------------------------------------------------------------


def test_phrasings_fill_with_exactly_the_kinds_slots(phrasings):
    assert {p.stem for p in (ROOT / "data/templates/requests").glob("*.yaml")} == set(KINDS)
    for name, kind in KINDS.items():
        for lang, least in (("en", 5), ("zh", 3)):
            pool = phrasings.pools["request", name, lang]
            assert len(pool) >= least, (name, lang)
            assert [p.id for p in pool] == [f"request.{name}.{lang}.{i}" for i in range(len(pool))]
            for phrase in pool:
                fields = {f for _, f, _, _ in string.Formatter().parse(phrase.text) if f is not None}
                assert fields == set(kind.slots), phrase
                filled = request_text(Ask(name, dict.fromkeys(kind.slots, "Xyz"), ""), phrase)
                assert not re.search(r"[{}]", filled), phrase
                assert is_request(filled, lang), phrase
                bare = FIELD.sub("", phrase.text)
                if lang == "zh":
                    assert not re.search(r"[,.?!:;()\"]", bare), phrase
                    assert re.search(r"[\u4e00-\u9fff]", bare), phrase
                else:
                    assert not re.search(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”]", bare), phrase
            assert len({p.text for p in pool}) == len(pool)


def test_request_pools_reject_a_non_list(tmp_path):
    path = tmp_path / "count.yaml"
    path.write_text("en: How many?\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"count\.yaml: field 'request\.count\.en': expected a list of non-empty strings"):
        _request_pools(path)


# --- ambiguity: no request whose answer the gold does not settle -------------------------------------------------------


def ent(text, sub, label="", nth=0):
    start = [m.start() for m in re.finditer(re.escape(sub), text)][nth]
    return {"start": start, "end": start + len(sub), "text": sub, "type": label}


def draws(kind, rec, labelset):
    return [a for seed in range(200) if (a := KINDS[kind].ask(rec, labelset, random.Random(seed), "en"))]


def test_ambiguous_mentions_are_not_asked():
    text = "Paris met Ana in Paris. Then Ana flew to Rome. Rome was warm."
    ents = [ent(text, "Paris", "person"), ent(text, "Paris", "location", 1)]
    ents += [ent(text, "Ana", "person"), ent(text, "Rome", "location")]
    rec = {"task": "ner", "text": text, "entities": ents}
    assert {a.slots["entity"] for a in draws("type_of", rec, ["person", "location", "org"])} == {"Ana", "Rome"}
    assert draws("which_first", rec, []) == []  # every name occurs twice
    assert draws("sentence_of", rec, []) == []


def test_relation_pairs_with_two_relations_are_not_asked(phrasings):
    text = "The New York Times is based in New York, and Ana founded it."
    times, city, ana = ent(text, "New York Times"), ent(text, "New York", nth=1), ent(text, "Ana")
    rels = [
        {"type": "based_in", "head": times, "tail": city},
        {"type": "named_after", "head": times, "tail": city},
        {"type": "founded", "head": ana, "tail": times},
    ]
    rec = {"task": "re", "text": text, "entities": [], "relations": rels}
    assert {(a.slots["head"], a.answer) for a in draws("relation_between", rec, ["based_in", "named_after", "founded"])} == {
        ("Ana", "founded")
    }
    kinds = Counter()
    for seed in range(200):  # the tail "New York" lies inside its head "New York Times": never asked for
        ask, _ = gold_request(rec, ["based_in", "named_after", "founded"], random.Random(seed), "en", phrasings)
        kinds[ask.kind] += 1
        assert (ask.kind, ask.answer) != ("tail_of", "New York")
    assert {"tail_of", "head_of", "relation_between"} <= set(kinds)


def test_tasks_without_kinds_get_none(phrasings):
    rec = {"task": "oie", "text": "Ana flew to Rome.", "tuples": [["Ana", "flew to", "Rome"]]}
    assert gold_request(rec, [], random.Random(0), "en", phrasings) is None
    assert gold_request({"task": "ner", "text": "Nothing here.", "entities": []}, [], random.Random(0), "en", phrasings) is None


# --- growing registries: a new label or kind changes only the requests that use it ------------------------------------


def test_a_new_label_changes_only_the_requests_that_name_it(seeds, labelsets, phrasings):
    changed = 0
    for rec in seeds:
        labelset = labelsets[rec["dataset"]]
        before = gold_request(rec, labelset, random.Random(f"7:{rec['id']}"), "en", phrasings)
        after = gold_request(rec, [*labelset, "zz_new"], random.Random(f"7:{rec['id']}"), "en", phrasings)
        assert after == before or "zz_new" in str(after[0].slots), (before, after)
        changed += after != before
    assert changed


class Echo(Kind):
    """A new kind for NER records: which label a span has, answered from gold (enough to draw with)."""

    name = "echo"
    tasks = frozenset({"ner"})
    slots = ("mention",)
    spans = False

    def ask(self, record, labelset, rng, lang):
        return self.made(record["entities"][0]["type"], mention=record["entities"][0]["text"]) if record["entities"] else None


def test_a_new_kind_changes_only_the_requests_it_makes(seeds, labelsets, phrasings, monkeypatch):
    asks = lambda p: [gold_request(r, labelsets[r["dataset"]], random.Random(f"3:{r['id']}"), "en", p) for r in seeds]  # noqa: E731
    before = asks(phrasings)
    pools = {("request", "echo", "en"): [Phrase("request.echo.en.0", "What kind of thing is {mention}?")]}
    monkeypatch.setitem(KINDS, "echo", Echo())
    after = asks(replace(phrasings, pools=phrasings.pools | pools))
    assert all(a == b for b, a in zip(before, after, strict=True) if a is None or a[0].kind != "echo")
    assert any(a is not None and a[0].kind == "echo" for a in after)
