"""Read seed data in the formats people have it in; each row comes with where it was found.

A dataset config chooses its loader. File loaders read `cfg["train"]` / `cfg["eval"]` as file paths; folder
loaders (`brat`) read a folder, a file, or a list of them; split loaders (`disk`, `hub`) read `cfg["path"]` and take
`train` / `eval` as split names. Formats of their own (DyGIE++, SpERT, BRAT, Open IE) are in `hum.seedformats`. Rows read
through Hugging Face `datasets`, and CSV/TSV rows, are located as "record N" (0-based within the split); read
errors become `HumInputError`s that name the file and, when it can be placed, the exact line. A row that cannot
be read comes as its error, so quarantine sets it aside and goes on; so does a whole document (a JSON array, a
SQuAD file) that cannot be read, as the one error of its file.

A file or folder path (and a `disk` dataset's `path`) may be an fsspec URL (`s3://bucket/seeds/train.jsonl`, see `hum.storage`):
it is read through fsspec, `datasets` builders get the URL itself, and messages name the URL.
"""

from __future__ import annotations

import csv
import inspect
import json
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from hum.errors import HumInputError
from hum.io import BOM, jsonl_lines, read_jsonl_numbered, text_lines
from hum.seedformats.base import Located, json_document, json_text, malformed
from hum.seedformats.brat import brat
from hum.seedformats.dygiepp import dygiepp
from hum.seedformats.fields import FieldError
from hum.seedformats.oie import carb, oie2016
from hum.seedformats.spert import spert
from hum.storage import Location, location, open_input, size

if TYPE_CHECKING:
    import datasets

FileLoader = Callable[..., Iterator[Located]]
FolderLoader = Callable[..., Iterator[Located]]
SplitLoader = Callable[[dict[str, Any], str], Iterator[Located]]
Decoder = Callable[[Any, str], Any]  # a value and the field it is in (messages name it) -> the value made plain
PER_SPLIT_OPTIONS = frozenset({"sentences"})  # options that name one file per split: {train: ..., eval: ...}


def jsonl(path: Location) -> Iterator[Located]:
    """JSON lines: one object per line; a bad line comes as its error, so quarantine can go on past it."""
    for lineno, item in jsonl_lines(path):
        yield f"line {lineno}", item


def conll(path: Location) -> Iterator[Located]:
    """CoNLL columns (token, tag), blank line between sentences; `-DOCSTART-` lines separate documents.

    A sentence with a bad line (bad bytes, or one column) comes as that line's error, so quarantine can go on.
    """
    tokens: list[str] = []
    tags: list[str] = []
    start, broken = 1, False
    for lineno, line in text_lines(path):
        if isinstance(line, HumInputError) or len(cols := _columns(line)) == 1:
            if not broken:
                yield (
                    f"line {lineno}",
                    line
                    if isinstance(line, HumInputError)
                    else HumInputError(path, f"line {lineno}", "tags", "expected a token and a tag separated by a tab"),
                )
            tokens, tags, broken = [], [], True
            continue
        if not cols or cols[0] == "-DOCSTART-":
            if tokens and not broken:
                yield f"line {start}", {"tokens": tokens, "tags": tags}
            tokens, tags, start, broken = [], [], lineno + 1, False
            continue
        if not broken:
            tokens.append(cols[0])
            tags.append(cols[-1].strip())
    if tokens and not broken:
        yield f"line {start}", {"tokens": tokens, "tags": tags}


def _columns(line: str) -> list[str]:
    """A CoNLL line's columns (tab-separated if it has a tab, else by spaces); none for a blank line."""
    if not line.strip():
        return []
    return line.rstrip("\n").split("\t") if "\t" in line else line.split()


