"""Every metric against hand-computed cases; expected values are written as fractions."""

from __future__ import annotations

from fractions import Fraction

import pytest

from hum.evaluation import Counts, Tally, Unparsable, group, score_record, score_reply, summarise
from hum.evaluation.report import metric_values
from hum.records import meta_record


def ner(gold, rules=(), dataset="d1", **fields):
    fields = {"lang": "en", "columns": ["type", "entity"], "label_column": "type", "labels": ["PER", "ORG", "LOC"], **fields}
    return meta_record(task="ner", subtask="extract", dataset=dataset, format="json", rules=list(rules),
                       gold=[list(r) for r in gold], **fields)  # fmt: skip


def same(value, fraction):
    assert value == pytest.approx(float(fraction))


def prf(tally, p, r, f):
    same(tally.precision(), p)
    same(tally.recall(), r)
    same(tally.f1(), f)


# NER


def test_ner_partial_match_with_duplicates_and_label_case():
    gold = [("PER", "Ann"), ("ORG", "ACME"), ("LOC", "Paris")]
    pred = [("per", "Ann"), ("ORG", "acme"), ("LOC", "Paris"), ("LOC", " Paris ")]  # label case-insensitive, span not
    counts = score_record(ner(gold), pred)
    assert counts.tallies["entity"] == Tally(2, 3, 2, 3)  # the repeated Paris counts once
    prf(counts.tallies["entity"], Fraction(2, 3), Fraction(2, 3), Fraction(2, 3))


def test_ner_gold_duplicates_count_once():
    assert score_record(ner([("PER", "Ann"), ("PER", "Ann")]), [("PER", "Ann")]).tallies["entity"] == Tally(1, 1, 1, 1)


def test_both_empty_is_perfect_and_adds_nothing():
    counts = score_record(ner([]), [])
    assert counts.tallies["entity"] == Tally()
    prf(counts.tallies["entity"], 1, 1, 1)


def test_prediction_on_empty_gold_scores_zero():
    prf(score_record(ner([]), [("PER", "Ann")]).tallies["entity"], 0, 0, 0)


def test_empty_prediction_misses_gold():
    prf(score_record(ner([("PER", "Ann")]), []).tallies["entity"], 0, 0, 0)


@pytest.mark.parametrize(("gold", "tally"), [([("PER", "Ann"), ("ORG", "ACME")], Tally(0, 1, 0, 2)), ([], Tally(0, 1, 0, 0))])
def test_unparsable_reply_scores_zero_and_is_counted(gold, tally):
    counts = score_record(ner(gold), Unparsable("json: expected a list"))
    assert (counts.records, counts.unparsable, counts.tallies["entity"]) == (1, 1, tally)
    same(counts.tallies["entity"].f1(), 0)


def test_by_type_compares_the_text():
    meta = meta_record(task="ner", subtask="by_type", lang="en", format="lines", columns=["entity"], gold=[["Ann"], ["Bo"]])
    assert score_record(meta, [("Ann",), ("Cy",)]).tallies["entity"] == Tally(1, 2, 1, 2)


def test_rules_shape_the_expected_answer():
    gold = [("PER", "Ann"), ("ORG", "ACME")]
    meta = ner(gold, rules=["offsets:char", "case:lower"], offsets=[[0, 3], [10, 14]])
    # Offsets are answered but not scored; labels were lower-cased by the rule, and compare case-insensitively anyway.
    assert score_record(meta, [("PER", "Ann", "0", "3"), ("org", "ACME", "99", "99")]).tallies["entity"] == Tally(2, 2, 2, 2)
    subset = ner(gold, rules=["labels:subset"], labels=["ORG", "LOC", "PER"])  # asks for the first half: ORG and LOC
    assert score_record(subset, [("ORG", "ACME")]).tallies["entity"] == Tally(1, 1, 1, 1)


def test_score_reply_reads_a_wrapped_chinese_reply():
    meta = ner([("人物", "李白"), ("地点", "碎叶城")], lang="zh", labels=["人物", "地点"])
    reply = '答案如下：\n```json\n[{"type": "人物", "entity": "李白"}]\n```'
    assert score_reply(meta, reply).tallies["entity"] == Tally(1, 1, 1, 2)
    assert score_reply(meta, "抱歉，我不知道。").unparsable == 1


# Relations and events


def test_relation_strict_needs_head_type_and_tail():
    meta = meta_record(task="re", subtask="triples", lang="en", format="tuples", columns=["head", "relation", "tail"],
                       label_column="relation", gold=[["Ann", "works_for", "ACME"], ["Ann", "lives_in", "Paris"]])  # fmt: skip
    pred = [("Ann", "WORKS_FOR", "ACME"), ("Ann", "lives_in", "London"), ("ACME", "based_in", "Paris")]
    prf(score_record(meta, pred).tallies["relation_strict"], Fraction(1, 3), Fraction(1, 2), Fraction(2, 5))


