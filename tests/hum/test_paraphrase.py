from __future__ import annotations

import json

import pytest

from conftest import PARAPHRASE_CFG, FakeChat
from hum.checkpoint import CHECKPOINTS, Checkpoint, unit_seed
from hum.paraphrase import clean, form_problem, paraphrase_entry, prompt_for, reject_reason
from hum.pool import build_pool, human_descriptions, load_pool, proposal_id
from hum.provenance import digest

CFG = {**PARAPHRASE_CFG, "attempts": 6}
SOURCE = "Find all named entities in the text that belong to these types: {labels}."
ENTRY = {
    "id": "en.ner.extract.0",
    "lang": "en",
    "task": "ner",
    "subtask": "extract",
    "text": SOURCE,
    "source": "human",
    "keywords": ["entit"],
}
GOOD = "Identify every entity mentioned in the passage whose type is one of {labels}."
REPLIES = [
    f'"{GOOD}"\nI hope this helps!',  # quotes and chatter are cleaned off
    GOOD,
    f"Rewritten: {SOURCE}",
    "List entities of type {label}.",
    "",
    "Please rewrite the entities in this instruction: {labels}.",
]
REASONS = [
    None,
    "near-copy of a kept paraphrase",
    "near-copy of its source",
    "placeholders changed",
    "empty",
    "talks about the request",
]


def test_prompt_and_clean():
    assert prompt_for(SOURCE, "en").endswith(
        f"such as {{labels}}, exactly as it is. Reply with the rewritten instruction only.\n\nInstruction: {SOURCE}"
    )
    assert clean('Paraphrase: "Extract {labels}."\nmore', "Extract the entities.") == "Extract {labels}."
    assert clean("Note: keep it", "Note: the source has a lead") == "Note: keep it"


def test_paraphrase_entry_with_scripted_model():
    model = FakeChat(REPLIES)
    out = list(paraphrase_entry(model, ENTRY, CFG, seed=7))
    assert [o.get("reject") for o in out] == REASONS
    assert [o["id"] for o in out] == [f"en.ner.extract.0~p{i}" for i in range(6)]
    assert out[0] == {**ENTRY, "id": "en.ner.extract.0~p0", "parent": "en.ner.extract.0", "source": "llm", "text": GOOD}
    assert out[2]["reply"] == REPLIES[2]
    seeds = [c["seed"] for c in model.calls]
    assert seeds == [unit_seed(7, f"attempt {i}") for i in range(6)]
    assert len(set(seeds)) == 6
    assert all(0 <= s < 2**32 for s in seeds)  # llama.cpp takes 32-bit seeds
    assert {(c["temperature"], c["max_tokens"]) for c in model.calls} == {(0.9, 80)}
    assert model.calls[0]["messages"] == [{"role": "user", "content": prompt_for(SOURCE, "en")}]


def test_key_terms_ignore_placeholders():
    source = "Classify the text into one of these categories: {labels}."
    entry = {"text": source, "lang": "en", "keywords": ["categor", "label", "class"]}
    candidate = "Put the text into one of these groups: {labels}."
    assert reject_reason(candidate, entry, prompt_for(source, "en"), [source], CFG) == "lost the task's key terms"


TEMPLATES = """
keywords:
  en: {ner: [entit], cls: [label]}
descriptions:
  en:
    ner:
      extract: ["Find all named entities in the text that belong to these types: {labels}."]
    cls:
      classify: ["Choose the label of the text from: {labels}."]
"""
PARAMS = {"seed": 3, "paraphrase": CFG | {"attempts": 2}}


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # build_pool writes checkpoints and metrics relative to the working directory
    (tmp_path / "descriptions.yaml").write_text(TEMPLATES, encoding="utf-8")
    return tmp_path


PICK = "Pick the label that fits the text best, out of {labels}."


