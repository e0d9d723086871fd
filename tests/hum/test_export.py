"""Every export loads with `datasets` and has the schema its consumers document.

TRL's SFTTrainer reads "conversational" data as a `messages` column of {role, content} turns (roles system, user,
assistant; the last turn the assistant's). Alpaca is `instruction`, `input`, `output` strings; ShareGPT is
`conversations` of {from: system | human | gpt, value}. TRL itself is not installed: these tests check the schema.
"""

from __future__ import annotations

import json

import datasets
import pytest

from hum.export import EXPORTS, export_path, to_alpaca, to_sharegpt, write_exports
from hum.general import to_chat
from hum.instructions import fenced
from hum.io import read_jsonl, write_jsonl
from hum.records import meta_record

TEXT = "Ann met Bob in 北京."


def record(i: int, *, system: bool = True, slots: dict | None = None) -> dict:
    head = "Find the people.\n\nText:\n"
    user = f"{head}{TEXT}\n\nAnswer in JSON."
    meta = meta_record(
        task="ner", subtask="extract", dataset="toy", seed_id=f"s{i}", lang="en", kind="compound", format="json",
        gold=[["person", "Ann"]], slots=slots or {}, text_span=[len(head), len(head) + len(TEXT)],
    )  # fmt: skip
    messages = [{"role": "user", "content": user}, {"role": "assistant", "content": f'["Ann {i}"]'}]
    if system:
        messages.insert(0, {"role": "system", "content": "You are an annotator."})
    return {"id": f"toy/s{i}#0", "messages": messages, "meta": meta}


def test_alpaca_cuts_the_input_text_out_of_the_request():
    assert to_alpaca(record(0)) == {
        "instruction": "Find the people.\n\nText:\n\nAnswer in JSON.",
        "input": TEXT,
        "output": '["Ann 0"]',
    }


@pytest.mark.parametrize("char", ['"', "`", "~", "="])
def test_alpaca_drops_the_fence_around_the_input_text(char):
    block, start = fenced(TEXT + char * 3, char)
    head = "Find the people.\n\nText:\n"
    fenced_record = record(0)
    fenced_record["messages"][1]["content"] = f"{head}{block}\n\nAnswer in JSON."
    fenced_record["meta"]["text_span"] = [len(head) + start, len(head) + start + len(TEXT) + 3]
    assert to_alpaca(fenced_record) == {**to_alpaca(record(0)), "input": TEXT + char * 3}


def test_alpaca_keeps_the_whole_message_when_nothing_would_be_left():
    general = to_chat({"id": "g1", "dataset": "self", "text": "Write a haiku.", "output": "Autumn.", "lang": "en"})
    assert to_alpaca(general) == {"instruction": "Write a haiku.", "input": "", "output": "Autumn."}
    spanless = record(1)
    spanless["meta"]["text_span"] = [0, 0]
    assert to_alpaca(spanless)["input"] == ""
    assert to_alpaca(spanless)["instruction"] == spanless["messages"][1]["content"]


def test_sharegpt_names_its_speakers():
    assert to_sharegpt(record(0, system=False)) == {
        "id": "toy/s0#0",
        "conversations": [
            {"from": "human", "value": f"Find the people.\n\nText:\n{TEXT}\n\nAnswer in JSON."},
            {"from": "gpt", "value": '["Ann 0"]'},
        ],
    }


def test_export_paths():
    assert [export_path(e, "train") for e in EXPORTS] == [
        "train.jsonl",
        "train.parquet",
        "alpaca/train.jsonl",
        "sharegpt/train.jsonl",
    ]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    splits = {"train": [record(i, system=i % 2 == 0, slots={"label": "person"} if i % 3 else {}) for i in range(30)]}
    splits["validation"] = [record(100 + i, slots={"question": "who?"}) for i in range(5)]
    for split, records in splits.items():
        write_jsonl(folder / f"{split}.jsonl", records)
    files = write_exports(folder, list(splits), EXPORTS)
    return folder, files, splits


def load(folder, export, split):
    builder = "parquet" if export == "parquet" else "json"
    return datasets.load_dataset(builder, data_files=str(folder / export_path(export, split)), split="train")


def test_write_exports_lists_what_it_wrote(exported):
    folder, files, _ = exported
    assert files == {e: {s: export_path(e, s) for s in ("train", "validation")} for e in EXPORTS}
    assert all((folder / p).is_file() for splits in files.values() for p in splits.values())


def assert_conversational(rows) -> None:
    """TRL's conversational format: a `messages` list of {role, content} ending with the assistant."""
    for messages in rows["messages"]:
        roles = [m["role"] for m in messages]
        assert set(roles) <= {"system", "user", "assistant"}
        assert all(isinstance(m["content"], str) and set(m) == {"role", "content"} for m in messages)
        assert roles[-1] == "assistant"
        assert roles[0] in {"system", "user"}
        assert "system" not in roles[1:]


@pytest.mark.parametrize("export", ["messages", "parquet"])
@pytest.mark.parametrize("split", ["train", "validation"])
def test_messages_and_parquet_load_as_trl_conversational(exported, export, split):
    folder, _, splits = exported
    ds = load(folder, export, split)
    assert {"id", "messages", "meta"} <= set(ds.column_names)
    assert ds.num_rows == len(splits[split])
    assert_conversational(ds)


def test_parquet_holds_the_same_records(exported):
    folder, _, splits = exported
    assert list(load(folder, "parquet", "train")) == splits["train"]  # meta.slots included, whatever its keys
    assert list(load(folder, "parquet", "train")) == list(load(folder, "messages", "train"))


@pytest.mark.parametrize("split", ["train", "validation"])
def test_alpaca_loads_with_its_three_string_fields(exported, split):
    folder, _, splits = exported
    ds = load(folder, "alpaca", split)
    assert sorted(ds.column_names) == ["input", "instruction", "output"]
    assert all(ds.features[c].dtype == "string" for c in ds.column_names)
    assert list(ds) == [to_alpaca(r) for r in splits[split]]


@pytest.mark.parametrize("split", ["train", "validation"])
def test_sharegpt_loads_with_its_speakers(exported, split):
    folder, _, splits = exported
    ds = load(folder, "sharegpt", split)
    assert sorted(ds.column_names) == ["conversations", "id"]
    assert ds.num_rows == len(splits[split])
    for turns in ds["conversations"]:
        speakers = [t["from"] for t in turns]
        assert set(speakers) <= {"system", "human", "gpt"}
        assert speakers[-1] == "gpt"
        assert all(isinstance(t["value"], str) for t in turns)


def test_only_the_chosen_exports_are_written(tmp_path):
    write_jsonl(tmp_path / "train.jsonl", [record(0)])
    files = write_exports(tmp_path, ["train"], ("sharegpt",))
    assert files == {"messages": {"train": "train.jsonl"}, "sharegpt": {"train": "sharegpt/train.jsonl"}}
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == files_of(files)
    assert [json.loads(line) for line in (tmp_path / "sharegpt/train.jsonl").read_text().splitlines()] == [to_sharegpt(record(0))]
    assert list(read_jsonl(tmp_path / "train.jsonl")) == [record(0)]


def files_of(files: dict) -> list[str]:
    return sorted(p for splits in files.values() for p in splits.values())