def test_relation_by_relation_compares_the_pair():
    meta = meta_record(task="re", subtask="by_relation", lang="en", format="lines", columns=["head", "tail"],
                       slots={"label": "works_for"}, gold=[["Ann", "ACME"]])  # fmt: skip
    assert score_record(meta, [("Ann", "ACME"), ("Bo", "ACME")]).tallies["relation_strict"] == Tally(1, 2, 1, 1)


def test_event_triggers_identification_and_classification():
    meta = meta_record(task="ee", subtask="triggers", lang="en", format="json", columns=["type", "trigger"],
                       label_column="type", gold=[["Attack", "fired"], ["Die", "killed"]])  # fmt: skip
    tallies = score_record(meta, [("Attack", "fired"), ("Attack", "killed")]).tallies
    prf(tallies["trigger_identification"], 1, 1, 1)
    prf(tallies["trigger_classification"], Fraction(1, 2), Fraction(1, 2), Fraction(1, 2))


def test_event_arguments_identification_and_classification():
    meta = meta_record(task="ee", subtask="arguments", lang="en", format="json", columns=["role", "argument"],
                       label_column="role", slots={"event_type": "Attack", "trigger": "fired"},
                       gold=[["Attacker", "soldiers"], ["Target", "village"]])  # fmt: skip
    tallies = score_record(meta, [("Attacker", "soldiers"), ("Victim", "village"), ("Place", "town")]).tallies
    prf(tallies["argument_identification"], Fraction(2, 3), 1, Fraction(4, 5))
    prf(tallies["argument_classification"], Fraction(1, 3), Fraction(1, 2), Fraction(2, 5))


# Open IE (CaRB)


def oie(gold):
    return meta_record(task="oie", subtask="tuples", lang="en", format="tuples", columns=["subject", "relation", "object"],
                       gold=[list(t) for t in gold])  # fmt: skip


def test_oie_partial_token_overlap():
    # subject 1 of [barack obama], relation 2 of [was born in], object 1 of [hawaii]: 4 tokens matched,
    # 5 predicted (obama | born in | honolulu hawaii), 6 gold.
    counts = score_record(oie([("Barack Obama", "was born in", "Hawaii")]), [("Obama", "born in", "Honolulu Hawaii")])
    tally = counts.tallies["tuple"]
    prf(tally, Fraction(4, 5), Fraction(4, 6), Fraction(8, 11))


def test_oie_precision_is_one_to_one_and_recall_takes_the_best():
    gold = [("Obama", "was born in", "Hawaii"), ("Obama", "was", "president")]
    pred = [("Obama", "was born in", "Hawaii"), ("Obama", "born", "Hawaii")]
    # g1-p1 (1, 1); g1-p2 (3/3, 3/5); g2-p1 (2/5, 2/3); g2-p2 no shared relation token: (0, 0).
    # Recall: g1 1, g2 2/3 (p1 serves both). Precision: g1-p1 is taken, then only g2-p2 (0) is left.
    prf(score_record(oie(gold), pred).tallies["tuple"], Fraction(1, 2), Fraction(5, 6), Fraction(5, 8))


def test_oie_needs_a_shared_relation_token_and_counts_duplicates_once():
    tally = score_record(oie([("Ann", "founded", "ACME")]), [("Ann", "runs", "ACME"), ("Ann", "runs", "ACME")]).tallies["tuple"]
    assert tally == Tally(0, 1, 0, 1)


# Reading comprehension


def mrc(gold, lang="en", **fields):
    return meta_record(task="mrc", subtask="extractive", lang=lang, format="text", columns=["answer"],
                       gold=[[g] for g in gold], **fields)  # fmt: skip


@pytest.mark.parametrize(
    ("lang", "gold", "pred", "em", "f1"),
    [
        ("en", ["the Eiffel Tower"], ["Eiffel Tower."], 1, 1),  # articles and punctuation removed
        ("en", ["the Eiffel Tower"], ["the tower in Paris"], 0, Fraction(2, 5)),  # tower: p 1/3, r 1/2
        ("en", [], [], 1, 1),  # SQuAD 2.0: no answer, none given
        ("en", [], ["Paris"], 0, 0),
        ("en", [], ["The"], 1, 1),  # normalises to nothing: no answer
        ("en", ["Paris"], [], 0, 0),
        ("en", ["Paris"], ["Paris", "France"], 0, Fraction(2, 3)),  # items read as one answer: p 1/2, r 1
        ("zh", ["北京大学"], ["北京的大学。"], 0, Fraction(4, 9)),  # longest common run 北京 (or 大学): p 2/5, r 2/4
        ("zh", ["北京大学"], ["「北京大学」"], 1, 1),  # CMRC punctuation removed
        ("zh", ["NBA球员"], ["球员"], 0, Fraction(4, 5)),  # tokens nba 球 员
        ("zh", ["2008年"], ["2008年。"], 1, 1),
        ("zh", [], ["。"], 1, 1),
        ("zh", [], ["北京"], 0, 0),
    ],
)
def test_mrc_exact_match_and_f1(lang, gold, pred, em, f1):
    sums = score_record(mrc(gold, lang), [(p,) for p in pred]).sums
    same(sums["exact_match"], em)
    same(sums["f1"], f1)


