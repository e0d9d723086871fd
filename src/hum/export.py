"""The corpus in the formats trainers read: chat `messages` JSONL (the primary), Parquet, Alpaca and ShareGPT.

The JSON-lines exports of a split are written in the pass that writes its `messages` file, record by record;
Parquet is streamed from the written `messages` file afterwards: its row groups' line spans are planned here from a
newline count, each read and parsed wherever a runner puts it (`GroupLoad`, `RowGroup`), the tables written here in
order. No export needs the corpus in memory.
Paths are relative to the corpus folder, which is also the root of the dataset repository its card describes.
"""

from __future__ import annotations

import importlib
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Self

import orjson

from hum.io import Record, atomic_open, dumps, loads
from hum.records import message
from hum.runners import Loads
from hum.spans import read_span, spans_of_lines

if TYPE_CHECKING:
    import pyarrow as pa
    from datasets import Features

EXPORTS = ("messages", "parquet", "alpaca", "sharegpt")
ROW_GROUP = 10_000  # records per Parquet row group: what the export holds at once (about 15 MB of JSON)
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


def data_files(splits: list[str], exports: Iterable[str]) -> dict[str, dict[str, str]]:
    """{export: {split: path}} of a release: `messages` always (the others are made from it), in EXPORTS order."""
    return {e: {s: export_path(e, s) for s in splits} for e in EXPORTS if e == "messages" or e in exports}


def converters(exports: Iterable[str]) -> list[tuple[str, Callable[[Record], Record]]]:
    """The JSON-lines exports among `exports` besides `messages`, each with what converts a record to it, in EXPORTS order."""
    return [(e, CONVERTERS[e]) for e in EXPORTS if e in exports and e in CONVERTERS]


def lines_of(record: Record, exports: Iterable[tuple[str, Callable[[Record], Record]]]) -> Iterator[tuple[str, str]]:
    """(file, line) of a record for `messages` and each export of `converters(...)`: what `SplitWriter.write` writes."""
    yield "messages", dumps(record)
    for export, convert in exports:
        yield export, dumps(convert(record))


class SplitWriter:
    """The JSON-lines files of one split, every export's line written as its record comes: one pass, nothing held.

    The `messages` file is opened at once (an empty train split still has one); an export's file only with the
    first record, so a split without records gets none.
    """

    def __init__(self, folder: Path, split: str, exports: Iterable[str]) -> None:
        self.folder, self.split, self.records = folder, split, 0
        self.converters = converters(exports)
        self._files: dict[str, IO[str]] = {}
        self._stack = ExitStack()

    def __enter__(self) -> Self:
        self._files["messages"] = self._open("messages")
        return self

    def __exit__(self, *exc: object) -> bool | None:
        return self._stack.__exit__(*exc)  # type: ignore[arg-type]

    def write(self, record: Record) -> None:
        """Write one record to the `messages` file and to each export."""
        self.write_lines(1, {export: line + "\n" for export, line in lines_of(record, self.converters)})

    def write_lines(self, count: int, texts: dict[str, str]) -> None:
        """Write `count` records already spelt: `texts` holds, per file (`messages` and each export), their lines."""
        if not count:
            return
        if not self.records:
            self._files.update((e, self._open(e)) for e, _ in self.converters)
        self.records += count
        for export, text in texts.items():
            self._files[export].write(text)

    def _open(self, export: str) -> IO[str]:
        return self._stack.enter_context(atomic_open(self.folder / export_path(export, self.split)))


def write_parquet(folder: Path, splits: Iterable[str], mapped: Mapper | None = None) -> None:
    """`<split>.parquet` of each split, from its written `messages` file; its row groups made by `mapped` (default: here)."""
    for split in splits:
        to_parquet(folder / export_path("messages", split), folder / export_path("parquet", split), mapped)


def preload(exports: Iterable[str]) -> None:
    """Import what Parquet row groups are made with before a pool forks its workers: they share it, none imports it again."""
    if "parquet" in exports:
        for module in ("pyarrow.json", "datasets.table", "datasets.utils.json"):
            importlib.import_module(module)


