"""`hum review` driven through a real pseudo-terminal: single raw keys, inline and $EDITOR edits, Ctrl-C, EOF."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
import yaml

from conftest import guideline_draft
from hum.guidelines import guideline_for, load_guidelines
from hum.io import write_jsonl
from hum.pool import as_proposal
from hum.review import HEADER, load_decisions

TIMEOUT = 10
KEYS = "[a]ccept [e]dit [r]eject [s]kip [q]uit "
PARENT = {
    "id": "en.ner.extract.0",
    "lang": "en",
    "task": "ner",
    "subtask": "extract",
    "text": "Find all named entities in the text that belong to these types: {labels}.",
    "keywords": ["entit"],
}
TEXTS = [
    "Identify every entity mentioned in the passage whose type is one of {labels}.",
    "Spot each named entity of the types {labels} in the passage.",
    "List the entities in the passage that have one of the types {labels}.",
    "Extract the entities of types {labels} from the passage.",
    "Which entities of the types {labels} does the passage mention?",
]
PROPOSALS = sorted((as_proposal({"text": t}, PARENT) for t in TEXTS), key=lambda p: p["id"])  # the order of review
AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_jsonl(tmp_path / "data/pool/proposals.jsonl", PROPOSALS)
    (tmp_path / "data/templates").mkdir(parents=True)
    (tmp_path / "data/templates/reviews.yaml").write_text(HEADER + "decisions: []\n", encoding="utf-8")
    (tmp_path / "home").mkdir()
    (tmp_path / "gitconfig").write_text("[user]\n\tname = Test Reviewer\n", encoding="utf-8")
    return tmp_path


def environ(project: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"VISUAL", "EDITOR", "GIT_DIR", "GIT_WORK_TREE"}}
    env |= {"HOME": str(project / "home"), "GIT_CONFIG_GLOBAL": str(project / "gitconfig"), "GIT_CONFIG_NOSYSTEM": "1"}
    env |= {"LC_ALL": "C.UTF-8", "TERM": "xterm", "PYTHONUNBUFFERED": "1", "USER": "someone"}
    return env | extra


def interactive() -> None:
    """Ctrl-C as a terminal delivers it: a test run in the background (`cmd &`, nohup) inherits SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def spawn(project: Path, *args: str, **env: str) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable,
        ["-m", "hum.cli", "review", *args],
        cwd=str(project),
        env=environ(project, **env),
        encoding="utf-8",
        timeout=TIMEOUT,
        dimensions=(40, 200),
        preexec_fn=interactive,
    )


def shows(child: pexpect.spawn, pos: str, proposal: dict) -> None:
    child.expect_exact(f"[{pos}] {proposal['id']}")
    child.expect_exact(f"human:    {PARENT['text']}")
    child.expect_exact(f"proposal: {proposal['text']}")
    child.expect_exact(KEYS)


def finish(child: pexpect.spawn, summary: str) -> int:
    child.expect_exact(summary)
    child.expect(pexpect.EOF)
    child.close()
    return int(child.exitstatus if child.exitstatus is not None else 128 + child.signalstatus)


def decisions(project: Path) -> list[dict]:
    text = (project / "data/templates/reviews.yaml").read_text(encoding="utf-8")
    assert text.startswith(HEADER)
    return yaml.safe_load(text)["decisions"]


def edit_inline_after_a_refusal(child: pexpect.spawn) -> None:
    child.send("x")
    child.expect_exact("press one of a, e, r, s, q (got 'x')")
    child.expect_exact(KEYS)
    child.send("e")
    child.expect_exact("new text (empty keeps it): ")
    child.sendline("Find the entities in the passage.")  # lost {labels}: refused, nothing recorded
    child.expect_exact(
        "edit refused: the text must keep the placeholders of its human description exactly: {labels} (it has none)"
    )
    child.expect_exact(KEYS)
    child.send("e")
    child.expect_exact("new text (empty keeps it): ")
    child.sendline("")
    child.expect_exact("unchanged")
    child.expect_exact(KEYS)
    child.send("E")  # keys are case-blind
    child.expect_exact("new text (empty keeps it): ")
    child.sendline("Mark every entity of the types {labels} in the passage.")
    child.expect_exact("accepted as edited: Mark every entity of the types {labels} in the passage.")


