"""The dataset card `README.md` of a corpus release: Hugging Face YAML front matter and a body that says how it was made.

Everything on it is derived from the written outputs and the upstream manifests, and nothing from the clock, so
the same corpus gets the same bytes; the front matter's `configs` make `load_dataset(<folder>, <export>)` work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hum.io import atomic_open
from hum.provenance import digest

PRETTY_NAME = "hum NLU instruction corpus"
HF_LICENCES = {  # Hugging Face licence identifiers that a SOURCES.md licence may map to
    "apache-2.0", "mit", "bsd-2-clause", "bsd-3-clause", "cc0-1.0", "cc-by-2.0", "cc-by-3.0", "cc-by-4.0", "cc-by-sa-3.0",
    "cc-by-sa-4.0", "cc-by-nc-4.0", "cc-by-nc-sa-4.0", "cc-by-nd-4.0", "gpl-3.0", "lgpl-3.0", "odc-by", "odbl", "unlicense",
}  # fmt: skip
TASK_CATEGORIES = {"ner": "token-classification", "mrc": "question-answering", "cls": "text-classification"}
SIZES = ["n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M", "10M<n<100M", "100M<n<1B", "1B<n<10B"]  # n < 10**(3+i)
SCHEMAS = {
    "messages": "`id`, `messages` [{`role`: system/user/assistant, `content`}], `meta` (task, dataset, seed, rules, gold, ...)",
    "parquet": "the same records as `messages`, in Parquet (not a config: load it with the `parquet` builder)",
    "alpaca": "`instruction` (the request without its input text), `input` (the text), `output` (the answer)",
    "sharegpt": "`id`, `conversations` [{`from`: system/human/gpt, `value`}]",
}


@dataclass(frozen=True)
class Source:
    """One row of `data/seeds/SOURCES.md`: the seed files it covers and their licence as written there."""

    files: tuple[str, ...]
    licence: str  # the cell as written, e.g. "MIT (`oie/carb/LICENSE`); sentences from OIE2016 ..."

    @property
    def licence_id(self) -> str:
        """The Hugging Face identifier of the licence (its leading name, e.g. "CC BY-SA 4.0" -> cc-by-sa-4.0), or other."""
        name = re.split(r"\s*[(;]", self.licence, maxsplit=1)[0].strip()
        key = "-".join(name.casefold().split())
        return key if key in HF_LICENCES else "other"


def parse_sources(text: str) -> list[Source]:
    """The rows of the markdown table in SOURCES.md with a `file` and a `licence` column.

    A row may list several files; a bare name after the first path lies in the first file's folder.
    """
    sources: list[Source] = []
    columns: list[str] | None = None
    for line in text.splitlines():
        if not line.lstrip().startswith("|"):
            columns = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if columns is None:
            columns = [c.casefold() for c in cells]
        elif "file" in columns and "licence" in columns and not set("".join(cells)) <= set("-: "):
            paths = re.findall(r"`([^`]+)`", cells[columns.index("file")])
            first = Path(paths[0]).parent if paths else Path()
            files = tuple(p if "/" in p else (first / p).as_posix() for p in paths)
            sources.append(Source(files, cells[columns.index("licence")]))
    return sources


def gather_licences(
    sources: list[Source], seeds: Path, datasets: dict[str, Any], used: Iterable[str]
) -> dict[str, tuple[str, str]]:
    """{dataset: (licence id, licence as stated)} for every dataset in the corpus.

    A dataset config may state its `license` itself (hub datasets have no seed file); otherwise its train or
    eval file is looked up in SOURCES.md (paths there are relative to `seeds`; a path that merely ends with one
    still matches, whatever the working directory); a dataset found in neither is `unknown`, which makes the card's
    licence `other`.
    """
    by_file = {f: s for s in sources for f in s.files}
    found: dict[str, tuple[str, str]] = {}
    for name in sorted(set(used)):
        cfg = datasets.get(name) or {}
        if cfg.get("license"):
            found[name] = (str(cfg["license"]), str(cfg["license"]))
            continue
        paths = [Path(str(cfg[k])).as_posix() for k in ("train", "eval") if isinstance(cfg.get(k), str)]
        source = next((by_file[f] for p in paths for f in sorted(by_file) if p in {f, f"{seeds.as_posix()}/{f}"}), None)
        source = source or next((by_file[f] for p in paths for f in sorted(by_file) if p.endswith(f"/{f}")), None)
        found[name] = (source.licence_id, source.licence) if source else ("unknown", "not listed in SOURCES.md")
    return found


def size_category(n: int) -> str:
    """The Hugging Face size bucket of `n` records."""
    return next((label for i, label in enumerate(SIZES) if n < 10 ** (3 + i)), "n>10B")


def front_matter(
    counts: dict[str, dict[str, Any]], licences: dict[str, tuple[str, str]], data_files: dict[str, dict[str, str]]
) -> dict[str, Any]:
    """The card's YAML metadata: configs (one per JSON-lines export), licence, languages, task categories, size.

    `datasets` picks one builder for a whole repository, from the files of its first config, so a Parquet config
    beside JSON-lines ones would fail to load by name: the Parquet files are listed in the body instead.
    """
    ids = sorted({lic for lic, _ in licences.values()})
    langs = sorted({lang for c in counts.values() for lang in c.get("per_lang", {})})
    tasks = {task for c in counts.values() for task in c.get("per_task", {})}
    meta: dict[str, Any] = {"pretty_name": PRETTY_NAME, "language": langs}
    meta["license"] = ids[0] if len(ids) == 1 and ids[0] not in {"unknown", "other"} else "other"
    if meta["license"] == "other":
        meta["license_name"] = "mixed"
    meta["task_categories"] = sorted({"text-generation", *(TASK_CATEGORIES[t] for t in tasks if t in TASK_CATEGORIES)})
    meta["size_categories"] = [size_category(sum(c["records"] for c in counts.values()))]
    meta["tags"] = ["instruction-tuning", "information-extraction", "synthetic"]
    meta["configs"] = [
        {
            "config_name": export,
            **({"default": True} if export == "messages" else {}),
            "data_files": [{"split": split, "path": path} for split, path in splits.items()],
        }
        for export, splits in data_files.items()
        if all(path.endswith(".jsonl") for path in splits.values())
    ]
    return meta


@dataclass(frozen=True)
class Release:
    """What a card describes: counts and diversity per split, the params, upstream manifests, model and files."""

    counts: dict[str, dict[str, Any]]  # split -> corpus_metrics counts
    diversity: dict[str, dict[str, Any]]  # task -> diversity of the train split
    params: dict[str, Any]  # the mix stage's own params (seed, mix)
    manifests: list[dict[str, Any]]  # upstream manifests, in pipeline order
    model: str | None
    data_files: dict[str, dict[str, str]]  # export -> split -> path in the corpus folder


COUNTED = (("task", "Task"), ("format", "Answer format"), ("rule", "Preference rule"), ("lang", "Language"))
INTRO = (
    "Instructions for natural-language understanding (named entities, relations, events, open IE, reading comprehension, "
    "classification and free-form requests over a text) made by the `hum` pipeline after the Hum method: every seed "
    "annotation becomes instructions that differ in task description, label schema, guidelines, preference rules and "
    "answer format, every answer is rendered from the gold annotation, and general instruction data is mixed in."
)
REBUILD = """```bash
dvc pull             # this version's data from the DVC remote, or
dvc repro            # rebuild it: recorded LLM replies are replayed, so the bytes are the same
```
"""


def render_card(release: Release, licences: dict[str, tuple[str, str]]) -> str:
    """The whole card: front matter, then what is in the corpus, how it was made, and how to rebuild and load it."""
    counts, files = release.counts, release.data_files
    meta = front_matter(counts, licences, files)
    splits = list(counts)
    total = ", ".join(f"{counts[s]['records']} {s}" for s in splits)
    other = " (so the card's licence is `other`)" if meta["license"] == "other" else ""
    held = " The validation split holds whole seed texts: no text is on both sides." if "validation" in counts else ""
    parts = [
        f"---\n{yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)}---\n",
        f"# {PRETTY_NAME}\n",
        f"{INTRO} Records: {total}.{held}\n",
        "## Files\n",
        _table(
            ["config", *splits, "schema"],
            [[e, *(f"`{f[s]}`" if s in f else "" for s in splits), SCHEMAS[e]] for e, f in files.items()],
        ),
        "`manifest.json` beside this card records the parameters, their sha256, the model and the sha256 of every file.\n",
        "## Load\n",
        _load_snippet(files),
        "## Counts\n",
        *(_counts_table(counts, field, title) for field, title in COUNTED),
        "## Diversity per task (train)\n",
        _diversity_table(release.diversity),
        "## Licences\n",
        f"The corpus is derived from these seed datasets; each keeps its licence{other}.\n",
        _table(
            ["dataset", "licence", "as stated in data/seeds/SOURCES.md", *splits],
            [
                [name, lic, text, *(str(counts[s].get("per_dataset", {}).get(name, 0)) for s in splits)]
                for name, (lic, text) in licences.items()
            ],
        ),
        "## Configuration\n",
        f"Model fingerprint: `{release.model}` (the LLM whose outputs went into the data; `None`: none did).\n",
        _config_block("mix", release.params, digest(release.params)),
        *(_config_block(str(m.get("stage")), m.get("params", {}), str(m.get("params_sha256"))) for m in release.manifests),
        "## Rebuild\n",
        REBUILD,
    ]
    return "\n".join(parts)


def write_card(folder: Path, release: Release, sources: Path) -> Path:
    """Write `README.md` into the corpus folder; licences come from SOURCES.md and the prepare manifest's datasets."""
    datasets: dict[str, Any] = next(
        (m["params"].get("datasets", {}) for m in release.manifests if m.get("stage") == "prepare"), {}
    )
    used = {name for c in release.counts.values() for name in c.get("per_dataset", {})}
    licences = gather_licences(parse_sources(sources.read_text(encoding="utf-8")), sources.parent, datasets, used)
    path = folder / "README.md"
    with atomic_open(path) as fh:
        fh.write(render_card(release, licences))
    return path


