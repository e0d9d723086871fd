from __future__ import annotations

import json
import unicodedata

import datasets
import pytest
import yaml
from test_windows import stretched

from conftest import ROOT
from hum.errors import HumInputError
from hum.io import atomic_dir
from hum.prepare import WINDOW_COUNTS, Bad, check_batch, held_out, prepare_dataset, rows, too_bad, validated
from hum.settings import ConfigError, check_params

TEXT = "Ann met Bob"
GOOD = {"id": "a", "text": TEXT, "entities": [{"start": 0, "end": 3, "text": "Ann", "type": "PER"}]}
BAD = {
    "offsets": (
        {"id": "b", "text": TEXT, "entities": [{"start": 0, "end": 4, "text": "Ann", "type": "PER"}]},
        "entities",
        "span text does not match the text at [start:end): span 'Ann', text has 'Ann '",
    ),
    "beyond": (
        {"id": "b", "text": TEXT, "entities": [{"start": 8, "end": 20, "text": "Bob", "type": "PER"}]},
        "entities",
        "end is beyond the text",
    ),
    "reversed": (
        {"id": "b", "text": TEXT, "entities": [{"start": 3, "end": 3, "text": "", "type": "PER"}]},
        "entities",
        "start is not before end",
    ),
    "label": (
        {"id": "b", "text": TEXT, "entities": [{"start": 8, "end": 11, "text": "Bob", "type": "ALIEN"}]},
        "entities",
        "label is not in the dataset's label set: 'ALIEN'",
    ),
    "empty": ({"id": "b", "text": "  ", "entities": []}, "text", "empty text"),
    "dup": ({"id": "a", "text": "Bob", "entities": []}, "id", "duplicate id"),
    "missing": ({"id": "b", "entities": []}, "text", "missing"),
}
PARAMS = {"max_records": 100, "eval_fraction": 0.0, "on_error": "raise"}