def reject_after_an_empty_reason(child: pexpect.spawn) -> None:
    child.send("r")
    child.expect_exact("reason (required; empty goes back): ")
    child.sendline("")
    child.expect_exact(KEYS)
    child.send("r")
    child.expect_exact("reason (required; empty goes back): ")
    child.sendline("too close to the human text")
    child.expect_exact("rejected")


def test_review_session_with_every_key(project):
    p = PROPOSALS
    child = spawn(project)
    child.expect_exact("5 description proposals to review as Test Reviewer")
    shows(child, "1/5", p[0])
    child.send("a")
    child.expect_exact("accepted")

    shows(child, "2/5", p[1])
    edit_inline_after_a_refusal(child)
    shows(child, "3/5", p[2])
    reject_after_an_empty_reason(child)
    shows(child, "4/5", p[3])
    child.send("s")
    shows(child, "5/5", p[4])
    child.send("q")
    assert finish(child, "reviewed 4: 2 accepted (1 edited), 1 rejected, 1 skipped, 2 pending") == 0

    first = decisions(project)
    assert [(d["id"], d["decision"], d["text"], d["reason"]) for d in first] == [
        (p[0]["id"], "accepted", p[0]["text"], None),
        (p[1]["id"], "accepted", "Mark every entity of the types {labels} in the passage.", None),
        (p[2]["id"], "rejected", p[2]["text"], "too close to the human text"),
    ]
    assert [d["proposed"] for d in first] == [q["text"] for q in p[:3]]
    assert {d["reviewer"] for d in first} == {"Test Reviewer"}  # from git config user.name
    assert all(AT.match(d["at"]) for d in first)

    # a second run shows only what is still pending: the skipped one and the one never reached
    editor = "sed -i s/passage/paragraph/"  # a scripted editor: rewrites the temp file in place
    child = spawn(project, "--reviewer", "Kim", EDITOR=editor)
    child.expect_exact("2 description proposals to review as Kim")
    shows(child, "1/2", p[3])
    child.send("e")
    edited = p[3]["text"].replace("passage", "paragraph")
    child.expect_exact(f"accepted as edited: {edited}")
    shows(child, "2/2", p[4])
    child.send("a")
    assert finish(child, "reviewed 2: 2 accepted (1 edited), 0 rejected, 0 skipped, 0 pending") == 0
    assert "[1/5]" not in child.before
    second = decisions(project)
    assert second[:3] == first
    assert [(d["id"], d["text"], d["reviewer"]) for d in second[3:]] == [
        (p[3]["id"], edited, "Kim"),
        (p[4]["id"], p[4]["text"], "Kim"),
    ]

    child = spawn(project)
    child.expect_exact("nothing to review")
    assert finish(child, "reviewed 0: 0 accepted (0 edited), 0 rejected, 0 skipped, 0 pending") == 0


def test_an_editor_edit_that_drops_a_placeholder_is_refused(project):
    child = spawn(project, EDITOR="sed -i s/{labels}/them/", USER="fallback")
    shows(child, "1/5", PROPOSALS[0])
    child.send("e")
    child.expect_exact("edit refused: the text must keep the placeholders")
    child.expect_exact(KEYS)
    child.send("q")
    assert finish(child, "reviewed 0: 0 accepted (0 edited), 0 rejected, 0 skipped, 5 pending") == 0
    assert decisions(project) == []


@pytest.mark.parametrize("where", ["keys", "reason"])
def test_ctrl_c_quits_and_keeps_the_decisions_made(project, where):
    p = PROPOSALS
    child = spawn(project, "--reviewer", "Ann")
    shows(child, "1/5", p[0])
    child.send("a")
    shows(child, "2/5", p[1])
    child.send("r")
    child.expect_exact("reason (required; empty goes back): ")
    child.sendline("off topic")
    shows(child, "3/5", p[2])
    if where == "reason":
        child.send("r")
        child.expect_exact("reason (required; empty goes back): ")
        child.send("half a rea")
    child.sendintr()
    child.expect_exact("interrupted: the decisions made so far are saved")
    assert finish(child, "reviewed 2: 1 accepted (0 edited), 1 rejected, 0 skipped, 3 pending") == 130
    assert [(d["id"], d["decision"], d["reviewer"]) for d in load_decisions(project / "data/templates/reviews.yaml")] == [
        (p[0]["id"], "accepted", "Ann"),
        (p[1]["id"], "rejected", "Ann"),
    ]
    assert sorted(f.name for f in (project / "data/templates").iterdir()) == ["reviews.yaml"]


