"""The whole non-LLM build through real `dvc repro`, against a minimal render -> JSON -> parse -> write loop.

Run: python benchmarks/bench_build.py [--seeds 100000|200000|500000] [--per-record 10] [--tokens approximate|gguf] [--dir DIR]
                                     [--ray] [--cache-type hardlink]

A scratch DVC project (`dvc init --no-scm`, in a temporary folder unless `--dir` names one) holds:

- `dvc.yaml`: this project's, as it is, but for the LLM stages (paraphrase, generalist, evaluate) and `summary`, which
  reads their metrics: the outputs those stages made here (`data/pool`, `data/generalist`) are copied in as plain
  inputs, so every other stage runs with its real command, deps, params and outs, DVC hashing and caching them all;
- `stages/`, `src/` (the deps DVC hashes; the stages run the installed `hum`), `conf/`, `data/templates`,
  `data/guidelines`, `SOURCES.md` and the `self_instruct` seeds (general data for `mix`) copied from this project;
- `params.yaml`: this project's, with two datasets: `bench_ner`, `--seeds` synthetic NER records, and `self_instruct`;
  `prepare.max_records` takes them all, `generate.per_record` is `--per-record` (about that many instructions per seed:
  a fifth of the seeds have no entity, as the empty-answer target asks, so none is skipped) and `mix.caps.dataset` is off;
  with `--tokens approximate` (the default) `model` is an OpenAI-compatible server that is never contacted, so
  `validate` estimates token lengths instead of loading the GGUF vocabulary through llama.cpp (`--tokens gguf`).

Seeds are real sentences of `data/seeds/ner/` (WNUT-17 and CrossNER AI training sets) recombined deterministically: one
or two sentences, each entity replaced by another of its type from the same corpus; the eval split is their real dev
sentences, so `decontaminate` compares against a realistic eval side.

`--cache-type` sets DVC's `cache.type` there: with `hardlink`, DVC links each output into its cache instead of copying
it, which halves the disk a build takes (a 1M build holds about 14 GB with copies) and saves the copy's time.

Each stage runs as `dvc repro -s <stage>` in DAG order; printed per stage: wall time, its share, the peak RSS of the
largest process (getrusage of a runner that waits for DVC and the stage) and the sampled peak of the whole process tree
(from /proc, every 50 ms: worker pools count here). Then the total, records/s, the time of a no-op `dvc repro`, and the
baseline over the same prepared seeds in this process: per instruction a JSON answer rendered from the gold entities,
the record dumped, parsed back and written. The ratio is the build's records/s over the baseline's.

With `--ray`, the stages that run on a runner are then forced again (`dvc repro -f -s`) with `runner.kind: ray`
against a Ray head started here (`hum.runners.head`, one CPU per core), and each is printed beside its local time and
how Ray ran it (Ray Data, or the runner's own actors); the hashes DVC records for every output must not change (the
runner changes no byte), or the benchmark fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hum.io import dumps, read_jsonl
from hum.loaders import conll
from hum.runners.head import local_head

REPO = Path(__file__).resolve().parents[1]
NON_LLM = ["prepare", "generate", "dedup", "decontaminate", "validate", "mix"]
ON_RUNNER = {  # the non-LLM stages whose batches a runner runs, and how Ray runs them (`hum.runners.ray`)
    "generate": "Ray Data",
    "dedup": "Ray Data, fuzzy pass on actors",
    "decontaminate": "Ray Data",
    "validate": "Ray Data",
    "mix": "Ray Data",
}
DROPPED = {"paraphrase", "generalist", "evaluate", "summary"}
SOURCES = {  # corpus: (train, dev) CoNLL files
    "wnut17": ("data/seeds/ner/wnut17/wnut17train.conll", "data/seeds/ner/wnut17/emerging.dev.conll"),
    "crossner_ai": ("data/seeds/ner/crossner_ai/train.txt", "data/seeds/ner/crossner_ai/dev.txt"),
}
COPIED = ["stages", "src/hum", "conf", "data/templates", "data/guidelines", "data/pool", "data/generalist"]
COPIED_FILES = [".dvcignore", "data/seeds/SOURCES.md", "data/seeds/general/self_instruct_seed_tasks.jsonl"]
SERVER_MODEL = {"_target_": "hum.llm.openai.OpenAIChat", "base_url": "http://127.0.0.1:9/v1", "model": "bench"}
BARE_EVERY = 5  # one seed in five has no entity: the default empty-answer target (0.2), so generation skips none
MEASURE = """
import resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)
"""


def sentences(path: Path) -> list[dict[str, Any]]:
    """A CoNLL file's sentences as {text, entities} (tokens joined by spaces, BIO tags as character spans)."""
    out = []
    for _, row in conll(path):
        if not isinstance(row, dict):
            continue
        text, entities = "", list[dict[str, Any]]()
        for i, (token, tag) in enumerate(zip(row["tokens"], row["tags"], strict=True)):
            start = len(text) + (1 if text else 0)
            text = f"{text} {token}" if text else token
            if tag.startswith("B-") or (tag.startswith("I-") and not (entities and entities[-1]["open"] == i - 1)):
                entities.append({"start": start, "end": len(text), "type": tag[2:], "open": i})
            elif tag.startswith("I-"):
                entities[-1] |= {"end": len(text), "open": i}
        out.append({"text": text, "entities": [{k: v for k, v in e.items() if k != "open"} for e in entities]})
    return out


