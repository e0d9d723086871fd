"""`hum guidelines draft`: which labels are drafted, evidence from the data, the checks on LLM text, the draft file,
and what an accepted draft writes into a guideline file. A scripted fake model stands in for the LLM."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, FakeChat
from hum.checkpoint import unit_seed
from hum.cli import main
from hum.drafts import (
    NEW_FILE,
    DraftError,
    Job,
    adopt,
    clean,
    draft_guidelines,
    mentions,
    messages,
    plan,
    reject_reason,
)
from hum.guidelines import guideline_for, load_guidelines, render_guidelines
from hum.io import read_jsonl, write_jsonl
from hum.phrasing import load_phrasings
from hum.review import ReviewError, decide

PARAMS = {"seed": 13, "generate": {"guidelines": {"min_coverage": 0.1}}}
STREET = """\
# Street names (human-written).
lang: en
labels:
  person:
    aliases: [PER]
    definition: "Names of people, real or fictional, including nicknames."
    examples: ["Rick"]
  location:
    definition: "Names of places: cities, streets and natural features."
  corporation:
    aliases: [company]
    definition: "Names of companies and businesses that make or sell something."
"""
GADGET = "A gadget is a named device or piece of consumer hardware."
SLANG = "Slang marks informal words that stand for an opinion or a feeling."
CLS_TEXT = (
    "I ordered a new card two weeks ago and it still has not arrived, although the app says that it was sent out "
    "on the very first day, so where is it now?"
)
NOW = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)


def entity(text: str, span: str, label: str) -> dict:
    start = text.index(span)
    return {"start": start, "end": start + len(span), "text": span, "type": label}


def ner(dataset: str, lang: str, rows: list[tuple[str, list[tuple[str, str]]]]) -> list[dict]:
    return [
        {"id": f"train-{i}", "dataset": dataset, "task": "ner", "lang": lang, "text": t, "entities": [entity(t, *e) for e in es]}
        for i, (t, es) in enumerate(rows)
    ]


TOY = ner(
    "toy",
    "en",
    [
        ("Rick met Taylor Swift in Gardena.", [("Rick", "person"), ("Taylor Swift", "person"), ("Gardena", "location")]),
        (
            "Google sells the Pixel 8 and the iPhone rivals it.",
            [("Google", "corporation"), ("Pixel 8", "gadget"), ("iPhone", "gadget")],
        ),
        ("Lol that Walkman is sick, said Rick.", [("Walkman", "gadget"), ("Rick", "person"), ("sick", "slang")]),
        ("My PIXEL 8 died again.", [("PIXEL 8", "gadget")]),
    ],
)
WENZI = ner("wenzi", "zh", [("李雷在北京工作。", [("李雷", "人物"), ("北京", "地点")])])
BANK = [
    {"id": "train-0", "dataset": "bank", "task": "cls", "lang": "en", "text": CLS_TEXT, "labels": ["card_arrival"]},
    {
        "id": "train-1",
        "dataset": "bank",
        "task": "cls",
        "lang": "en",
        "text": "My top-up failed twice.",
        "labels": ["top_up_failed"],
    },
]
REL = [
    {
        "id": "train-0",
        "dataset": "rel",
        "task": "re",
        "lang": "en",
        "text": "The virus caused the flu.",
        "entities": [entity("The virus caused the flu.", "virus", "x"), entity("The virus caused the flu.", "flu", "x")],
        "relations": [
            {
                "type": "Cause-Effect",
                "head": entity("The virus caused the flu.", "virus", "x"),
                "tail": entity("The virus caused the flu.", "flu", "x"),
            }
        ],
    }
]
PV_TEXT = "A 47-year-old woman developed a rash after paclitaxel."
PV = [
    {
        "id": "train-0",
        "dataset": "pv",
        "task": "ee",
        "lang": "en",
        "text": PV_TEXT,
        "events": [
            {
                "type": "Adverse_event",
                "trigger": {"start": PV_TEXT.index("developed"), "end": PV_TEXT.index("developed") + 9, "text": "developed"},
                "arguments": [
                    {**entity(PV_TEXT, "A 47-year-old woman", ""), "role": "Subject"},
                    {**entity(PV_TEXT, "47-year-old", ""), "role": "Subject.Age"},
                    {**entity(PV_TEXT, "paclitaxel", ""), "role": "Treatment"},
                ],
            }
        ],
    }
]
DATASETS = {
    "toy": (TOY, ["corporation", "gadget", "location", "person", "slang"]),
    "wenzi": (WENZI, ["人物", "地点"]),
    "bank": (BANK, ["card_arrival", "top_up_failed"]),
    "rel": (REL, ["Cause-Effect"]),
    "pv": (PV, ["Adverse_event", "role:Subject", "role:Subject.Age", "role:Treatment"]),
}


class Scripted(FakeChat):
    """Replies chosen by what is asked: the first key found in the user message picks a list, used in turn."""

    def __init__(self, script: dict[str, list[str]], default: str = "") -> None:
        super().__init__([default])
        self.script, self.used = script, dict.fromkeys(script, 0)

    def chat(self, messages, *, seed, temperature, max_tokens) -> str:
        super().chat(messages, seed=seed, temperature=temperature, max_tokens=max_tokens)
        key = next((k for k in self.script if k in messages[-1]["content"]), None)
        if key is None:
            return self.replies[0]
        self.used[key] += 1
        return self.script[key][min(self.used[key], len(self.script[key])) - 1]


def toy_script() -> dict[str, list[str]]:
    """Good replies for the toy dataset's two labels, in the order a draft asks (definition, 2 paraphrases, notes)."""
    return {
        'define what "gadget"': [f"<|im_start|>assistant\n{GADGET}<|im_end|>"],
        f'"{GADGET}"\nIn one sentence, name': ["Phone models such as the Pixel 8 count, even when written in capitals."],
        f'"{GADGET}"\nIn one sentence, say': ["The companies that make devices, such as Google, are not gadgets."],
        f'"{GADGET}"': ["Any device or hardware product that has a name.", "Named consumer devices, like phones and players."],
        'define what "slang"': [f'Definition: "{SLANG}"'],
        f'"{SLANG}"\nIn one sentence, name': ["Sick as praise"],  # too short: the note is left out
        f'"{SLANG}"\nIn one sentence, say': ["Plain words of opinion such as good are not slang."],
        f'"{SLANG}"': ["Informal words that express an opinion or feeling are slang.", "Cars are vehicles with four wheels."],
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Prepared data of five small datasets, a guideline file covering three toy labels, no drafts yet."""
    for name, (records, labels) in DATASETS.items():
        write_jsonl(tmp_path / f"prepared/{name}.train.jsonl", records)
        (tmp_path / f"prepared/{name}.labels.json").write_text(json.dumps(labels), encoding="utf-8")
    (tmp_path / "guidelines").mkdir()
    (tmp_path / "guidelines/street.yaml").write_text(STREET, encoding="utf-8")
    return tmp_path


def run(project: Path, model: FakeChat, **options) -> tuple[str, list[str]]:
    said: list[str] = []
    summary = draft_guidelines(
        lambda: model,
        prepared=project / "prepared",
        guidelines=project / "guidelines",
        out=project / "guidelines/proposals.jsonl",
        reviews=project / "reviews.yaml",
        params=PARAMS,
        say=said.append,
        **{"datasets": ["toy"], **options},
    )
    return summary, said


def drafts(project: Path) -> list[dict]:
    return list(read_jsonl(project / "guidelines/proposals.jsonl"))


def jobs(project: Path, **options) -> dict[str, Job]:
    found, _ = plan(project / "prepared", load_guidelines(project / "guidelines"), [], [], PARAMS, **options)
    return {j.key: j for j in found}


def test_drafted_labels_are_exactly_those_without_a_guideline(project):
    assert list(jobs(project)) == [
        "guideline:bank:card_arrival",
        "guideline:bank:top_up_failed",
        "guideline:pv:Adverse_event",
        "guideline:pv:Subject",
        "guideline:pv:Subject.Age",
        "guideline:pv:Treatment",
        "guideline:rel:Cause-Effect",
        "guideline:toy:gadget",  # person, location and corporation have entries in street.yaml
        "guideline:toy:slang",
        "guideline:wenzi:人物",  # no Chinese guideline file: every label of a Chinese dataset
        "guideline:wenzi:地点",
    ]
    assert list(jobs(project, datasets=["toy", "wenzi"])) == [
        "guideline:toy:gadget",
        "guideline:toy:slang",
        *list(jobs(project))[-2:],
    ]
    with pytest.raises(DraftError, match="no prepared label set for nope"):
        jobs(project, datasets=["nope"])


def test_an_alias_counts_as_a_guideline(project):
    (project / "prepared/toy.labels.json").write_text(json.dumps(["PER", "company", "gadget"]), encoding="utf-8")
    assert [j.name for j in jobs(project, datasets=["toy"]).values()] == ["gadget"]


def test_examples_and_negatives_come_from_the_data(project):
    found = jobs(project)
    gadget = found["guideline:toy:gadget"]
    assert gadget.positives == ("Pixel 8", "iPhone", "Walkman")  # distinct case-blind (PIXEL 8), in data order, at most 3
    assert gadget.negatives == ("sick", "Gardena")  # texts of other labels (each once), the most similar first
    texts = " ".join(r["text"] for r in TOY)
    assert all(t in texts for t in gadget.positives + gadget.negatives)
    assert found["guideline:rel:Cause-Effect"].positives == ("(virus, flu)",)
    assert found["guideline:pv:Subject.Age"].positives == ("47-year-old",)
    assert found["guideline:pv:Subject.Age"].negatives == ("A 47-year-old woman", "paclitaxel")  # roles, not event triggers
    assert found["guideline:pv:Adverse_event"].negatives == ()
    (card,) = found["guideline:bank:card_arrival"].positives
    assert card.endswith("…")
    assert len(card) <= 101
    assert CLS_TEXT.startswith(card.removesuffix("…"))
    assert found["guideline:bank:card_arrival"].negatives == ("My top-up failed twice.",)


def test_a_mention_that_is_not_in_the_text_is_never_an_example():
    record = dict(
        TOY[0], entities=[{"start": 0, "end": 4, "text": "Morty", "type": "person"}, entity(TOY[0]["text"], "Rick", "person")]
    )
    assert list(mentions(record)) == [("person", "Rick")]


def toy_job(**changes) -> Job:
    job = Job("toy", "en", "ner", "gadget", ("Pixel 8", "iPhone", "Walkman"), ("sick", "Google"), (), (), 1)
    return Job(**{**job.__dict__, **changes})


ZH = Job("wenzi", "zh", "ner", "人物", ("李雷",), ("北京",), (), (), 1)
OTHERS = [("corporation", "Names of companies and businesses that make or sell something.")]


@pytest.mark.parametrize(
    ("reply", "text"),
    [
        (f"<|im_start|>assistant\n{GADGET}<|im_end|>", GADGET),
        (f"<start_of_turn>model\n{GADGET}<end_of_turn>", GADGET),
        (f"<s>[INST] [/INST] {GADGET}</s>", GADGET),
        (f'\n\n  Definition: "{GADGET}"\nSecond line.', GADGET),
        (f"gadget: {GADGET} <|endoftext|>", GADGET),
        (f"<|assistant|> “{GADGET}” <|eot_id|>", GADGET),
        ("<|im_start|>\n\n", ""),
    ],
)
def test_clean_keeps_the_first_line_without_template_tokens_quotes_or_lead_in(reply, text):
    assert clean(reply, "gadget") == text


def check(text: str, job: Job = None, field: str = "definition", kept: list[str] | None = None) -> str | None:
    job = job or toy_job()
    prompt = "\n".join(m["content"] for m in messages(job, field, (kept or [""])[0]))
    return reject_reason(text, job, field, prompt=prompt, kept=kept or [], others=OTHERS)


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("   ", "empty after cleaning"),
        ("[INST] Define gadget. [/INST] A gadget is a named device.", "chat-template debris in the text ([/INST])"),
        ("A gadget is a device.<|im_end|><|im_start|>user Thanks", "chat-template debris in the text (<|im_end|>)"),
        ("A device.", "too short (9 characters, want 20-300)"),
        ("A gadget is " + "a very " * 50 + "named device.", "too long"),
        ("Gadget 是指有名字的电子设备，例如手机。", "wrong language: Chinese characters in English"),
        ("Here is a definition: a gadget is a device with a name.", "talks about the request ('Here is')"),
        ("As an AI, I cannot define gadget without more context.", "talks about the request ('As an AI')"),
        ("The definition of the label gadget is a named device.", "talks about the request ('The definition')"),
        ("Pixel 8, iPhone and Walkman, sick", "a bare list of examples, not a sentence"),
        ("1. A gadget is a phone such as the Pixel 8.", "a bare list of examples, not a sentence"),
        ("Names of companies and businesses that make or sell things.", "near-copy of the definition of 'corporation'"),
        ('Define what "gadget" marks in this task.', "talks about the request ('this task')"),
        ("This task is to classify texts as gadget.", "talks about the request ('This task')"),
        ("Task: named entity recognition. Label: gadget", "echoes the prompt"),
        ("Yesterday the weather was sunny and warm outside.", "neither names the label nor reads as a definition"),
        (GADGET, None),
        ("Names of phones, players and other consumer devices.", None),  # no label word, but reads as a definition
        ("Branded hardware: phones, players and similar gadgets.", None),  # names the label, no definition marker
    ],
)
def test_each_check_rejects_what_it_should_and_good_definitions_pass(reply, reason):
    found = check(clean(reply, "gadget"))
    assert found == reason if reason is None or not reason.startswith("too long") else found.startswith(reason)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("人物指文本中提到的真实或虚构的人的名字。", None),
        ("李雷是人名。", None),
        ("A person is a human being named in the text.", "wrong language: no Chinese characters"),
        ("作为一个人工智能，我无法回答这个问题。", "talks about the request ('作为一个人工智能')"),
        ("李雷", "too short (2 characters, want 6-150)"),
        ("李雷、北京和其他", "a bare list of examples, not a sentence"),
    ],
)
def test_chinese_definitions(text, reason):
    assert check(text, ZH) == reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Any device or hardware product that has a name.", None),
        ("A gadget is a named device or piece of consumer hardware!", "near-copy of the definition"),
        ("Cars are vehicles with four wheels and an engine.", "meaning drifted from the definition"),
        ("Say this in other words: a gadget is a named device.", "talks about the request ('in other words')"),
    ],
)
def test_paraphrases_keep_the_meaning_without_copying(text, reason):
    assert check(text, field="paraphrase", kept=[GADGET]) == reason
    kept = [GADGET, "Any named device or consumer hardware."]
    assert (
        check("Any named device or consumer hardware item.", field="paraphrase", kept=kept)
        == "near-copy of a text kept in this draft"
    )


def test_a_redraft_must_differ_from_earlier_drafts():
    assert check(GADGET, toy_job(earlier=(GADGET,))) == "near-copy of an earlier draft of this label"


def test_prompts_name_the_label_the_task_and_the_examples():
    system, user = messages(toy_job(), "definition", "")
    assert (system["role"], user["role"]) == ("system", "user")
    assert "named entity recognition" in user["content"]
    assert '"Pixel 8"; "iPhone"; "Walkman"' in user["content"]
    assert "sick" not in user["content"]  # negatives are for the reviewer and the exclude note
    role = Job("pv", "en", "ee", "role:Subject.Age", (), (), (), (), 1)
    assert 'Label: "Subject.Age"' in messages(role, "definition", "")[1]["content"]
    assert "event extraction (argument role)" in messages(role, "definition", "")[1]["content"]
    assert "(none in the data)" in messages(role, "definition", "")[1]["content"]
    assert "“人物”" in messages(ZH, "definition", "")[1]["content"]


def test_draft_records_and_rejects(project):
    model = Scripted(toy_script())
    summary, said = run(project, model)
    assert summary == "drafted 2 guidelines, 0 rejected"
    assert said == [
        f"[1/2] guideline:toy:gadget: drafted (2 paraphrases, include, exclude): {GADGET}",
        f"[2/2] guideline:toy:slang: drafted (1 paraphrases, exclude): {SLANG}",
    ]
    gadget, slang = drafts(project)
    assert gadget == {
        "id": gadget["id"],
        "kind": "guideline",
        "lang": "en",
        "task": "ner",
        "dataset": "toy",
        "label": "gadget",
        "definition": GADGET,
        "paraphrases": ["Any device or hardware product that has a name.", "Named consumer devices, like phones and players."],
        "include": "Phone models such as the Pixel 8 count, even when written in capitals.",
        "exclude": "The companies that make devices, such as Google, are not gadgets.",
        "examples": ["Pixel 8", "iPhone", "Walkman"],
        "negatives": ["sick", "Gardena"],
        "source": "llm",
        "model": "fake:1",
        "status": "proposed",
    }
    assert gadget["id"].startswith("guideline:toy:gadget~")
    assert len(gadget["id"].rsplit("~", 1)[1]) == 10
    assert (slang["include"], slang["paraphrases"]) == (None, ["Informal words that express an opinion or feeling are slang."])
    rejects = list(read_jsonl(project / "guidelines/proposals.rejects.jsonl"))
    assert [(r["label"], r["field"], r["reject"]) for r in rejects] == [
        ("slang", "paraphrase", "meaning drifted from the definition"),
        ("slang", "include", "too short (14 characters, want 20-300)"),
    ]
    seed = unit_seed(13, "guideline:toy:gadget")
    assert model.calls[0]["seed"] == unit_seed(seed, "definition:0:0")
    assert len(model.calls) == 10


def test_a_label_whose_definition_always_fails_is_reported(project):
    script = toy_script() | {
        'define what "slang"': ["<|im_end|>", "I cannot do that, here is why.", "Pixel 8, iPhone, Walkman and sick"]
    }
    summary, said = run(project, Scripted(script))
    assert summary == (
        "drafted 1 guidelines, 1 rejected (empty after cleaning: 1; talks about the request ('I cannot'): 1; "
        "a bare list of examples, not a sentence: 1)"
    )
    assert said[-1].startswith("[2/2] guideline:toy:slang: rejected (empty after cleaning; talks about")
    assert [d["label"] for d in drafts(project)] == ["gadget"]
    rejects = list(read_jsonl(project / "guidelines/proposals.rejects.jsonl"))
    assert [(r["field"], r["attempt"]) for r in rejects if r["label"] == "slang"] == [
        ("definition", 0),
        ("definition", 1),
        ("definition", 2),
    ]
    assert len({r["seed"] for r in rejects}) == 3  # each attempt with a seed of its own


def test_same_inputs_give_the_same_bytes(project, tmp_path_factory):
    other = tmp_path_factory.mktemp("again")
    for name in ("prepared", "guidelines"):
        for f in (project / name).iterdir():
            (other / name).mkdir(exist_ok=True)
            (other / name / f.name).write_bytes(f.read_bytes())
    run(project, Scripted(toy_script()))
    run(other, Scripted(toy_script()))
    for name in ("proposals.jsonl", "proposals.rejects.jsonl"):
        assert (project / "guidelines" / name).read_bytes() == (other / "guidelines" / name).read_bytes()


def test_limit_and_pending_labels(project):
    summary, _ = run(project, Scripted(toy_script()), limit=1)
    assert summary == "drafted 1 guidelines, 0 rejected"
    assert [d["label"] for d in drafts(project)] == ["gadget"]

    model = Scripted(toy_script())
    summary, said = run(project, model)  # gadget is pending review: only slang is drafted
    assert said[0] == "guideline:toy:gadget: a draft is pending review (hum review --kind guideline); --redo drafts it again"
    assert summary == "drafted 1 guidelines, 0 rejected"
    assert all('"gadget"' not in c["messages"][1]["content"] for c in model.calls)
    assert [d["label"] for d in drafts(project)] == ["gadget", "slang"]

    before = (project / "guidelines/proposals.jsonl").read_bytes()
    model = Scripted(toy_script())
    assert run(project, model)[0] == "drafted 0 guidelines, 0 rejected: every label has a guideline or a draft pending review"
    assert model.calls == []
    assert (project / "guidelines/proposals.jsonl").read_bytes() == before


def test_redo_supersedes_the_pending_draft_with_a_new_one(project):
    run(project, Scripted(toy_script()), limit=1)
    (first,) = drafts(project)
    redo = toy_script() | {'define what "gadget"': [GADGET, "Gadgets are branded devices: phones, players, consoles."]}
    model = Scripted(redo)
    summary, _ = run(project, model, redo=True, limit=1)
    assert summary == "drafted 1 guidelines, 0 rejected"
    new, old = sorted(drafts(project), key=lambda d: d["status"])
    assert (old["id"], old["status"]) == (first["id"], "superseded")
    assert (new["status"], new["definition"]) == ("proposed", "Gadgets are branded devices: phones, players, consoles.")
    assert model.calls[0]["seed"] == unit_seed(unit_seed(13, "guideline:toy:gadget"), "definition:1:0")  # new seeds


def test_a_decided_draft_no_longer_blocks_a_redraft(project):
    run(project, Scripted(toy_script()), limit=1)
    (first,) = drafts(project)
    decide(project / "reviews.yaml", first, "rejected", first["definition"], "too vague", "Ann", NOW)
    assert list(jobs(project, datasets=["toy"])) == ["guideline:toy:gadget", "guideline:toy:slang"]


def test_the_cli_drafts_with_the_configured_model(project, monkeypatch, capsys):
    monkeypatch.chdir(project)
    replies = [GADGET, "Any device or hardware product that has a name.", "Named consumer devices, like phones and players."]
    model = {"_target_": "conftest.FakeChat", "replies": replies}
    (project / "params.yaml").write_text(yaml.safe_dump({**PARAMS, "model": model}), encoding="utf-8")
    args = ["guidelines", "draft", "--prepared", "prepared", "--guidelines", "guidelines", "--out", "drafts.jsonl"]
    assert main([*args, "--dataset", "toy", "--limit", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "drafted 1 guidelines, 0 rejected"
    assert [d["definition"] for d in read_jsonl(project / "drafts.jsonl")] == [GADGET]
    assert (project / "drafts.rejects.jsonl").exists()
    first = (project / "drafts.jsonl").read_bytes()
    (project / "drafts.jsonl").unlink()
    assert main([*args, "--dataset", "toy", "--limit", "1"]) == 0  # drafted again: every reply is replayed
    assert (project / "drafts.jsonl").read_bytes() == first
    assert json.loads((project / ".hum/calls/drafts.json").read_text())["llm_calls"] == 0
    assert (project / "data/replies/drafts/replies.jsonl").exists()
    assert main([*args, "--dataset", "nope"]) == 1
    assert "no prepared label set for nope" in capsys.readouterr().err


def accepted(draft: dict, text: str | None = None) -> dict:
    return {"text": text or draft["definition"], "reviewer": "Ann", "at": "2025-03-04T05:06:07Z"}


def test_an_accepted_draft_is_appended_to_the_file_its_dataset_uses(project):
    run(project, Scripted(toy_script()))
    gadget, _ = drafts(project)
    folder, before = project / "guidelines", (project / "guidelines/street.yaml").read_text(encoding="utf-8")
    path, entry = adopt(gadget, accepted(gadget), folder, DATASETS["toy"][1], 0.1)
    assert path == folder / "street.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith(before)  # every line of the human file stays as it was
    assert f"  # gadget: drafted by fake:1 ({gadget['id']}), reviewed by Ann\n  gadget:\n" in text
    assert entry == {
        "definition": GADGET,
        "paraphrases": gadget["paraphrases"],
        "include": gadget["include"],
        "exclude": gadget["exclude"],
        "examples": ["Pixel 8", "iPhone", "Walkman"],
        "negatives": ["sick", "Gardena"],
        "reviewed": {"by": "Ann", "at": "2025-03-04T05:06:07Z"},
    }
    guides = load_guidelines(folder)
    found = guideline_for(DATASETS["toy"][1], "en", guides, 0.1)
    assert found.name == "street"
    assert found.entry("gadget") == entry
    assert found.entry("person")["definition"].startswith("Names of people")
    phrasings = load_phrasings(ROOT / "data/templates")
    cfg = {"label_dropout": 0.0, "p_examples": 1.0}
    lines, used = render_guidelines(found, ["gadget"], "en", random.Random(0), phrasings=phrasings, cfg=cfg)
    assert used == ["gadget"]
    assert "Pixel 8" in lines
    with pytest.raises(ReviewError, match=r"'gadget' has a guideline in .*street\.yaml by now"):
        adopt(gadget, accepted(gadget), folder, DATASETS["toy"][1], 0.1)


def test_an_accepted_draft_without_a_covering_file_starts_the_datasets_own(project):
    run(project, Scripted(toy_script()))
    gadget, slang = drafts(project)
    folder = project / "guidelines"
    (folder / "street.yaml").unlink()
    edited = "Named devices: phones, music players and game consoles."
    path, entry = adopt(gadget, accepted(gadget, edited), folder, DATASETS["toy"][1], 0.1)
    assert path == folder / "toy.yaml"
    assert path.read_text(encoding="utf-8").startswith(NEW_FILE.format(dataset="toy", lang="en"))
    assert entry["definition"] == edited
    assert entry["paraphrases"] == ["Named consumer devices, like phones and players."]  # the other no longer fits the edit
    adopt(slang, accepted(slang), folder, DATASETS["toy"][1], 0.1)  # the own file is found again, below min_coverage too
    (toy,) = load_guidelines(folder)
    assert list(toy.entries) == ["gadget", "slang"]
    assert guideline_for(DATASETS["toy"][1], "en", [toy], 0.1) is toy


def test_a_file_whose_labels_block_is_not_last_is_rewritten_whole_keeping_its_header(project):
    run(project, Scripted(toy_script()))
    gadget, _ = drafts(project)
    street = project / "guidelines/street.yaml"
    street.write_text(STREET.replace("lang: en\n", "") + "lang: en\n", encoding="utf-8")
    adopt(gadget, accepted(gadget), project / "guidelines", DATASETS["toy"][1], 0.1)
    text = street.read_text(encoding="utf-8")
    assert text.startswith("# Street names (human-written).\n")
    tree = yaml.safe_load(text)
    assert (tree["lang"], list(tree["labels"])) == ("en", ["person", "location", "corporation", "gadget"])
