"""Every export loads with `datasets` and has the schema its consumers document.

TRL's SFTTrainer reads "conversational" data as a `messages` column of {role, content} turns (roles system, user,
assistant; the last turn the assistant's). Alpaca is `instruction`, `input`, `output` strings; ShareGPT is
`conversations` of {from: system | human | gpt, value}. TRL itself is not installed: these tests check the schema.
"""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datasets.packaged_modules.json.json import JsonConfig

from hum import export as export_module
from hum.export import (
    EXPORTS,
    SplitWriter,
    converters,
    data_files,
    export_path,
    lines_of,
    row_groups,
    to_alpaca,
    to_parquet,
    to_sharegpt,
    write_parquet,
)
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


def write_splits(folder: Path, splits: dict[str, list[dict]], exports: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """What `mix` does: each split's JSON-lines files in one pass, then Parquet from its `messages` file."""
    for split, records in splits.items():
        with SplitWriter(folder, split, exports) as writer:
            for rec in records:
                writer.write(rec)
    if "parquet" in exports:
        write_parquet(folder, [s for s, records in splits.items() if records])  # a split without records has none
    return data_files([s for s, records in splits.items() if records], exports)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    splits = {"train": [record(i, system=i % 2 == 0, slots={"label": "person"} if i % 3 else {}) for i in range(30)]}
    splits["validation"] = [record(100 + i, slots={"question": "who?"}) for i in range(5)]
    files = write_splits(folder, splits, EXPORTS)
    return folder, files, splits


def load(folder, export, split):
    builder = "parquet" if export == "parquet" else "json"
    return datasets.load_dataset(builder, data_files=str(folder / export_path(export, split)), split="train")


def test_data_files_lists_what_was_written(exported):
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
    files = write_splits(tmp_path, {"train": [record(0)]}, ("sharegpt",))
    assert files == {"messages": {"train": "train.jsonl"}, "sharegpt": {"train": "sharegpt/train.jsonl"}}
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == files_of(files)
    assert [json.loads(line) for line in (tmp_path / "sharegpt/train.jsonl").read_text().splitlines()] == [to_sharegpt(record(0))]
    assert list(read_jsonl(tmp_path / "train.jsonl")) == [record(0)]


def files_of(files: dict) -> list[str]:
    return sorted(p for splits in files.values() for p in splits.values())


def test_a_split_without_records_has_only_its_messages_file(tmp_path):
    write_splits(tmp_path, {"train": []}, EXPORTS)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["train.jsonl"]
    assert (tmp_path / "train.jsonl").read_bytes() == b""


def many(n: int) -> list[dict]:
    """Records whose `meta.slots` keys vary (a JSON column) and whose texts repeat (dictionary pages)."""
    return [
        record(i, system=i % 4 > 0, slots=[{}, {"label": "person"}, {"head": "Ann", "tail": str(i)}][i % 3]) for i in range(n)
    ]


def test_parquet_is_what_datasets_writes_for_one_row_group(tmp_path):
    """Same schema, features metadata, writer options and rows as `Dataset.from_json(...).to_parquet(...)`: same bytes."""
    write_jsonl(tmp_path / "train.jsonl", many(40))
    to_parquet(tmp_path / "train.jsonl", tmp_path / "ours.parquet")
    datasets.Dataset.from_json(str(tmp_path / "train.jsonl"), cache_dir=str(tmp_path / "cache")).to_parquet(
        str(tmp_path / "theirs.parquet")
    )
    assert (tmp_path / "ours.parquet").read_bytes() == (tmp_path / "theirs.parquet").read_bytes()


def test_parquet_streams_row_groups_that_load_back_as_datasets_reads_the_json(tmp_path, monkeypatch):
    monkeypatch.setattr(export_module, "ROW_GROUP", 7)
    records = many(40)
    write_jsonl(tmp_path / "train.jsonl", records)
    to_parquet(tmp_path / "train.jsonl", tmp_path / "train.parquet")
    assert pq.ParquetFile(tmp_path / "train.parquet").metadata.num_row_groups == 6
    ours = datasets.Dataset.from_parquet(str(tmp_path / "train.parquet"), cache_dir=str(tmp_path / "cache"))
    theirs = datasets.Dataset.from_json(str(tmp_path / "train.jsonl"), cache_dir=str(tmp_path / "cache"))
    assert ours.features == theirs.features
    assert list(ours) == list(theirs) == records
    first = (tmp_path / "train.parquet").read_bytes()
    to_parquet(tmp_path / "train.jsonl", tmp_path / "train.parquet")
    assert (tmp_path / "train.parquet").read_bytes() == first


def test_row_groups_are_loads_of_row_group_lines_by_absolute_path(tmp_path, monkeypatch):
    """Planned from a newline count, each load reads its lines where it runs: from any folder (Ray's workers' cwd)."""
    monkeypatch.setattr(export_module, "ROW_GROUP", 7)
    write_jsonl(tmp_path / "train.jsonl", many(40))
    monkeypatch.chdir(tmp_path)
    loads = row_groups(Path("train.jsonl"), features=None)
    monkeypatch.chdir(tmp_path.parent)
    lines = (tmp_path / "train.jsonl").read_bytes().splitlines(keepends=True)
    assert [group.lines for group in loads] == [lines[i : i + 7] for i in range(0, 40, 7)]
    assert all(load.path.is_absolute() for load in loads.loads)


def test_a_field_the_first_block_lacks_stops_the_parquet_export(tmp_path, monkeypatch):
    """`datasets` takes the schema from the file's first block and could not cast a later field to it: nor can we."""
    records = many(40)
    records[-1]["meta"]["extra"] = "late"
    write_jsonl(tmp_path / "train.jsonl", records)
    monkeypatch.setattr(JsonConfig, "chunksize", 1000)  # the first block: a few records
    with pytest.raises(pa.ArrowInvalid, match="unexpected field"):
        to_parquet(tmp_path / "train.jsonl", tmp_path / "train.parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.jsonl"]  # nor a temporary left behind


def test_lines_spelt_elsewhere_write_the_files_one_record_at_a_time_writes(tmp_path):
    """`write_lines` (a worker's batch of lines, `lines_of` each record) writes the bytes `write` writes."""
    records, exports = [record(i, system=bool(i % 2)) for i in range(7)], ("messages", "alpaca", "sharegpt")
    write_splits(tmp_path / "one", {"train": records, "validation": []}, exports)
    with SplitWriter(tmp_path / "lines", "train", exports) as writer:
        for batch in (records[:3], [], records[3:]):
            texts: dict[str, str] = {}
            for rec in batch:
                for export, line in lines_of(rec, converters(exports)):
                    texts[export] = texts.get(export, "") + line + "\n"
            writer.write_lines(len(batch), texts)
    with SplitWriter(tmp_path / "lines", "validation", exports) as empty:
        empty.write_lines(0, {})  # a split without records: its messages file only
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "lines") for p in (tmp_path / "lines").rglob("*") if p.is_file())
    assert all((tmp_path / "one" / f).read_bytes() == (tmp_path / "lines" / f).read_bytes() for f in files)