def test_end_of_input_quits_cleanly(project):
    child = spawn(project, "--reviewer", "Ann")
    shows(child, "1/5", PROPOSALS[0])
    child.send("a")
    shows(child, "2/5", PROPOSALS[1])
    child.sendeof()
    child.expect_exact("end of input: the decisions made so far are saved")
    assert finish(child, "reviewed 1: 1 accepted (0 edited), 0 rejected, 0 skipped, 4 pending") == 0
    assert len(decisions(project)) == 1


def test_without_a_terminal_keys_come_one_per_line(project):
    done = subprocess.run(
        [sys.executable, "-m", "hum.cli", "review", "--reviewer", "Pipe"],
        cwd=project,
        env=environ(project),
        input="a\nreject\nduplicate\ns\n",
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "reviewed 3: 1 accepted (0 edited), 1 rejected, 1 skipped, 3 pending"
    assert "end of input" in done.stdout
    assert [(d["decision"], d["reason"]) for d in decisions(project)] == [("accepted", None), ("rejected", "duplicate")]


def test_missing_proposals_and_unknown_reviewer(project):
    env = environ(project, GIT_CONFIG_GLOBAL=str(project / "none"))
    env.pop("USER")
    run = [sys.executable, "-m", "hum.cli", "review"]
    done = subprocess.run([*run, "--proposals", "nope.jsonl"], cwd=project, env=env, capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr) == (1, "hum review: nope.jsonl: no proposals yet; run `dvc repro paraphrase` first\n")
    done = subprocess.run(run, cwd=project, env=env, capture_output=True, text=True, check=False, input="")
    assert done.returncode == 1
    assert "pass --reviewer NAME" in done.stderr


def test_help_lists_the_subcommands():
    script = Path(sys.executable).with_name("hum")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "hum.cli"]
    done = subprocess.run([*command, "--help"], capture_output=True, text=True, check=True, timeout=TIMEOUT)
    assert re.search(r"^\s+review\s+review LLM proposals", done.stdout, re.MULTILINE)
    assert re.search(r"^\s+guidelines\s+LLM-drafted label guidelines", done.stdout, re.MULTILINE)
    done = subprocess.run(
        [*command, "guidelines", "draft", "--help"], capture_output=True, text=True, check=True, timeout=TIMEOUT
    )
    assert all(option in done.stdout for option in ("--dataset", "--limit", "--redo", "data/drafts/guidelines.jsonl"))
    done = subprocess.run([*command, "review", "--help"], capture_output=True, text=True, check=True, timeout=TIMEOUT)
    assert "--reviewer" in done.stdout
    assert "data/templates/reviews.yaml" in done.stdout


STREET = """\
# Street names (human-written).
lang: en
labels:
  person:
    definition: "Names of people, real or fictional."
  location:
    definition: "Names of places."
"""
TOY_LABELS = ["gadget", "location", "person", "slang"]


GADGET = guideline_draft(
    "gadget",
    "A gadget is a named device or piece of consumer hardware.",
    paraphrases=["Any device or hardware product that has a name."],
    exclude="The companies that make devices, such as Google, are not gadgets.",
    examples=["Pixel 8", "iPhone"],
    negatives=["Google"],
)
SLANG = guideline_draft("slang", "Slang marks informal words that stand for an opinion.", examples=["sick"])


@pytest.fixture
def drafts_project(project: Path) -> Path:
    """The review project plus what guideline drafts need: drafts, prepared label sets, guidelines and params."""
    write_jsonl(project / "data/drafts/guidelines.jsonl", [SLANG, GADGET])
    (project / "data/guidelines").mkdir(parents=True)
    (project / "data/guidelines/street.yaml").write_text(STREET, encoding="utf-8")
    (project / "data/prepared").mkdir(parents=True)
    (project / "data/prepared/toy.labels.json").write_text(json.dumps(TOY_LABELS), encoding="utf-8")
    (project / "params.yaml").write_text("generate:\n  guidelines:\n    min_coverage: 0.1\n", encoding="utf-8")
    return project


