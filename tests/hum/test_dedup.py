from __future__ import annotations

import random

import pytest
from rapidfuzz import fuzz

from hum.dedup import Dedup, Parts, normalised
from hum.dedup.keys import is_cjk
from hum.records import meta_record

SEED = "Taylor Swift played three shows at the Rose Bowl in Pasadena last summer with huge crowds"
PASSAGE = (
    "The Panthers defense gave up just 308 points, ranking sixth in the league, while also leading the NFL in "
    "interceptions with 24 and boasting four Pro Bowl selections. Pro Bowl defensive tackle Kawann Short led the team "
    "in sacks with 11, while also forcing three fumbles and recovering two. Fellow lineman Mario Addison added 6 sacks. "
    "The Panthers line also featured veteran defensive end Jared Allen, a 5-time pro bowler who was the NFL's active "
    "career sack leader with 136, along with defensive end Kony Ealy, who had 5 sacks in just 9 starts. Behind them, "
    "two of the Panthers three starting linebackers were also selected to play in the Pro Bowl: Thomas Davis and Luke "
    "Kuechly. Davis compiled 5 sacks, four forced fumbles, and four interceptions, while Kuechly led the team in tackles "
    "(118) forced two fumbles, and intercepted four passes of his own."
)
QUESTIONS = [
    ("How many points did the Panthers defense surrender?", "308"),
    ("Who led the Panthers in sacks?", "Kawann Short"),
    ("How many sacks did Kawann Short have?", "11"),
    ("How many fumbles did Kawann Short force?", "three"),
    ("How many sacks did Mario Addison add?", "6"),
    ("Who was the NFL's active career sack leader?", "Jared Allen"),
    ("How many career sacks did Jared Allen have?", "136"),
    ("How many Pro Bowls had Jared Allen been selected to?", "5"),
    ("How many starts did Kony Ealy have?", "9"),
    ("Which linebackers were selected to play in the Pro Bowl?", "Thomas Davis and Luke Kuechly"),
    ("Who led the team in tackles?", "Kuechly"),
    ("How many tackles did Kuechly have?", "118"),
    ("How many interceptions did the Panthers have?", "24"),
    ("Where did the Panthers defense rank in points allowed?", "sixth"),
    ("How many forced fumbles did Thomas Davis have?", "four"),
    ("How many passes did Kuechly intercept?", "four"),
]
ASK = "Answer the question using a span copied from the passage."


def record(rid, text=SEED, ask="List every entity of type person.", answer='["Taylor Swift"]', *, after="", **meta):
    """An instruction record whose user message is `ask`, the input `text`, then `after` (a question, say)."""
    before = f"{ask}\n\nText:\n"
    user = before + text + after
    span = [len(before), len(before) + len(text)]
    meta = meta_record(**{"task": "ner", "subtask": "extract", "dataset": "d1", "seed_id": rid, "lang": "en", "kind": "basic",
                          "format": "json", "text_span": span, **meta})  # fmt: skip
    messages = [{"role": "system", "content": "s"}, {"role": "user", "content": user}, {"role": "assistant", "content": answer}]
    return {"id": rid, "messages": messages, "meta": meta}


def qa(rid, question, answer, text=PASSAGE, ask=ASK, **meta):
    return record(rid, text, ask, answer, after=f"\n\nQuestion: {question}", task="mrc", **meta)


def run(records, **params):
    step = Dedup(**params)
    kept, removed = step(records)
    return step, [r["id"] for r in kept], {r["record"]["id"]: (r["reason"], r["duplicate_of"]) for r in removed}


def test_normalised():
    assert normalised("Hello, WORLD!! 2024 foo_bar") == "hello world 2024 foo bar"
    assert normalised("今天天气很好，我们去公园。") == "今天天气很好 我们去公园"


def test_parts_cut_the_input_out_of_the_user_message():
    parts = Parts.of(qa("a", "Who led the team in tackles?", "Kuechly"))
    assert parts.input == normalised(PASSAGE)
    assert parts.instruction == normalised(ASK + " Text:") + "\n" + "question who led the team in tackles"
    assert parts.answer == "kuechly"
    assert "panthers" not in parts.pair
    assert Parts.of(record("b", text="", ask="Say hi")).input == ""


def test_exact_and_near_duplicates_name_the_record_they_duplicate():
    step, kept, removed = run(
        [
            record("a"),
            record("b", text=SEED.upper() + "!!!", ask="list every entity of TYPE person"),  # same after normalisation
            record("c", ask="List every entity of type persons."),  # one letter more
            record("d", ask="List every entity of type persn."),  # one letter less
            record("e", ask="Which spans in the text are entities of type location?", answer='["Rose Bowl", "Pasadena"]'),
            record("f", text="A completely different sentence about the weather in Oslo today"),
            record("g", task="re", dataset="d2"),  # another task, the same parts: an exact copy all the same
        ]
    )
    assert kept == ["a", "e", "f"]
    assert removed == {
        "b": ("exact duplicate", "a"),
        "c": ("near-duplicate instruction over the same input", "a"),
        "d": ("near-duplicate instruction over the same input", "a"),
        "g": ("exact duplicate", "a"),
    }
    assert step.stats["rejected: exact duplicate"] == 2
    assert step.summary().startswith("[dedup] 7 in, 3 out, 4 rejected (")