def seed_file(tmp_path, recs, name="seeds.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    return path


def config(path, **extra):
    return {"name": "toy", "task": "ner", "lang": "en", "loader": "jsonl", "train": str(path), "labels": ["PER"], **extra}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_validated_reports_bad_rows(tmp_path, kind):
    bad, field, problem = BAD[kind]
    path = seed_file(tmp_path, [GOOD, bad])
    out = list(validated(config(path), "train", {"PER"}))
    assert out == [Bad(str(path), "line 2", field, problem), {"dataset": "toy", "task": "ner", "lang": "en", **GOOD}]


@pytest.mark.parametrize("kind", sorted(BAD))
def test_prepare_raise_message(tmp_path, kind):
    bad, field, problem = BAD[kind]
    path = seed_file(tmp_path, [GOOD, bad])
    with pytest.raises(HumInputError) as info:
        prepare_dataset(config(path), PARAMS, 13, tmp_path / "out")
    assert str(info.value) == f"{path}: line 2: field '{field}': {problem}"
    assert (info.value.path, info.value.where, info.value.field) == (str(path), "line 2", field)


def test_prepare_quarantine(tmp_path):
    recs = [GOOD] + [BAD[k][0] | {"id": f"b{i}"} for i, k in enumerate(["offsets", "label", "empty"])] + [BAD["dup"][0]]
    path = seed_file(tmp_path, recs)
    out = tmp_path / "out"
    counts = prepare_dataset(config(path), PARAMS | {"on_error": "quarantine"}, 13, out)
    assert counts == {"train": 1, "eval": 0, "decontaminated": 0, "quarantined": 4}
    lines = [json.loads(ln) for ln in (out / "toy.quarantine.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted((q["where"], q["field"], q["reason"]) for q in lines) == [
        ("line 2", "entities", BAD["offsets"][2]),
        ("line 3", "entities", BAD["label"][2]),
        ("line 4", "text", "empty text"),
        ("line 5", "id", "duplicate id"),
    ]
    assert {q["file"] for q in lines} == {str(path)}
    assert [json.loads(ln) for ln in (out / "toy.train.jsonl").read_text(encoding="utf-8").splitlines()] == [
        {"dataset": "toy", "task": "ner", "lang": "en", **GOOD}
    ]
    assert json.loads((out / "toy.labels.json").read_text(encoding="utf-8")) == ["PER"]


def test_duplicate_id_across_batches(tmp_path):
    path = seed_file(tmp_path, [GOOD, GOOD | {"id": "c"}, GOOD | {"id": "d"}, GOOD])
    out = list(validated(config(path), "train", {"PER"}, batch_size=2))
    assert [(o.where, o.field, o.problem) for o in out if isinstance(o, Bad)] == [("line 4", "id", "duplicate id")]
    assert [o["id"] for o in out if isinstance(o, dict)] == ["a", "c", "d"]


def test_check_batch_cls_labels():
    batch = [
        ("line 1", {"id": "1", "task": "cls", "text": "hi", "labels": ["card_arrival"]}),
        ("line 2", {"id": "2", "task": "cls", "text": "yo", "labels": ["nope"]}),
    ]
    assert check_batch(batch, "f.csv", {"card_arrival"}, set()) == [
        Bad("f.csv", "line 2", "labels", "label 'nope' is not in the dataset's label set")
    ]


def test_labelset_from_train_split_and_eval_split(tmp_path):
    train = seed_file(tmp_path, [GOOD])
    ev = tmp_path / "eval.jsonl"
    ev.write_text(json.dumps(GOOD | {"id": "e1"}) + "\n" + json.dumps(BAD["label"][0] | {"id": "e2"}) + "\n", encoding="utf-8")
    cfg = config(train, eval=str(ev)) | {"labels": None}
    counts = prepare_dataset(cfg, PARAMS | {"on_error": "quarantine"}, 13, tmp_path / "out")
    # the label set comes from both splits, so a label seen only in eval is no error; the train text is also in eval
    assert counts == {"train": 0, "eval": 2, "decontaminated": 1, "quarantined": 0}
    labels = json.loads((tmp_path / "out" / "toy.labels.json").read_text(encoding="utf-8"))
    assert labels == sorted({"PER", BAD["label"][0]["entities"][0]["type"]})


def test_train_texts_found_in_eval_are_dropped(tmp_path):
    rows = [{"id": f"c{i}", "text": t, "label": "a"} for i, t in enumerate(["Lost card", "lost   CARD", "new pin"])]
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "eval.jsonl").write_text(json.dumps({"id": "e0", "text": "Lost card", "label": "a"}) + "\n")
    cfg = {
        "name": "d",
        "task": "cls",
        "lang": "en",
        "loader": "jsonl",
        "train": str(tmp_path / "train.jsonl"),
        "eval": str(tmp_path / "eval.jsonl"),
    }
    counts = prepare_dataset(cfg, {"max_records": 10, "eval_fraction": 0.0, "on_error": "raise"}, 13, tmp_path)
    assert counts == {"train": 1, "eval": 1, "decontaminated": 2, "quarantined": 0}
    assert [json.loads(x)["id"] for x in (tmp_path / "d.train.jsonl").read_text().splitlines()] == ["c2"]


def test_held_out_is_stable():
    ids = [f"r{i}" for i in range(2000)]
    picked = [i for i in ids if held_out(i, 13, 0.2)]
    assert picked == [i for i in ids if held_out(i, 13, 0.2)]
    assert 300 < len(picked) < 500
    assert not any(held_out(i, 13, 0.0) for i in ids)


def test_too_bad_lists_the_rest():
    bads = [Bad("f", f"line {i}", "text", "empty text") for i in range(1, 4)]
    assert str(too_bad(bads)) == (
        "f: line 1: field 'text': empty text\n2 more problem(s):\n"
        "f: line 2: field 'text': empty text\nf: line 3: field 'text': empty text"
    )


CLS = {"name": "bank", "task": "cls", "lang": "en", "loader": "csv", "columns": {"category": "label"}, "labels": None}


def test_csv_empty_text_stops_the_stage_without_outputs(tmp_path):
    path = tmp_path / "bank.csv"
    path.write_text("text,category\nwhere is my card?,card_arrival\n,card_arrival\n", encoding="utf-8")
    out = list(validated(CLS | {"train": str(path)}, "train", None))
    assert out[0] == Bad(str(path), "record 1", "text", "empty text")
    with pytest.raises(HumInputError) as info, atomic_dir(tmp_path / "prepared") as out:
        prepare_dataset(CLS | {"train": str(path)}, PARAMS, 13, out)
    assert str(info.value) == f"{path}: record 1: field 'text': empty text"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bank.csv"]


def test_csv_missing_column(tmp_path):
    path = tmp_path / "bank.csv"
    path.write_text("text,intent\nwhere is my card?,card_arrival\n", encoding="utf-8")
    assert list(rows(CLS | {"train": str(path)}, "train")) == [("record 0", Bad(str(path), "record 0", "label", "missing"))]


def test_malformed_csv_stops_the_stage_without_outputs(tmp_path):
    path = tmp_path / "bank.csv"
    path.write_text("text,category\nok,card_arrival\nnot,ok,at all\n", encoding="utf-8")
    with pytest.raises(HumInputError) as info, atomic_dir(tmp_path / "prepared") as out:
        prepare_dataset(CLS | {"train": str(path)}, PARAMS, 13, out)
    assert str(info.value) == f"{path}: line 3: field '<csv>': 3 fields where the header has 2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bank.csv"]


