"""The corpus in the formats trainers read: chat `messages` JSONL (the primary), Parquet, Alpaca and ShareGPT.

Each export is derived from the written `messages` file of a split, streamed, so no export needs the corpus in
memory. Paths are relative to the corpus folder, which is also the root of the dataset repository its card describes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from hum.io import Record, read_jsonl, write_jsonl
from hum.records import message

EXPORTS = ("messages", "parquet", "alpaca", "sharegpt")
SHAREGPT_ROLES = {"system": "system", "user": "human", "assistant": "gpt"}


def export_path(export: str, split: str) -> str:
    """Where a split of an export lives, relative to the corpus folder (`train.jsonl` stays where it always was)."""
    return {"messages": f"{split}.jsonl", "parquet": f"{split}.parquet"}.get(export, f"{export}/{split}.jsonl")


def to_alpaca(record: Record) -> Record:
    """The Alpaca schema (`instruction`, `input`, `output`): the request without its input text, the text, the answer.

    The input text is cut out of the user message at `meta.text_span`; when nothing of the request would be left
    (general data, whose span is the whole message) or the record has no span, the whole message is the instruction.
    The system message has no place in the three Alpaca fields and is left out.
    """
    user = message(record, "user")
    start, end = record.get("meta", {}).get("text_span", [0, 0])
    before, after = unfenced(user[:start], user[end:])
    instruction = (before.rstrip() + "\n\n" + after.lstrip()).strip()
    if end <= start or not instruction:
        instruction, text = user, ""
    else:
        text = user[start:end]
    return {"instruction": instruction, "input": text, "output": message(record, "assistant")}


def unfenced(before: str, after: str) -> tuple[str, str]:
    """The message around its input text without the fence lines that delimit the text (`hum.instructions.fenced`)."""
    head, _, fence = before.removesuffix("\n").rpartition("\n")
    if len(fence) >= 3 and len(set(fence)) == 1 and after.startswith("\n" + fence):  # noqa: PLR2004 - a fence's minimum
        return head, after.removeprefix("\n" + fence)
    return before, after


def to_sharegpt(record: Record) -> Record:
    """ShareGPT: `conversations` of `{from: system | human | gpt, value}`, with the record's id."""
    turns = [{"from": SHAREGPT_ROLES[m["role"]], "value": m["content"]} for m in record["messages"]]
    return {"id": record["id"], "conversations": turns}


CONVERTERS: dict[str, Callable[[Record], Record]] = {"alpaca": to_alpaca, "sharegpt": to_sharegpt}


def write_exports(folder: Path, splits: list[str], exports: tuple[str, ...] | list[str]) -> dict[str, dict[str, str]]:
    """Write every export of every split from `<split>.jsonl` in `folder`; return {export: {split: path}}.

    `messages` is always there (it is what the others are made from); a split without records gets no files.
    """
    written: dict[str, dict[str, str]] = {"messages": {s: export_path("messages", s) for s in splits}}
    for export in (e for e in EXPORTS if e in exports and e != "messages"):
        written[export] = {}
        for split in splits:
            source, dest = folder / export_path("messages", split), folder / export_path(export, split)
            if export == "parquet":
                to_parquet(source, dest)
            else:
                write_jsonl(dest, (CONVERTERS[export](r) for r in read_jsonl(source)))
            written[export][split] = export_path(export, split)
    return written


def to_parquet(source: Path, dest: Path) -> None:
    """Parquet of a JSON-lines file through `datasets`: its Arrow schema (meta.slots as JSON) loads back unchanged.

    `datasets` builds an on-disk Arrow table in a throwaway cache and writes it in row groups, so memory stays flat.
    """
    import datasets  # noqa: PLC0415  (heavy; only the stage that writes Parquet pays for it)

    with tempfile.TemporaryDirectory(prefix=".hf-cache.", dir=dest.parent) as cache, _quiet():
        table = datasets.Dataset.from_json(str(source), cache_dir=cache)
        tmp = dest.with_name(f".{dest.name}.tmp")
        table.to_parquet(str(tmp))
        tmp.replace(dest)


@contextmanager
def _quiet() -> Iterator[None]:
    """No `datasets` progress bars inside the stage's own bar; the previous setting is restored."""
    import datasets  # noqa: PLC0415

    was_enabled = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if was_enabled:
            datasets.enable_progress_bars()