def recombined(sentence: dict[str, Any], pool: dict[str, list[str]], rng: random.Random) -> tuple[str, list[dict[str, Any]]]:
    """The sentence with each entity replaced by another of its type; the new text and spans."""
    text, entities, at = "", [], 0
    for e in sentence["entities"]:
        text += sentence["text"][at : e["start"]]
        name = rng.choice(pool[e["type"]])
        entities.append({"start": len(text), "end": len(text) + len(name), "text": name, "type": e["type"]})
        text, at = text + name, e["end"]
    return text + sentence["text"][at:], entities


def seeds(n: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`n` synthetic training records and the real dev sentences as the eval split, both as `jsonl` NER rows."""
    rng = random.Random(13)
    train, dev = [], []
    by_kind: dict[bool, list[tuple[dict[str, Any], dict[str, list[str]]]]] = {True: [], False: []}
    for corpus, (train_file, dev_file) in SOURCES.items():
        found = sentences(REPO / train_file)
        pool: dict[str, list[str]] = {}
        for s in found:
            for e in s["entities"]:
                pool.setdefault(e["type"], []).append(s["text"][e["start"] : e["end"]])
        by_kind[True] += [(s, pool) for s in found if s["entities"]]
        by_kind[False] += [(s, pool) for s in found if not s["entities"]]
        dev += [{"id": f"{corpus}-dev-{i}", **s, "entities": named(s)} for i, s in enumerate(sentences(REPO / dev_file))]
    for i in range(n):
        text, entities = "", []
        for _ in range(rng.randint(1, 2)):
            sentence, pool = rng.choice(by_kind[i % BARE_EVERY != 0])
            part, spans = recombined(sentence, pool, rng)
            offset = len(text) + 1 if text else 0
            text = f"{text} {part}" if text else part
            entities += [{**e, "start": e["start"] + offset, "end": e["end"] + offset} for e in spans]
        train.append({"id": f"bench-{i}", "text": text, "entities": entities})
    return train, dev


def named(sentence: dict[str, Any]) -> list[dict[str, Any]]:
    """Entities with their text."""
    return [{**e, "text": sentence["text"][e["start"] : e["end"]]} for e in sentence["entities"]]


def project(root: Path, n: int, per_record: int, tokens: str, cache_type: str | None) -> None:
    """The scratch DVC project (see the module docstring)."""
    for part in COPIED:
        shutil.copytree(REPO / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    for part in COPIED_FILES:
        (root / part).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / part, root / part)
    dag = yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))
    dag["stages"] = {name: spec for name, spec in dag["stages"].items() if name not in DROPPED}
    (root / "dvc.yaml").write_text(yaml.safe_dump(dag, sort_keys=False), encoding="utf-8")
    train, dev = seeds(n)
    folder = root / "data/seeds/ner/bench"
    folder.mkdir(parents=True)
    for name, rows in (("train.jsonl", train), ("dev.jsonl", dev)):
        (folder / name).write_text("".join(dumps(r) + "\n" for r in rows), encoding="utf-8")
    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    ner = {"name": "bench_ner", "task": "ner", "lang": "en", "loader": "jsonl"}
    ner |= {"train": "data/seeds/ner/bench/train.jsonl", "eval": "data/seeds/ner/bench/dev.jsonl"}
    params["datasets"] = {"bench_ner": ner, "self_instruct": params["datasets"]["self_instruct"]}
    params["prepare"]["max_records"] = n
    params["generate"]["per_record"] = per_record
    params["mix"]["caps"]["dataset"] = None
    if tokens == "approximate":
        params["model"] = SERVER_MODEL
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False, allow_unicode=True), encoding="utf-8")
    subprocess.run([sys.executable, "-m", "dvc", "init", "--no-scm", "-q"], cwd=root, check=True)
    if cache_type is not None:
        subprocess.run([sys.executable, "-m", "dvc", "config", "cache.type", cache_type], cwd=root, check=True)  # noqa: S603


@dataclass
class Run:
    """One measured command."""

    seconds: float
    largest_mb: float  # peak RSS of the largest process
    tree_mb: float  # sampled peak of the summed RSS of the process tree


def tree_rss_kb(pid: int) -> int:
    """Summed VmRSS of `pid` and its descendants, from /proc (0 where it cannot be read)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        todo += map(int, kids)
    return total


def measured(cmd: list[str], cwd: Path, env: dict[str, str]) -> Run:
    """Run `cmd` to its end in `cwd`; raises when it fails."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        start, peak = time.perf_counter(), 0
        proc = subprocess.Popen([sys.executable, "-c", MEASURE, rss.name, *cmd], cwd=cwd, env=env)  # noqa: S603 - dvc, here
        while proc.poll() is None:
            peak = max(peak, tree_rss_kb(proc.pid))
            time.sleep(0.05)
        seconds = time.perf_counter() - start
        if proc.returncode:
            raise SystemExit(f"{' '.join(cmd)} failed with exit code {proc.returncode} in {cwd}")
        largest = int(rss.read() or 0)
    return Run(seconds, largest / 1024, peak / 1024)


def baseline(prepared: Path, per_record: int, out: Path) -> tuple[int, float]:
    """The minimal loop over the prepared seeds: per instruction a JSON answer from gold, dumped, parsed back, written."""
    records = list(read_jsonl(prepared))
    start, n = time.perf_counter(), 0
    with out.open("w", encoding="utf-8") as fh:
        for record in records:
            for k in range(per_record):
                answer = json.dumps([{"type": e["type"], "entity": e["text"]} for e in record["entities"]], ensure_ascii=False)
                messages = [{"role": "user", "content": f"Find the entities.\n\n{record['text']}"}]
                line = dumps({"id": f"{record['id']}#{k}", "messages": [*messages, {"role": "assistant", "content": answer}]})
                back = json.loads(line)
                if json.loads(back["messages"][-1]["content"]) != json.loads(answer):
                    raise AssertionError(back["id"])
                fh.write(line + "\n")
                n += 1
    return n, time.perf_counter() - start


def lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh)


def outs(root: Path) -> dict[str, str]:
    """The hash DVC locked for every output of every stage."""
    lock = yaml.safe_load((root / "dvc.lock").read_text(encoding="utf-8"))
    return {o["path"]: o["md5"] for stage in lock["stages"].values() for o in stage.get("outs", [])}


def on_ray(root: Path, env: dict[str, str], local: dict[str, Run]) -> None:
    """The runner's stages forced again on a local Ray head; each beside its local run, and the outputs unchanged."""
    before = outs(root)
    params = yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8"))
    params["runner"] = {"kind": "ray", "address": None, "actors": None}
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False, allow_unicode=True), encoding="utf-8")
    with local_head(cpus=os.cpu_count() or 1) as address:
        ray_env = {**env, "RAY_ADDRESS": address, "RAY_AUTH_MODE": "disabled"}
        runs = {s: measured([sys.executable, "-m", "dvc", "repro", "-q", "-f", "-s", s], root, ray_env) for s in ON_RUNNER}
    if outs(root) != before:
        raise SystemExit("the outputs on Ray differ from the local runner's")
    print(f"{'on Ray':14s} {'local s':>8s} {'ray s':>8s} {'ray/local':>9s} {'tree MB':>8s}  {'how':8s} (outputs identical)")
    for stage, r in runs.items():
        ratio = r.seconds / local[stage].seconds
        print(f"{stage:14s} {local[stage].seconds:8.1f} {r.seconds:8.1f} {ratio:9.2f} {r.tree_mb:8.0f}  {ON_RUNNER[stage]}")
    both = sum(local[s].seconds for s in ON_RUNNER), sum(r.seconds for r in runs.values())
    print(f"{'together':14s} {both[0]:8.1f} {both[1]:8.1f} {both[1] / both[0]:9.2f}")