def test_split_datasets_are_named_path_and_split(tmp_path):
    folder = tmp_path / "saved"
    datasets.DatasetDict({"dev": datasets.Dataset.from_list([GOOD, {"id": "b", "entities": []}])}).save_to_disk(folder)
    cfg = config("dev") | {"loader": "disk", "path": str(folder)}
    out = list(rows(cfg, "train"))
    assert out[0] == ("record 0", {"dataset": "toy", "task": "ner", "lang": "en", **GOOD})
    assert out[1] == ("record 1", Bad(f"{folder}[dev]", "record 1", "text", "missing"))


def test_quarantine_goes_on_past_a_malformed_line(tmp_path):
    path = tmp_path / "seeds.jsonl"
    path.write_bytes(
        json.dumps(GOOD).encode() + b'\n{"id": \n' + b'{"id": "\xff"}\n' + json.dumps(GOOD | {"id": "z"}).encode() + b"\n"
    )
    counts = prepare_dataset(config(path), PARAMS | {"on_error": "quarantine", "max_records": 10}, 13, tmp_path / "out")
    assert counts == {"train": 2, "eval": 0, "decontaminated": 0, "quarantined": 2}
    reasons = [json.loads(x) for x in (tmp_path / "out" / "toy.quarantine.jsonl").read_text().splitlines()]
    assert [(r["where"], r["field"]) for r in reasons] == [("line 2", "<json>"), ("line 3", "<encoding>")]


def test_a_separate_eval_file_means_no_training_text_is_held_out(tmp_path):
    rows = [GOOD | {"id": f"r{i}", "text": f"{TEXT} {i}"} for i in range(40)]
    ev = seed_file(tmp_path, [GOOD | {"id": "e0", "text": "Ann was here."}], name="eval.jsonl")
    cfg = config(seed_file(tmp_path, rows), eval=str(ev))
    counts = prepare_dataset(cfg, PARAMS | {"eval_fraction": 0.5, "max_records": 100}, 13, tmp_path / "out")
    assert (counts["train"], counts["eval"]) == (40, 1)