def test_distinct_questions_over_one_long_passage_are_all_kept():
    records = [qa(f"q{i}", q, a) for i, (q, a) in enumerate(QUESTIONS)]
    whole = [normalised(r["messages"][1]["content"] + r["messages"][2]["content"]) for r in records]
    assert fuzz.ratio(whole[0], whole[1]) >= 95, "the trap: over whole messages the shared passage makes them near"
    records.append(qa("copy", QUESTIONS[3][0].upper() + "??", QUESTIONS[3][1]))  # a real near copy among them
    _, kept, removed = run(records)
    assert kept == [f"q{i}" for i in range(len(QUESTIONS))]
    assert removed == {"copy": ("exact duplicate", "q3")}


def edited(text, swaps):
    for old, new in swaps:
        assert old in text
        text = text.replace(old, new, 1)
    return text


def test_the_same_question_over_an_edited_copy_of_the_passage_is_removed():
    copy = edited(PASSAGE, [("ranking sixth", "ranked sixth"), ("Fellow lineman", "Fellow linemen"), ("(118)", "118")])
    assert copy != PASSAGE
    records = [
        qa("d1/q0", *QUESTIONS[0]),
        qa("d1/q1", *QUESTIONS[1]),
        qa("d2/q0", *QUESTIONS[0], text=copy, dataset="d2"),  # same question, near-copy passage, other dataset
        qa("d2/q9", "Which team did Kony Ealy play for?", "Panthers", text=copy, dataset="d2"),  # a new question: kept
    ]
    step, kept, removed = run(records)
    assert kept == ["d1/q0", "d1/q1", "d2/q9"]
    assert removed == {"d2/q0": ("near-duplicate input and instruction", "d1/q0")}
    assert step.stats["inputs: distinct"] == 2
    assert step.stats["inputs: near copies"] == 1


def test_a_different_passage_is_no_near_copy():
    rng = random.Random(3)
    other = " ".join(rng.sample(PASSAGE.split(), len(PASSAGE.split())))  # the same words, shuffled
    _, kept, removed = run([qa("a", *QUESTIONS[0]), qa("b", *QUESTIONS[0], text=other)])
    assert kept == ["a", "b"]
    assert removed == {}


def test_chinese_text_is_shingled_by_characters():
    text = "北京大学创建于1898年，初名京师大学堂，是中国近现代第一所国立综合性大学，也是当时中国最高教育行政机关。"
    copy = text.replace("综合性", "综合型")
    assert is_cjk(normalised(text))
    assert not is_cjk(normalised(PASSAGE))
    ask = "请根据文章回答问题。"
    records = [
        record("zh1", text, ask, "1898年", after="\n问题：北京大学创建于哪一年？", task="mrc", lang="zh"),
        record("zh2", text, ask, "京师大学堂", after="\n问题：北京大学最初叫什么名字？", task="mrc", lang="zh"),
        record("zh3", copy, ask, "1898年", after="\n问题：北京大学创建于哪一年?", task="mrc", lang="zh", dataset="d2"),
        record("zh4", text, ask, "1898 年", after="\n问题：北京大学创建于哪一年", task="mrc", lang="zh"),
    ]
    _, kept, removed = run(records)
    assert kept == ["zh1", "zh2"]
    assert removed == {"zh3": ("near-duplicate input and instruction", "zh1"), "zh4": ("exact duplicate", "zh1")}


def test_the_first_in_stream_order_survives_and_output_is_deterministic():
    oslo = "A completely different sentence about the weather in Oslo today"
    records = [record("a"), record("b", ask="List every entity of type persons."), record("c", text=oslo)]
    first = run(records)
    assert first[1:] == run(records)[1:]
    _, kept, removed = run(records[::-1])
    assert kept == ["c", "b"]
    assert removed == {"a": ("near-duplicate instruction over the same input", "b")}


def test_records_without_input_text_meet_by_their_near_copy_instructions():
    a = record("a", text="", ask="Write a short poem about the sea and the sky at night.", answer="Waves.")
    b = record("b", text="", ask="Write a short poem about the sea and the sky at nigth.", answer="Waves.")
    c = record("c", text="", ask="Name three rivers in Europe.", answer="Rhine, Danube, Seine")
    step, kept, removed = run([a, b, c])
    assert kept == ["a", "c"]
    assert removed == {"b": ("near-duplicate instruction over the same input", "a")}
    assert (step.stats["requests: distinct"], step.stats["requests: near copies"]) == (3, 1)


def test_a_request_misspelt_in_its_first_word_is_found():
    ask = "Write a short poem about the sea and the sky at night, in the style of an old sailor."
    a = record("a", text="", ask=ask, answer="Waves.")
    b = record("b", text="", ask="Wirte" + ask.removeprefix("Write"), answer="Waves.")  # once in another block
    c = record("c", text="", ask="Wirte" + ask.removeprefix("Write").replace("sailor", "sailer"), answer="Gulls.")  # other answer
    _, kept, removed = run([a, b, c])
    assert kept == ["a"]
    assert removed == {"b": ("near-duplicate instruction over the same input", "a"), "c": ("conflicting answer", "a")}


def test_a_request_never_meets_a_record_over_an_input_text():
    request = record("r", text="", ask=SEED, answer="Waves.")
    over_input = record("i", ask="", answer="Waves.")  # its input is the request's words
    step, kept, _ = run([request, over_input])
    assert kept == ["r", "i"]
    assert (step.stats["inputs: near copies"], step.stats["requests: near copies"]) == (0, 0)


def test_parameters_are_checked():
    with pytest.raises(ValueError, match="bands \\* rows"):
        Dedup(num_perm=128, bands=30, rows=4)
    with pytest.raises(ValueError, match=r"dedup\.conflicts"):
        Dedup(conflicts="vote")