def squad(path: Location) -> Iterator[Located]:
    """SQuAD-style nested JSON (v1.1 or v2): data > paragraphs > qas.

    `plausible_answers` (SQuAD v2) are distractors for unanswerable questions, never gold, so they are dropped.
    """
    try:
        data = json_document(path)["data"]
    except (KeyError, TypeError) as exc:
        raise HumInputError(path, "file", "data", f"not SQuAD JSON ({exc})") from exc
    for a, article in enumerate(data):
        for p, para in enumerate(article.get("paragraphs", [])):
            for q, qa in enumerate(para.get("qas", [])):
                where = f"data[{a}].paragraphs[{p}].qas[{q}]"
                if "context" not in para:
                    yield where, HumInputError(path, f"data[{a}].paragraphs[{p}]", "context", "missing")
                    continue
                fields = {k: v for k, v in qa.items() if k != "plausible_answers"}
                yield where, {"title": article.get("title", ""), "context": para["context"], **fields}


def json_file(path: Location, **options: Any) -> Iterator[Located]:
    """A JSON array of objects, or JSON lines, read by the `datasets` json builder."""
    return _read_file("json", path, lambda: _diagnose_json(path), **options)


def csv_file(path: Location, **options: Any) -> Iterator[Located]:
    """CSV with a header row, read with the csv module line by line; every cell is kept as its exact text.

    A row with bad bytes, or with more or fewer fields than the header, comes as the error of its first line,
    so quarantine sets that row aside and reads on. `options` are csv format parameters (`quotechar`, ...).
    """
    bad: dict[int, HumInputError] = {}
    try:
        reader = csv.reader(_csv_lines(path, bad), **{"delimiter": ",", **options})
    except (TypeError, csv.Error) as exc:
        raise HumInputError(path, "file", "options", f"not csv format parameters ({exc})") from exc
    return _csv_rows(path, reader, bad)


def tsv_file(path: Location, **options: Any) -> Iterator[Located]:
    """Tab-separated values with a header row."""
    return csv_file(path, **{"delimiter": "\t", **options})


def parquet_file(path: Location, **options: Any) -> Iterator[Located]:
    """A Parquet file, read by the `datasets` parquet builder."""
    return _read_file("parquet", path, lambda: None, **options)


def disk(cfg: dict[str, Any], split: str) -> Iterator[Located]:
    """A folder written by `save_to_disk`: a DatasetDict (`train`/`eval` name its splits) or one Dataset (the train split)."""
    import datasets  # noqa: PLC0415 - heavy (~1 s): only runs that read through it pay for it

    name = source(cfg, split)
    try:
        loaded = datasets.load_from_disk(cfg["path"])
    except _read_errors() as exc:
        raise HumInputError(name, "dataset", "<dataset>", f"cannot load: {_reason(exc)}") from exc
    if isinstance(loaded, datasets.DatasetDict):
        if cfg[split] not in loaded:
            raise HumInputError(name, "dataset", "<split>", f"no split {cfg[split]!r}; the folder has {sorted(loaded)}")
        loaded = loaded[cfg[split]]
    elif split != "train":
        raise HumInputError(name, "dataset", "<split>", "the folder holds one Dataset, which serves only as the train split")
    yield from _records(loaded, name)


def hub(cfg: dict[str, Any], split: str) -> Iterator[Located]:
    """A dataset on the Hugging Face Hub, or a local folder laid out like one: `path`, `config_name`, `revision`."""
    import datasets  # noqa: PLC0415 - heavy (~1 s): only runs that read through it pay for it

    name = source(cfg, split)
    try:
        ds = datasets.load_dataset(
            cfg["path"], cfg.get("config_name"), split=cfg[split], revision=cfg.get("revision"), **(cfg.get("options") or {})
        )
    except _read_errors() as exc:
        raise HumInputError(name, "dataset", "<dataset>", f"cannot load: {_reason(exc)}") from exc
    yield from _records(ds, name)


def _read_errors() -> tuple[type[Exception], ...]:
    """What `datasets` and pyarrow raise on unreadable input (UnicodeDecodeError and ArrowInvalid are ValueErrors).

    Built at call time, as `DatasetGenerationError` lives in `datasets`, which only the readers that use it import.
    """
    from datasets.exceptions import DatasetGenerationError  # noqa: PLC0415 - see above

    return (DatasetGenerationError, OSError, ValueError)