def test_text_that_is_not_a_string_is_named(tmp_path):
    path = seed_file(tmp_path, [{"id": "a", "text": 5, "label": "x"}])
    cfg = {"name": "t", "task": "cls", "lang": "en", "loader": "jsonl", "train": str(path)}
    with pytest.raises(HumInputError) as info:
        prepare_dataset(cfg, PARAMS, 13, tmp_path / "out")
    assert str(info.value) == f"{path}: line 1: field 'text': wrong type: expected text"


def test_a_text_over_max_text_chars_is_rejected_naming_field_length_and_param(tmp_path):
    path = seed_file(tmp_path, [GOOD, GOOD | {"id": "long", "text": TEXT + " and others"}])
    with pytest.raises(HumInputError) as info:
        prepare_dataset(config(path), PARAMS | {"max_text_chars": 11}, 13, tmp_path / "out")
    assert str(info.value) == f"{path}: line 2: field 'text': 22 characters, over prepare.max_text_chars=11"
    counts = prepare_dataset(config(path), PARAMS | {"max_text_chars": 11, "on_error": "quarantine"}, 13, tmp_path / "out")
    assert (counts["train"], counts["quarantined"]) == (1, 1)


def test_the_text_cap_counts_normalised_characters(tmp_path):
    """An NFD text of 12 code points is 11 characters in NFC: it fits a cap of 11."""
    nfd = unicodedata.normalize("NFD", "Zoé met Bob")
    path = seed_file(tmp_path, [{"id": "a", "text": nfd, "entities": []}])
    assert prepare_dataset(config(path), PARAMS | {"max_text_chars": 11}, 13, tmp_path / "out")["train"] == 1


def test_prepared_records_are_nfc_with_lf_line_ends_and_valid_offsets(tmp_path):
    text = unicodedata.normalize("NFD", "Café owner\r\nAnn met Zoé")
    entities = [{"start": text.index(n), "end": text.index(n) + len(n), "text": n, "type": "PER"} for n in ("Ann", text[-4:])]
    path = seed_file(tmp_path, [{"id": "a", "text": text, "entities": entities}])
    assert prepare_dataset(config(path, labels=None), PARAMS, 13, tmp_path / "out")["train"] == 1
    (record,) = [json.loads(line) for line in (tmp_path / "out" / "toy.train.jsonl").read_text(encoding="utf-8").splitlines()]
    assert record["text"] == "Café owner\nAnn met Zoé"
    assert [(e["start"], e["end"], e["text"]) for e in record["entities"]] == [(11, 14, "Ann"), (19, 22, "Zoé")]


def test_configured_labels_are_compared_in_nfc(tmp_path):
    path = seed_file(tmp_path, [GOOD | {"entities": [{"start": 0, "end": 3, "text": "Ann", "type": "Café"}]}])
    cfg = config(path, labels=[unicodedata.normalize("NFD", "Café")])
    assert prepare_dataset(cfg, PARAMS, 13, tmp_path / "out")["train"] == 1
    assert json.loads((tmp_path / "out" / "toy.labels.json").read_text(encoding="utf-8")) == ["Café"]


# --- windows over long MRC contexts (issue 16) --------------------------------------------------------------------------

MRC = {"name": "xq", "task": "mrc", "lang": "en", "loader": "jsonl"}