def to_parquet(source: Path, dest: Path, mapped: Mapper | None = None) -> None:
    """Parquet of a written JSON-lines split, streamed in row groups of ROW_GROUP records under one fixed schema.

    The schema is what `datasets` infers from the file, as `Dataset.from_json` did here before: from its first
    block (`meta.slots`, whose keys vary, as a JSON column), so `load_dataset("parquet")` loads the same features
    and rows; writer options and metadata are those of `Dataset.to_parquet`. A record the schema has no place for
    (a field unknown to the first block) stops the export, as it stopped `datasets`. Same lines, same bytes.
    Each row group's table is made by `mapped` (a runner's `Pool.map`: its workers read and parse, this process writes),
    in order, from loads of the row groups' spans: planned ahead, they go through Ray Data as other loads do.
    """
    import pyarrow.parquet as pq  # noqa: PLC0415  (heavy; only the stage that writes Parquet pays for it)
    from datasets import config  # noqa: PLC0415
    from datasets.arrow_writer import get_parquet_column_options  # noqa: PLC0415

    features, cdc = _features(source), config.DEFAULT_CDC_OPTIONS
    schema, tmp = features.arrow_schema, dest.with_name(f".{dest.name}.tmp")
    options = get_parquet_column_options(features, schema)
    try:
        with pq.ParquetWriter(tmp, schema, use_content_defined_chunking=cdc, write_page_index=True, **options) as writer:
            for table in (mapped or _here)(row_groups(source, features)):
                writer.write_table(table)
            writer.add_key_value_metadata({"content_defined_chunking": json.dumps(cdc)})
        tmp.replace(dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _features(source: Path) -> Features:
    """The features `datasets` infers for a JSON-lines file: those of its first block, which it reads alone."""
    import datasets  # noqa: PLC0415
    from datasets.packaged_modules.json.json import JsonConfig  # noqa: PLC0415

    with source.open("rb") as fh:
        head = fh.read(JsonConfig.chunksize) + fh.readline()  # the block `datasets` infers from, to the end of its line
    with tempfile.TemporaryDirectory(prefix=".hf-cache.", dir=source.parent) as cache, _quiet():
        (Path(cache) / "head.jsonl").write_bytes(head)
        return datasets.Dataset.from_json(str(Path(cache) / "head.jsonl"), cache_dir=cache).features


@dataclass(frozen=True)
class RowGroup:
    """ROW_GROUP lines of a written split and the features they are cast to: one Parquet row group, made in any process."""

    lines: list[bytes]
    features: Features

    def run(self, work: object = None) -> pa.Table:
        """The lines as an Arrow table in the features' schema, JSON columns encoded as `datasets` does.

        On a pool's worker (`work`: its state) the JSON is parsed on one thread, the pool's processes filling the cores,
        and Arrow hands back what it freed: a worker holds one row group at a time, not an allocator's high-water mark.
        """
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.json as paj  # noqa: PLC0415
        from datasets.table import table_cast  # noqa: PLC0415
        from datasets.utils.json import get_json_field_paths_from_feature  # noqa: PLC0415

        schema, paths = self.features.arrow_schema, get_json_field_paths_from_feature(self.features)
        parse = paj.ParseOptions(explicit_schema=_storage(schema), unexpected_field_behavior="error")
        block = max(1 << 20, max(map(len, self.lines)) + 1)  # a block holds whole lines: the longest fits
        data = b"".join(_json_encoded(line, paths) for line in self.lines) if paths else b"".join(self.lines)
        options = paj.ReadOptions(block_size=block, use_threads=work is None)
        table = paj.read_json(pa.BufferReader(data), read_options=options, parse_options=parse)
        table = table_cast(table.combine_chunks(), schema)  # one chunk: the bytes do not depend on parse blocks or threads
        if work is not None:
            pa.default_memory_pool().release_unused()
        return table


@dataclass(frozen=True)
class GroupLoad:
    """A row group to read: its span of a written split's lines (an absolute path: Ray's workers run elsewhere)."""

    path: Path
    start: int
    end: int
    features: Features

    def __call__(self) -> RowGroup:
        return RowGroup(read_span(self.path, self.start, self.end), self.features)


def row_groups(source: Path, features: Features) -> Loads[RowGroup]:
    """The row groups of ROW_GROUP lines of a written split, as loads: their spans planned from a newline count."""
    path = source.resolve()
    return Loads([GroupLoad(path, start, end, features) for start, end in spans_of_lines(path, ROW_GROUP)])


Mapper = Callable[[Loads[RowGroup]], Iterable["pa.Table"]]


def _here(groups: Iterable[RowGroup]) -> Iterator[pa.Table]:
    """Each row group's table, made in this process."""
    return (group.run() for group in groups)


def _storage(schema: pa.Schema) -> pa.Schema:
    """The schema with each extension type (JSON) replaced by its storage (string), which the JSON reader fills."""
    import pyarrow as pa  # noqa: PLC0415

    def storage(kind: pa.DataType) -> pa.DataType:
        if isinstance(kind, pa.BaseExtensionType):
            return kind.storage_type
        if pa.types.is_struct(kind):
            return pa.struct([pa.field(f.name, storage(f.type)) for f in kind])
        return pa.list_(storage(kind.value_type)) if pa.types.is_list(kind) else kind

    return pa.schema([pa.field(f.name, storage(f.type)) for f in schema], metadata=schema.metadata)


def _json_encoded(line: bytes, paths: list[list[str]]) -> bytes:
    """The line with the value at each JSON path as a JSON string, spelt as `datasets` spells it."""
    from datasets.utils.json import json_encode_field  # noqa: PLC0415

    record = loads(line)
    for path in paths:
        record = json_encode_field(record, path)
    try:
        return orjson.dumps(record) + b"\n"  # the reader parses it again: any faithful spelling will do
    except TypeError:  # what orjson refuses (integers beyond 64 bits)
        return dumps(record).encode() + b"\n"


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