def _read_file(builder: str, path: Location, diagnose: Callable[[], None], **options: Any) -> Iterator[Located]:
    """Rows of one local file read by a `datasets` builder; on failure, the problem placed as exactly as possible."""
    import datasets  # noqa: PLC0415 - heavy (~1 s): only runs that read through it pay for it

    try:
        ds = datasets.load_dataset(builder, data_files=str(path), split="train", **options)
    except _read_errors() as exc:
        diagnose()
        raise HumInputError(path, "file", "<file>", f"cannot read as {builder}: {_reason(exc)}") from exc
    yield from _records(ds, path)


def _records(ds: datasets.Dataset, name: Location) -> Iterator[Located]:
    """Rows of a split with their 0-based index, made plain (see `_decoder`); a value that cannot be comes as its error."""
    decoders = {col: decoder for col, feature in ds.features.items() if (decoder := _decoder(feature)) is not None}
    for index, row in enumerate(ds):
        where = f"record {index}"
        try:
            plain = {col: decoders[col](value, col) if col in decoders else value for col, value in row.items()}
        except FieldError as exc:
            yield where, HumInputError(name, where, exc.field, exc.problem)
            continue
        yield where, plain


def _decoder(feature: Any) -> Decoder | None:
    """How a column's values become what a seed file would hold; None for a column that is plain already.

    Hub datasets store class ids, which become their names, at any depth. `datasets` keeps a sequence of objects
    (`Sequence({start: ..., type: ...})`, SQuAD `answers`) as an object of lists, which it cannot tell from an object
    whose fields are all lists: every such object becomes the list of objects it stands for, so `columns` paths with
    `*` reach into it and the normalisers see the same shape as in a JSON seed file.
    """
    import datasets  # noqa: PLC0415 - loaded already by whatever read the split

    lists = (datasets.Sequence, datasets.LargeList)
    if isinstance(feature, datasets.ClassLabel):
        return partial(_class_name, list(feature.names))
    if isinstance(feature, lists):
        inner = _decoder(feature.feature)
        return None if inner is None else partial(_each, inner)
    if isinstance(feature, dict) and feature and all(isinstance(sub, lists) for sub in feature.values()):
        return partial(_objects, {key: _decoder(sub.feature) or _as_is for key, sub in feature.items()})
    if isinstance(feature, dict):
        inner_fields = {key: decoder for key, sub in feature.items() if (decoder := _decoder(sub)) is not None}
        return partial(_fields, inner_fields) if inner_fields else None
    return None


def _class_name(names: list[str], value: Any, field: str) -> str | None:
    """The name of a class id; -1 is how `datasets` marks a row without a label (a hidden test split), so it is an error."""
    if value is None:
        return None
    if not isinstance(value, int) or not 0 <= value < len(names):
        unlabelled = " (datasets marks an unlabelled row with -1)" if value == -1 else ""
        raise FieldError(field, f"class id {value!r} is not one of the {len(names)} classes{unlabelled}")
    return names[value]


def _each(decoder: Decoder, value: Any, field: str) -> list[Any] | None:
    return None if value is None else [decoder(item, f"{field}[{i}]") for i, item in enumerate(value)]


def _fields(decoders: dict[str, Decoder], value: Any, field: str) -> dict[str, Any] | None:
    if value is None:
        return None
    return {key: decoders[key](item, f"{field}.{key}") if key in decoders else item for key, item in value.items()}


def _objects(decoders: dict[str, Decoder], value: Any, field: str) -> list[dict[str, Any]] | None:
    """A sequence of objects from the object of lists `datasets` gives; lists of different lengths cannot be paired."""
    if value is None:
        return None
    lengths = {key: len(items) for key, items in value.items() if items is not None}
    if len(set(lengths.values())) > 1:
        raise FieldError(field, f"a sequence of objects whose fields have different lengths: {lengths}")
    size = max(lengths.values(), default=0)
    columns = {key: [None] * size if items is None else items for key, items in value.items()}
    return [{key: decoders[key](items[i], f"{field}[{i}].{key}") for key, items in columns.items()} for i in range(size)]