def written(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_long_mrc_contexts_are_windowed_instead_of_refused(tmp_path):
    seeds = stretched()
    cfg = MRC | {"train": str(seed_file(tmp_path, seeds))}
    params = PARAMS | {"max_text_chars": 1000}
    with pytest.raises(HumInputError, match=r"over prepare.max_text_chars=1000"):
        prepare_dataset(cfg, params, 13, tmp_path / "refused")
    counts = prepare_dataset(cfg, params | {"mrc_window": 600, "max_records": 10_000}, 13, tmp_path / "out")
    records = written(tmp_path / "out" / "xq.train.jsonl")
    assert counts["train"] == counts["windows"] == len(records) > len(seeds)
    assert counts["windowed_answerable"] == sum(bool(r["answers"]) for r in records) > 0
    assert counts["windowed_unanswerable"] == sum(not r["answers"] for r in records) > 0
    assert counts["quarantined"] == 0
    context = seeds[0]["context"]
    for rec in records:
        start, end = rec["window"]
        assert rec["text"] == context[start:end]
        assert len(rec["text"]) <= 600
        assert all(rec["text"][a["start"] : a["end"]] == a["text"] for a in rec["answers"])
        assert rec["id"].rsplit("#w", 1)[0] in {row["id"] for row in seeds}


def test_every_window_of_a_context_lands_on_one_side(tmp_path):
    seeds = [row | {"id": f"{row['id']}/{first}"} for first in (0, 4, 8, 12) for row in stretched(first)]
    cfg = MRC | {"train": str(seed_file(tmp_path, seeds))}
    params = PARAMS | {"eval_fraction": 0.5, "mrc_window": 700, "max_records": 10_000}
    counts = prepare_dataset(cfg, params, 13, tmp_path / "out")
    train, held = written(tmp_path / "out" / "xq.train.jsonl"), written(tmp_path / "out" / "xq.eval.jsonl")
    assert train
    assert held
    assert counts["windows"] == counts["train"] + counts["eval"] == len(train) + len(held)
    contexts = [{r["id"].rsplit("#w", 1)[0].rsplit("/", 1)[1] for r in recs} for recs in (train, held)]
    assert all(contexts)
    assert not contexts[0] & contexts[1]


def test_windows_count_toward_max_records(tmp_path):
    cfg = MRC | {"train": str(seed_file(tmp_path, stretched()))}
    counts = prepare_dataset(cfg, PARAMS | {"mrc_window": 600, "max_records": 7}, 13, tmp_path / "out")
    assert counts["train"] == counts["windows"] == 7


def test_a_context_that_fits_the_window_is_no_window(tmp_path):
    seeds = stretched(n_passages=1)
    cfg = MRC | {"train": str(seed_file(tmp_path, seeds))}
    counts = prepare_dataset(cfg, PARAMS | {"mrc_window": 8000}, 13, tmp_path / "out")
    assert counts == {"train": len(seeds), "eval": 0, "decontaminated": 0, "quarantined": 0} | dict.fromkeys(WINDOW_COUNTS, 0)
    assert all("window" not in r for r in written(tmp_path / "out" / "xq.train.jsonl"))


def test_other_tasks_ignore_the_window(tmp_path):
    path = seed_file(tmp_path, [GOOD])
    assert prepare_dataset(config(path), PARAMS | {"mrc_window": 100}, 13, tmp_path / "out") == {
        "train": 1, "eval": 0, "decontaminated": 0, "quarantined": 0
    }  # fmt: skip


def test_a_window_over_max_text_chars_is_a_config_error(tmp_path):
    cfg = MRC | {"train": str(seed_file(tmp_path, stretched()))}
    with pytest.raises(HumInputError) as info:
        prepare_dataset(cfg, PARAMS | {"mrc_window": 9000}, 13, tmp_path / "out")
    assert (info.value.where, info.value.field) == ("prepare", "mrc_window")


@pytest.mark.parametrize(("value", "ok"), [(None, True), (2000, True), (100, True), (99, False), ("2000", False), (True, False)])
def test_mrc_window_param_is_checked(value, ok):
    params = {"prepare": {"mrc_window": value}}
    if ok:
        check_params(params)
    else:
        with pytest.raises(ConfigError, match=r"prepare\.mrc_window"):
            check_params(params)


def test_shipped_prepare_params_match_the_config_and_leave_windows_off():
    conf = yaml.safe_load((ROOT / "conf" / "config.yaml").read_text(encoding="utf-8"))["prepare"]
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))["prepare"]
    assert conf == params
    assert params["mrc_window"] is None