def shows_draft(child: pexpect.spawn, pos: str, draft: dict) -> None:
    child.expect_exact(f"[{pos}] {draft['id']}  (en ner, dataset toy)")
    child.expect_exact(f"label:       {draft['label']}")
    child.expect_exact(f"definition:  {draft['definition']}")
    for paraphrase in draft["paraphrases"]:
        child.expect_exact(f"paraphrase:  {paraphrase}")
    if draft["exclude"]:
        child.expect_exact(f"exclude:     {draft['exclude']}")
    child.expect_exact(f"examples:    {'; '.join(draft['examples'])}")
    child.expect_exact(f"not this:    {'; '.join(draft['negatives']) or '(none in the data)'}")
    child.expect_exact(KEYS)


def test_review_guideline_drafts_accepts_into_the_guideline_file(drafts_project):
    guidelines = drafts_project / "data/guidelines"
    child = spawn(drafts_project, "--kind", "guideline")
    child.expect_exact("2 guideline proposals to review as Test Reviewer")
    shows_draft(child, "1/2", GADGET)  # in id order
    child.send("a")
    child.expect_exact("accepted")
    child.expect_exact(f"guideline of gadget written to {Path('data/guidelines/street.yaml')}")
    shows_draft(child, "2/2", SLANG)
    child.send("r")
    child.expect_exact("reason (required; empty goes back): ")
    child.sendline("not a label we keep")
    child.expect_exact("rejected")
    assert finish(child, "reviewed 2: 1 accepted (0 edited), 1 rejected, 0 skipped, 0 pending") == 0

    assert [(d["kind"], d["label"], d["decision"], d["text"]) for d in decisions(drafts_project)] == [
        ("guideline", "gadget", "accepted", GADGET["definition"]),
        ("guideline", "slang", "rejected", SLANG["definition"]),
    ]
    text = (guidelines / "street.yaml").read_text(encoding="utf-8")
    assert text.startswith(STREET)
    entry = yaml.safe_load(text)["labels"]["gadget"]
    assert entry["definition"] == GADGET["definition"]
    assert entry["paraphrases"] == GADGET["paraphrases"]
    assert (entry["exclude"], entry["examples"], entry["negatives"]) == (GADGET["exclude"], ["Pixel 8", "iPhone"], ["Google"])
    assert entry["reviewed"]["by"] == "Test Reviewer"
    assert AT.match(entry["reviewed"]["at"])
    assert "slang" not in yaml.safe_load(text)["labels"]
    found = guideline_for(TOY_LABELS, "en", load_guidelines(guidelines), 0.1)
    assert found is not None
    assert found.name == "street"
    assert found.entry("gadget")["definition"] == GADGET["definition"]
    assert found.entry("slang") is None


def test_an_edited_draft_without_a_covering_file_starts_the_datasets_own(drafts_project):
    (drafts_project / "data/guidelines/street.yaml").unlink()
    child = spawn(drafts_project, "--kind", "guideline", "--reviewer", "Kim", EDITOR="sed -i s/consumer/household/")
    shows_draft(child, "1/2", GADGET)
    child.send("e")
    edited = GADGET["definition"].replace("consumer", "household")
    child.expect_exact(f"accepted as edited: {edited}")
    child.expect_exact(f"guideline of gadget written to {Path('data/guidelines/toy.yaml')}")
    shows_draft(child, "2/2", SLANG)
    child.send("q")
    assert finish(child, "reviewed 1: 1 accepted (1 edited), 0 rejected, 0 skipped, 1 pending") == 0
    (toy,) = load_guidelines(drafts_project / "data/guidelines")
    assert (toy.name, toy.entry("gadget")["definition"], toy.entry("gadget")["reviewed"]["by"]) == ("toy", edited, "Kim")
    assert guideline_for(TOY_LABELS, "en", [toy], 0.1) is toy


def test_guideline_review_needs_the_params(drafts_project):
    (drafts_project / "params.yaml").unlink()
    done = subprocess.run(
        [sys.executable, "-m", "hum.cli", "review", "--kind", "guideline"],
        cwd=drafts_project,
        env=environ(drafts_project),
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "hum review: params.yaml: missing; accepting a guideline reads generate.guidelines.min_coverage there\n"