def test_build_pool_writes_proposals_for_review(workdir, capsys):
    model = FakeChat([GOOD, PICK, "", PICK])
    build_pool(workdir / "descriptions.yaml", model, PARAMS, workdir / "pool")
    assert sorted(p.name for p in (workdir / "pool").iterdir()) == ["manifest.json", "proposals.jsonl", "rejects.jsonl"]
    proposals = [json.loads(ln) for ln in (workdir / "pool" / "proposals.jsonl").read_text(encoding="utf-8").splitlines()]
    assert proposals == sorted(proposals, key=lambda p: p["id"])
    cls = "Choose the label of the text from: {labels}."
    assert {p["id"]: p for p in proposals} == {
        proposal_id("en.cls.classify.0", PICK): {
            "id": proposal_id("en.cls.classify.0", PICK),
            "kind": "description",
            "lang": "en",
            "task": "cls",
            "subtask": "classify",
            "parent": "en.cls.classify.0",
            "parent_text": cls,
            "text": PICK,
            "keywords": ["label"],
            "source": "llm",
            "status": "proposed",
        },
        proposal_id("en.ner.extract.0", GOOD): {
            "id": proposal_id("en.ner.extract.0", GOOD),
            "kind": "description",
            "lang": "en",
            "task": "ner",
            "subtask": "extract",
            "parent": "en.ner.extract.0",
            "parent_text": SOURCE,
            "text": GOOD,
            "keywords": ["entit"],
            "source": "llm",
            "status": "proposed",
        },
    }
    rejects = [json.loads(ln) for ln in (workdir / "pool" / "rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["reject"]) for r in rejects] == [
        ("en.ner.extract.0~p1", "lost the task's key terms"),
        ("en.cls.classify.0~p0", "empty"),
    ]
    metrics = json.loads((workdir / "metrics" / "paraphrase.json").read_text(encoding="utf-8"))
    assert metrics == {
        "human": 2,
        "attempts": 4,
        "proposed": 2,
        "yield": 0.5,
        "rejected": 2,
        "reject_reasons": {"empty": 1, "lost the task's key terms": 1},
    }
    manifest = json.loads((workdir / "pool" / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["model"], manifest["params_sha256"], manifest["counts"]) == ("fake:1", digest(PARAMS), metrics)
    assert not any((workdir / CHECKPOINTS).iterdir())
    assert capsys.readouterr().out.splitlines()[-1] == (
        "[paraphrase] 2 human descriptions, 2 paraphrases proposed for review, 2 rejected "
        "(lost the task's key terms: 1; empty: 1)"
    )
    templates, proposals, reviews = workdir / "descriptions.yaml", workdir / "pool" / "proposals.jsonl", workdir / "reviews.yaml"
    assert pool_ids(load_pool(templates, proposals, reviews, unreviewed=False)) == {
        ("en", "cls", "classify"): ["en.cls.classify.0"],
        ("en", "ner", "extract"): ["en.ner.extract.0"],
    }
    assert pool_ids(load_pool(templates, proposals, reviews, unreviewed=True)) == {
        ("en", "cls", "classify"): sorted(["en.cls.classify.0", proposal_id("en.cls.classify.0", PICK)]),
        ("en", "ner", "extract"): sorted(["en.ner.extract.0", proposal_id("en.ner.extract.0", GOOD)]),
    }


def pool_ids(pool: dict) -> dict:
    return {k: [d["id"] for d in v] for k, v in pool.items()}


def test_build_pool_is_byte_identical_for_the_same_config(workdir):
    for name in ("a", "b"):
        build_pool(workdir / "descriptions.yaml", FakeChat([GOOD, PICK, "", PICK]), PARAMS, workdir / name)
    for name in ("proposals.jsonl", "rejects.jsonl", "manifest.json"):
        assert (workdir / "a" / name).read_bytes() == (workdir / "b" / name).read_bytes()


def test_build_pool_resumes_from_checkpoint(workdir):
    model = FakeChat([GOOD])
    resumed = "Extract every entity of types {labels}."
    done = [{**ENTRY, "id": "en.ner.extract.0~p0", "parent": ENTRY["id"], "source": "llm", "text": resumed}]
    human = human_descriptions(workdir / "descriptions.yaml")
    Checkpoint(workdir / CHECKPOINTS / f"paraphrase-{digest([PARAMS, model.fingerprint, human])[:16]}.jsonl").add(
        "en.ner.extract.0", done
    )
    build_pool(workdir / "descriptions.yaml", model, PARAMS, workdir / "pool")
    assert len(model.calls) == 2  # only the cls description was paraphrased
    pool = load_pool(workdir / "descriptions.yaml", workdir / "pool/proposals.jsonl", workdir / "reviews.yaml", unreviewed=True)
    assert [d["text"] for d in pool[("en", "ner", "extract")]] == [ENTRY["text"], resumed]


@pytest.mark.parametrize(
    "candidate",
    [
        "The entities in the text belong to these types: {labels}, which are named.",
        "I'll extract the named entities of the types {labels} from the text.",
        "Implementing a rule that finds all named entities that belong to {labels}.",
    ],
)
def test_english_paraphrase_must_be_phrased_as_an_instruction(candidate):
    assert reject_reason(candidate, ENTRY, prompt_for(SOURCE, "en"), [SOURCE], CFG) == "not phrased as an instruction"


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("[INST] Identify every entity mentioned in the passage whose type is one of {labels}. [/INST]", None),
        ("Identify every entity [/INST] whose type is one of {labels}.", "chat-template debris"),
        ("Find all named entities in the text that belong", "a cut copy of its source"),
    ],
)
def test_debris_and_cut_copies(reply, reason):
    candidate = clean(reply, SOURCE)
    assert reject_reason(candidate, ENTRY, prompt_for(SOURCE, "en"), [SOURCE], CFG) == reason


@pytest.mark.parametrize(
    ("key", "text", "reason"),
    [
        ("en.mrc.extractive.0", "Read and answer the question, Reply with the passage.", "changes what is asked"),
        ("en.cls.classify.0", "Pick every category from {labels} that fits the text.", "changes what is asked"),
        ("en.cls.multi.0", "Assign the text to exactly one category from {labels}.", "asks for something else"),
        ("en.oie.tuples.0", "Extract every fact in the sentence as a subject, object tuple.", "asks for something else"),
    ],
)
def test_a_paraphrase_that_changes_the_task_is_rejected(root, key, text, reason):
    entry = next(e for e in human_descriptions(root / "data/templates/descriptions.yaml") if e["id"] == key)
    got = reject_reason(text, entry, prompt_for(entry["text"], "en"), [entry["text"]], CFG)
    assert got is not None
    assert got.startswith(reason)


def test_every_human_description_passes_the_form_checks(root):
    entries = human_descriptions(root / "data/templates/descriptions.yaml")
    assert [(e["id"], form_problem(e["text"], e, CFG)) for e in entries if form_problem(e["text"], e, CFG)] == []