def _as_is(value: Any, _field: str) -> Any:
    return value


def _reason(exc: BaseException) -> str:
    """The most specific message in an exception chain, skipping the generic "error while generating" wrapper."""
    from datasets.exceptions import DatasetGenerationError  # noqa: PLC0415 - loaded already by whatever raised

    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in chain:
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    specific = [e for e in chain if not isinstance(e, DatasetGenerationError) and str(e).strip()]
    return " ".join(str(specific[0] if specific else exc).split()) or type(exc).__name__


def _csv_lines(path: Location, bad: dict[int, HumInputError]) -> Iterator[str]:
    """Lines for the csv module, ends kept (CR, LF or CRLF, as `newline=""` gives them), a BOM dropped.

    A line with bad bytes is decoded with surrogate escapes, so the csv module still sees its quotes and delimiters
    and the rows after it come out right; its error is noted in `bad` for the row that holds it.
    """
    with open_input(path) as fh:
        for lineno, raw in enumerate((part for chunk in fh for part in chunk.splitlines(keepends=True)), start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad[lineno] = HumInputError(path, f"line {lineno}", "<encoding>", f"not UTF-8 text ({exc.reason})")
                line = raw.decode("utf-8", "surrogateescape")
            yield line.removeprefix(BOM) if lineno == 1 else line


def _csv_rows(path: Location, reader: Any, bad: dict[int, HumInputError]) -> Iterator[Located]:
    """Each data row as a record keyed by the header ("record N"), or as the error that names its line."""
    lined = _csv_lined(path, reader, bad)
    first = next(lined, None)
    if first is None:
        return
    header = _csv_header(path, *first)
    for index, (lineno, row) in enumerate(lined):
        if isinstance(row, HumInputError):
            yield row.where, row
        elif len(row) != len(header):
            yield (
                f"line {lineno}",
                HumInputError(path, f"line {lineno}", "<csv>", f"{len(row)} fields where the header has {len(header)}"),
            )
        else:
            yield f"record {index}", dict(zip(header, row, strict=True))


def _csv_lined(path: Location, reader: Any, bad: dict[int, HumInputError]) -> Iterator[tuple[int, list[str] | HumInputError]]:
    """Non-blank rows with their first line; a row with bad bytes, or that the csv module cannot parse, as its error."""
    done = 0
    while True:
        try:
            row: list[str] | HumInputError = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # a field over the csv module's size limit
            row = HumInputError(path, f"line {reader.line_num}", "<csv>", str(exc))
        first, done = done + 1, reader.line_num
        row = next((bad[n] for n in range(first, done + 1) if n in bad), row)
        if isinstance(row, HumInputError) or len(row) > 1 or "".join(row).strip():
            yield first, row


def _csv_header(path: Location, lineno: int, row: list[str] | HumInputError) -> list[str]:
    """The column names; a header that cannot be read leaves no row readable, so it is the file's error."""
    if isinstance(row, HumInputError):
        raise row
    repeated = sorted({name for name in row if row.count(name) > 1})
    if repeated:
        raise HumInputError(path, f"line {lineno}", "<csv>", f"the header names {repeated} more than once")
    return row


def _diagnose_json(path: Location) -> None:
    """Place a JSON problem on its line: bad bytes, the syntax error of a JSON array, or a malformed JSON line."""
    text = json_text(path)
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        if text.lstrip().startswith("["):
            raise malformed(path, exc) from exc
        for _ in read_jsonl_numbered(path):
            pass


FILE_LOADERS: dict[str, FileLoader] = {
    "jsonl": jsonl,
    "json": json_file,
    "csv": csv_file,
    "tsv": tsv_file,
    "parquet": parquet_file,
    "conll": conll,
    "squad": squad,
    "carb": carb,
    "oie2016": oie2016,
    "dygiepp": dygiepp,
    "spert": spert,
}
FOLDER_LOADERS: dict[str, FolderLoader] = {"brat": brat}
SPLIT_LOADERS: dict[str, SplitLoader] = {"disk": disk, "hub": hub}


def source(cfg: dict[str, Any], split: str) -> str:
    """How messages name a split's origin: its file (or files), or `path[split]` for a saved or hub dataset."""
    if cfg.get("loader") in SPLIT_LOADERS:
        return f"{cfg['path']}[{cfg[split]}]"
    return ", ".join(map(str, cfg[split])) if isinstance(cfg[split], list) else str(cfg[split])


def load(cfg: dict[str, Any], split: str) -> Iterator[Located]:
    """Rows of one split ("train" or "eval") of a configured dataset, each with where it was found.

    A missing or empty file, an unknown loader or option, raises: those are mistakes of the config, not of the data.
    """
    loader = cfg.get("loader")
    if loader in SPLIT_LOADERS:
        return SPLIT_LOADERS[loader](cfg, split)
    if loader not in FILE_LOADERS and loader not in FOLDER_LOADERS:
        known = sorted(FILE_LOADERS | FOLDER_LOADERS | SPLIT_LOADERS)
        problem = "missing" if loader is None else f"unknown loader {loader!r}"
        raise _config_error(cfg, "loader", f"{problem}; choose one of {known}")
    paths = [location(p) for p in (cfg[split] if isinstance(cfg[split], list) else [cfg[split]])]
    if loader in FOLDER_LOADERS:
        return _not_empty(_unreadable_as_row(_call(cfg, FOLDER_LOADERS[loader], paths, split)), location(source(cfg, split)))
    if len(paths) != 1:
        raise _config_error(cfg, split, f"the {loader} loader reads one file; only {sorted(FOLDER_LOADERS)} read a list")
    path = paths[0]
    if (length := size(path)) is None:
        raise HumInputError(path, "file", "<file>", "no such file")
    if length == 0:
        raise HumInputError(path, "file", "<file>", "empty file")
    return _not_empty(_unreadable_as_row(_call(cfg, FILE_LOADERS[loader], path, split)), path)


def _call(cfg: dict[str, Any], loader: FileLoader, paths: Location | list[Location], split: str) -> Iterator[Located]:
    """The loader called with the config's `options` (those per split narrowed to this split's value)."""
    options = dict(cfg.get("options") or {})
    for key in PER_SPLIT_OPTIONS & options.keys():
        per_split = options.pop(key)
        if not isinstance(per_split, dict):
            problem = f"expected a file per split ({{train: ..., eval: ...}}), got {per_split!r}"
            raise _config_error(cfg, f"options.{key}", problem)
        if per_split.get(split) is not None:
            options[key] = per_split[split]
    try:
        inspect.signature(loader).bind(paths, **options)
    except TypeError as exc:
        raise _config_error(cfg, "options", f"not options of the {cfg['loader']} loader ({exc})") from exc
    return loader(paths, **options)


def _config_error(cfg: dict[str, Any], field: str, problem: str) -> HumInputError:
    return HumInputError("params.yaml", f"datasets.{cfg.get('name', '?')}", field, problem)


def _unreadable_as_row(located: Iterator[Located]) -> Iterator[Located]:
    """A file's rows; a file its loader cannot read at all comes as one error, after the rows read before it.

    Bad bytes or broken syntax in a whole JSON document (an array, a SQuAD file) leave no row of it readable:
    as the file's one error, quarantine sets the file aside and the run goes on with the other datasets.
    """
    try:
        yield from located
    except HumInputError as exc:
        yield exc.where, exc


def _not_empty(located: Iterator[Located], path: Location) -> Iterator[Located]:
    """The rows of a file; a file with none (only blank lines, a byte-order mark, an empty array) is an error."""
    found = False
    for item in located:
        found = True
        yield item
    if not found:
        raise HumInputError(path, "file", "<file>", "no records (the file holds only blank lines or nothing to read)")