def split_front_matter(card: str) -> tuple[dict[str, Any], str]:
    """The parsed YAML front matter of a card and its body."""
    _, head, body = card.split("---\n", 2)
    meta: dict[str, Any] = yaml.safe_load(head)
    return meta, body


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _counts_table(counts: dict[str, dict[str, Any]], field: str, title: str) -> str:
    splits = list(counts)
    keys = sorted({k for c in counts.values() for k in c.get(f"per_{field}", {})})
    rows = [[k, *(str(counts[s].get(f"per_{field}", {}).get(k, 0)) for s in splits)] for k in keys]
    return _table([title, *splits], rows)


def _diversity_table(diversity: dict[str, dict[str, Any]]) -> str:
    columns = sorted({k for d in diversity.values() for k in d if k != "records"})
    rows = [[task, str(d.get("records", 0)), *(str(d.get(c, "")) for c in columns)] for task, d in diversity.items()]
    return _table(["task", "records", *columns], rows)


def _config_block(stage: str, params: dict[str, Any], sha256: str) -> str:
    body = yaml.safe_dump(params, sort_keys=True, allow_unicode=True, width=1000)
    return f"Stage `{stage}`, params sha256 `{sha256}`:\n\n```yaml\n{body}```\n"


def _load_snippet(data_files: dict[str, dict[str, str]]) -> str:
    def files(export: str) -> str:
        return ", ".join(f'"{s}": "data/corpus/{p}"' for s, p in data_files[export].items())

    lines = ["from datasets import load_dataset", ""]
    lines.append(
        f'corpus = load_dataset("json", data_files={{{files("messages")}}})  # chat messages, as TRL\'s SFTTrainer reads them'
    )
    if "parquet" in data_files:
        lines.append(f'corpus = load_dataset("parquet", data_files={{{files("parquet")}}})  # the same, from Parquet')
    named = next((e for e in data_files if e not in {"messages", "parquet"}), "messages")
    lines.append(f'{named} = load_dataset("data/corpus", "{named}")  # a config of this card, by name (its JSON-lines exports)')
    return "```python\n" + "\n".join(lines) + "\n```\n"