def test_generalist_answers_score_like_mrc():
    meta = meta_record(task="generalist", subtask="free_form", lang="en", columns=["answer"], gold=[["- Madrid\n- Berlin"]])
    assert score_reply(meta, "Madrid, Berlin").sums == {"exact_match": 1, "f1": 1}  # list marks are punctuation


def test_mrc_sentence_rule_expects_the_sentence():
    meta = mrc(["Paris"], rules=["mrc:sentence"], slots={"question": "Where?", "sentence": "Ann was born in Paris."})
    assert score_record(meta, [("Ann was born in Paris.",)]).sums == {"exact_match": 1, "f1": 1}


def test_mrc_unparsable_scores_zero_even_without_answer():
    assert score_record(mrc([]), Unparsable("x")).sums == {"exact_match": 0, "f1": 0}


# Classification


def cls(gold, subtask="classify", rules=(), dataset="c1", **fields):
    return meta_record(task="cls", subtask=subtask, dataset=dataset, lang="en", format="lines", columns=["label"],
                       label_column="label", rules=list(rules), gold=[[g] for g in gold], **fields)  # fmt: skip


def test_single_label_with_reason_and_casing():
    meta = cls(["Sports"], rules=["cls:reason"], slots={"reason": "About games."})
    assert score_record(meta, [("sports", "Because it mentions a match.")]).sums == {"accuracy": 1}


def test_multi_label_accuracy_and_macro_f1():
    first = score_record(cls(["A", "B"], "multi"), [("A",), ("C",)])
    second = score_record(cls(["A"], "multi"), [("a",)])
    total = first + second
    assert total.labels == {"a": Tally(2, 2, 2, 2), "b": Tally(0, 0, 0, 1), "c": Tally(0, 1, 0, 0)}
    values = metric_values(total)
    same(values["accuracy"], Fraction(1, 2))
    same(values["macro_f1"], Fraction(1, 3))  # a: 1, b: 0, c: 0


def test_unparsable_classification_misses_the_gold_label_only():
    counts = score_record(cls(["A"]), Unparsable("x"))
    assert (counts.sums, counts.labels) == ({"accuracy": 0}, {"a": Tally(0, 0, 0, 1)})


# Aggregation


def test_micro_average_sums_counts_before_dividing():
    gold = [("PER", "Ann"), ("ORG", "ACME"), ("LOC", "Paris")]
    total = score_record(ner(gold), [("PER", "Ann"), ("ORG", "ACME"), ("LOC", "Rome")])
    total += score_record(ner([("PER", "A"), ("PER", "B"), ("PER", "C"), ("PER", "D")]), [("PER", "A")])
    # Micro: 3 of 4 predictions right, 3 of 7 gold found; not the mean of the records' F1s (2/3 and 2/5).
    prf(total.tallies["entity"], Fraction(3, 4), Fraction(3, 7), Fraction(6, 11))


def test_report_per_dataset_task_and_overall():
    scored = [
        (ner([("PER", "Ann"), ("ORG", "ACME"), ("LOC", "Paris")]), [("PER", "Ann"), ("ORG", "ACME"), ("LOC", "Rome")]),
        (ner([]), []),
        (ner([("PER", "Bo"), ("ORG", "Co")], dataset="d2"), Unparsable("x")),
        (cls(["A"]), [("A",)]),
        (cls(["B"]), [("C",)]),
    ]
    groups = group((meta, score_record(meta, reading)) for meta, reading in scored)
    assert groups["ner", "d1"].tallies["entity"] == Tally(2, 3, 2, 3)
    report = summarise(groups)
    expected = {
        "ner/d1/entity_f1": Fraction(2, 3), "ner/d1/records": 2, "ner/d1/unparsable": 0,
        "ner/d2/entity_f1": 0, "ner/d2/entity_precision": 0, "ner/d2/records": 1, "ner/d2/unparsable": 1,
        "ner/entity_f1": Fraction(1, 3), "ner/entity_recall": Fraction(1, 3), "ner/score": Fraction(1, 3),
        "ner/records": 3, "ner/unparsable": 1,
        "cls/c1/accuracy": Fraction(1, 2), "cls/c1/macro_f1": Fraction(1, 3),  # labels a: 1, b: 0, c: 0
        "cls/score": Fraction(1, 2), "overall/score": Fraction(5, 12), "overall/records": 5, "overall/unparsable": 1,
    }  # fmt: skip
    assert {k: report[k] for k in expected} == {k: round(float(v), 4) for k, v in expected.items()}


def test_counts_from_records_and_from_shards_agree():
    metas = [ner([("PER", "Ann")]), ner([("ORG", "ACME"), ("PER", "Bo")]), ner([])]
    counts = [score_record(m, [("PER", "Ann"), ("PER", "Bo")]) for m in metas]
    assert sum(counts, Counts()) == counts[0] + (counts[1] + counts[2])
    assert sum(counts, Counts()).records == 3