def report(runs: dict[str, Run], noop: Run, generated: int, corpus: int, base_rate: float) -> None:
    """Per stage wall time, share and memory; the total, the no-op repro and the ratio to the baseline."""
    total = sum(r.seconds for r in runs.values())
    print(f"{'stage':14s} {'wall s':>8s} {'share':>6s} {'largest MB':>11s} {'tree MB':>8s}")
    for stage, r in runs.items():
        print(f"{stage:14s} {r.seconds:8.1f} {r.seconds / total:6.1%} {r.largest_mb:11.0f} {r.tree_mb:8.0f}")
    peak = max(r.largest_mb for r in runs.values()), max(r.tree_mb for r in runs.values())
    print(f"{'total':14s} {total:8.1f} {'':6s} {peak[0]:11.0f} {peak[1]:8.0f}")
    print(f"instructions generated {generated:,}, corpus records {corpus:,}: {corpus / total:,.0f} records/s through dvc repro")
    print(f"no-op dvc repro: {noop.seconds:.1f} s")
    build_rate = corpus / total
    print(f"baseline (render -> JSON -> parse -> write, the same seeds, here): {base_rate:,.0f} records/s")
    print(f"ratio build / baseline: {build_rate / base_rate:.3f} ({base_rate / build_rate:.1f}x slower than the minimal loop)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seeds", type=int, default=100_000)
    parser.add_argument("--per-record", type=int, default=10)
    parser.add_argument("--tokens", choices=["approximate", "gguf"], default="approximate")
    parser.add_argument("--dir", type=Path, help="build here and keep it (default: a temporary folder, removed)")
    parser.add_argument("--ray", action="store_true", help="then run the runner's stages again on a local Ray head")
    parser.add_argument("--cache-type", help="DVC's cache.type for the scratch project, e.g. hardlink (default: DVC's)")
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="hum-bench-build-"))
    root.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    try:
        made = time.perf_counter()
        project(root, args.seeds, args.per_record, args.tokens, args.cache_type)
        print(f"scratch project {root}: {args.seeds:,} seeds written in {time.perf_counter() - made:.1f} s")
        runs = {stage: measured([sys.executable, "-m", "dvc", "repro", "-q", "-s", stage], root, env) for stage in NON_LLM}
        noop = measured([sys.executable, "-m", "dvc", "repro", "-q"], root, env)
        generated = lines(root / "data/generated/instructions.jsonl")
        corpus = lines(root / "data/corpus/train.jsonl") + lines(root / "data/corpus/validation.jsonl")
        base_n, base_s = baseline(root / "data/prepared/bench_ner.train.jsonl", args.per_record, root / "baseline.jsonl")
        report(runs, noop, generated, corpus, base_n / base_s)
        if args.ray:
            on_ray(root, env, runs)
    finally:
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
