"""Decontamination by n-gram overlap: no training instruction may quote the evaluation side.

`prepare` already drops training texts that equal an eval text; this stage catches what that misses in the
finished instructions: near-copies (one shared 13-gram, as the GPT-3 and later reports count it), eval texts
quoted inside a longer input, and eval questions that leak into the request around the input.

The eval side is every `data/prepared/<dataset>.eval.jsonl` (its `text`, and the `question` of MRC records)
plus the benchmark files named in `decontaminate.benchmarks`. Text is normalised to words (NFKC, casefold,
zero-width characters and soft hyphens dropped, accents dropped, punctuation-blind: see `normalise`); Chinese
and Japanese characters are one token each, since those scripts put no spaces between words. An eval text of
at least `n` tokens (`n_cjk` when most of its tokens are CJK characters) contributes its n-grams; a shorter
one (a question, a short utterance) is kept whole, matched against whole training texts and, from
`min_contained` tokens up (`min_contained_cjk` for CJK), searched inside them.

Memory: the index holds one 61-bit hash per distinct eval n-gram, and one per eval text, in dicts that map
each to the eval record that has it (the first one, in dataset-name then file order): about 100 bytes per
entry in CPython, so some 100 MB per million eval n-grams. The eval side of the default datasets (5,168
texts, 38k n-grams) takes about 7 MB. That is the eval side, small by design; the training side is streamed.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from tqdm import tqdm

from hum.errors import HumInputError
from hum.io import Record, jsonl_lines, read_jsonl
from hum.records import input_text, message
from hum.step import Step

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_TOKEN = re.compile(f"[{_CJK}]|[^\\W_{_CJK}]+")  # one CJK character, or a run of other letters and digits
_CJK_CHAR = re.compile(f"[{_CJK}]")
_P = (1 << 61) - 1  # Mersenne prime modulus of the rolling hash: hashes fit in 64 bits
_B = 0x1F3D5B79A2C4E681 % _P  # fixed base, so hashes (and the eval id kept per hash) are the same in every process


_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))  # soft hyphen, zero-width characters
_KEPT_MARKS = frozenset("\u3099\u309a")  # kana voicing marks: が is not か, a different syllable rather than an accent


@functools.lru_cache(maxsize=1)
def _marks() -> re.Pattern[str]:
    """Every combining mark (category Mn) but the kana voicing marks, as one character class: built once, on first use."""
    ranges: list[str] = []
    for plane in (range(0x20000), range(0xE0000, 0xE1000)):  # no other plane has Mn characters
        run: list[int] = []
        for cp in plane:
            if unicodedata.category(chr(cp)) == "Mn" and chr(cp) not in _KEPT_MARKS:
                if run and run[-1] == cp - 1:
                    run.append(cp)
                    continue
                if run:
                    ranges.append(f"{chr(run[0])}-{chr(run[-1])}")
                run = [cp]
        if run:
            ranges.append(f"{chr(run[0])}-{chr(run[-1])}")
    return re.compile("[" + "".join(ranges) + "]")


def normalise(text: str) -> str:
    """Text as the eval side and the training side are compared: invisible, accent, case and width differences gone.

    NFKC (full-width letters, ligatures), casefold, zero-width characters and soft hyphens dropped (they would
    split a word), then NFKD and combining marks dropped (accents-blind, also for text in NFD), then NFKC again.
    Punctuation is left to `tokens`, which splits words on it.
    """
    if text.isascii():
        return text.lower()  # the same result, without the Unicode work, for the common case
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold().translate(_INVISIBLE))
    return unicodedata.normalize("NFKC", _marks().sub("", text))


def tokens(text: str) -> list[str]:
    """Normalised tokens (see `normalise`): punctuation and spacing ignored, CJK one token per character."""
    return _TOKEN.findall(normalise(text))


def is_cjk(toks: list[str]) -> bool:
    """Whether most tokens are CJK characters: such a text is measured in characters, not words."""
    return 2 * sum(_CJK_CHAR.fullmatch(t) is not None for t in toks) > len(toks)


def joined(toks: list[str]) -> str:
    """Tokens as readable text for a report: spaces between words, none between CJK characters."""
    out = ""
    for prev, token in zip(["", *toks], toks, strict=False):
        cjk_pair = _CJK_CHAR.fullmatch(token) is not None and _CJK_CHAR.fullmatch(prev) is not None
        out += token if not out or cjk_pair else " " + token
    return out


@functools.lru_cache(maxsize=1 << 16)  # frequent words hash once; bounded, since a corpus' vocabulary is not
def _token_hash(token: str) -> int:
    """A token's stable 64-bit hash in [1, P): blake2b, not `hash()`, which Python salts per process."""
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "big") % (_P - 1) + 1


class Hashed:
    """A token sequence with prefix hashes, so the hash of any window costs O(1) whatever its length."""

    __slots__ = ("prefix", "tokens")

    _powers: ClassVar[list[int]] = [1]  # B**k mod P

    def __init__(self, toks: list[str]) -> None:
        self.tokens = toks
        prefix = [0]
        for token in toks:
            prefix.append((prefix[-1] * _B + _token_hash(token)) % _P)
        self.prefix = prefix

    def __len__(self) -> int:
        return len(self.tokens)

    def window(self, start: int, size: int) -> int:
        """Hash of tokens[start:start + size]; equal sequences hash equal in any text."""
        powers = self._powers
        while len(powers) <= size:
            powers.append(powers[-1] * _B % _P)
        return (self.prefix[start + size] - self.prefix[start] * powers[size]) % _P

    def windows(self, size: int) -> Iterator[tuple[int, int]]:
        """(start, hash) of every window of `size` tokens."""
        for start in range(len(self.tokens) - size + 1):
            yield start, self.window(start, size)

    def whole(self) -> int:
        return self.window(0, len(self.tokens))


@dataclass(frozen=True)
class Sizes:
    """How texts are cut: n-gram sizes, and from which length a short eval text is also searched inside others."""

    n: int = 13
    n_cjk: int = 20
    min_contained: int = 6
    min_contained_cjk: int = 10

    def __post_init__(self) -> None:
        if min(self.n, self.n_cjk, self.min_contained, self.min_contained_cjk) < 1:
            raise ValueError(f"decontaminate: n-gram sizes and minimum lengths must be at least 1, got {self}")


@dataclass(frozen=True)
class Match:
    """One piece of a training text found on the eval side: where, how long, and which eval record has it."""

    start: int
    size: int
    ref: int
    contained: bool  # a whole short eval text inside the training text (else an n-gram)


@dataclass
class EvalIndex:
    """The eval side: n-gram hashes, whole-text hashes and short texts by their first tokens, each to an eval record."""

    sizes: Sizes = field(default_factory=Sizes)
    refs: list[tuple[str, str]] = field(default_factory=list)  # (dataset, id) of each eval record, by ref number
    grams: dict[int, int] = field(default_factory=dict)  # n-gram hash -> ref of the first eval record with it
    wholes: dict[int, int] = field(default_factory=dict)  # whole normalised text -> ref
    heads: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # short text's first tokens -> (length, whole)
    texts: int = 0

    def add(self, dataset: str, rid: str, texts: Iterable[str]) -> None:
        """Index the texts of one eval record (its passage, its question)."""
        ref = len(self.refs)
        self.refs.append((dataset, rid))
        for text in texts:
            hashed = Hashed(tokens(text))
            if not len(hashed):
                continue
            self.texts += 1
            whole = hashed.whole()
            self.wholes.setdefault(whole, ref)
            cjk = is_cjk(hashed.tokens)
            n = self.sizes.n_cjk if cjk else self.sizes.n
            if len(hashed) >= n:
                for _, gram in hashed.windows(n):
                    self.grams.setdefault(gram, ref)
                continue
            head = self.sizes.min_contained_cjk if cjk else self.sizes.min_contained
            if len(hashed) >= head:
                entries = self.heads.setdefault(hashed.window(0, head), [])
                if (len(hashed), whole) not in entries:
                    entries.append((len(hashed), whole))

    def find(self, hashed: Hashed) -> list[Match]:
        """Every n-gram of the text found on the eval side, and every short eval text found inside it, in text order."""
        sizes = self.sizes
        found: list[Match] = []
        for n in sorted({sizes.n, sizes.n_cjk}):
            found += [Match(i, n, self.grams[h], contained=False) for i, h in hashed.windows(n) if h in self.grams]
        for head in sorted({sizes.min_contained, sizes.min_contained_cjk}):
            for i, h in hashed.windows(head):
                for size, whole in self.heads.get(h, ()):
                    if i + size <= len(hashed) and hashed.window(i, size) == whole:
                        found.append(Match(i, size, self.wholes[whole], contained=True))
        return sorted(found, key=lambda m: (m.start, m.size, m.ref))

    def stats(self) -> dict[str, int]:
        """Sizes of the eval side, for the metrics."""
        return {
            "eval records": len(self.refs),
            "eval texts": self.texts,
            "eval n-grams": len(self.grams),
            "eval short texts": sum(len(v) for v in self.heads.values()),
        }


def eval_records(prepared: Path) -> Iterator[tuple[str, str, list[str]]]:
    """(dataset, id, texts) of every prepared eval record, dataset by dataset in name order: its text and question."""
    for path in sorted(prepared.glob("*.eval.jsonl")):
        for record in read_jsonl(path):
            texts = [record[key] for key in ("text", "question") if isinstance(record.get(key), str)]
            yield str(record.get("dataset") or path.name.removesuffix(".eval.jsonl")), str(record["id"]), texts


def benchmark_path(spec: dict[str, Any]) -> Path:
    """The file of a `decontaminate.benchmarks` entry, which must exist: a silently skipped benchmark is a leak."""
    path = Path(spec["path"])
    if not path.is_file():
        raise HumInputError(path, "file", "<file>", "no such file (listed in decontaminate.benchmarks)")
    return path


def benchmark_records(spec: dict[str, Any]) -> Iterator[tuple[str, str, list[str]]]:
    """(name, id, texts) of one extra benchmark file (JSON lines); a missing file or field is an error naming it."""
    path = benchmark_path(spec)
    wanted = spec.get("field", "text")
    fields = [wanted] if isinstance(wanted, str) else list(wanted)
    name = str(spec.get("name") or path.name.removesuffix(".jsonl"))
    for lineno, record in jsonl_lines(path):
        if isinstance(record, HumInputError):
            raise record
        for key in fields:
            if not isinstance(record.get(key), str):
                raise HumInputError(path, f"line {lineno}", key, "missing or not a string (decontaminate.benchmarks)")
        yield name, str(record.get("id", f"line {lineno}")), [record[key] for key in fields]


def build_index(prepared: Path, benchmarks: list[dict[str, Any]], sizes: Sizes) -> EvalIndex:
    """The eval side of every prepared dataset, then of each benchmark file in config order (so ids are stable)."""
    for spec in benchmarks:  # fail before any work when a benchmark file is missing
        benchmark_path(spec)
    index = EvalIndex(sizes)
    records = [eval_records(prepared), *(benchmark_records(spec) for spec in benchmarks)]
    for dataset, rid, texts in tqdm(
        (r for source in records for r in source), desc="decontaminate: eval side", unit="rec", mininterval=1.0
    ):
        index.add(dataset, rid, texts)
    return index


def request_text(record: Record) -> str:
    """The user message with the input text cut out: the task, schema, guidelines and question around it."""
    user = message(record, "user")
    start, end = record["meta"]["text_span"]
    return user[:start] + "\n" + user[end:]


class Decontaminate(Step):
    """Drops instruction records whose input or request overlaps the eval side; each removal names the eval record.

    A field (the input, then the request) is contaminated when its whole normalised text equals an eval text,
    or when it shares at least `min_matches` distinct n-grams or contained short eval texts with the eval
    side that together cover at least `min_share` of its tokens (0: the count alone decides, GPT-3 style).
    """

    name = "decontaminate"

    def __init__(self, index: EvalIndex, min_matches: int = 1, min_share: float = 0.0) -> None:
        super().__init__()
        if min_matches < 1 or not 0.0 <= min_share <= 1.0:
            raise ValueError(f"decontaminate: min_matches must be >= 1 and min_share in [0, 1], got {min_matches}, {min_share}")
        self.index, self.min_matches, self.min_share = index, min_matches, min_share
        self.stats.update(index.stats())

    @classmethod
    def from_config(cls, prepared: Path, cfg: dict[str, Any]) -> Decontaminate:
        """The step a `decontaminate:` config section describes, over the eval splits in `prepared`."""
        known = {"n", "n_cjk", "min_contained", "min_contained_cjk", "min_matches", "min_share", "benchmarks"}
        if unknown := set(cfg) - known:
            raise ValueError(f"decontaminate: unknown keys {sorted(unknown)}; known: {sorted(known)}")
        sizes = Sizes(**{k: int(cfg[k]) for k in ("n", "n_cjk", "min_contained", "min_contained_cjk") if k in cfg})
        index = build_index(prepared, list(cfg.get("benchmarks") or []), sizes)
        return cls(index, int(cfg.get("min_matches", 1)), float(cfg.get("min_share", 0.0)))

    def process(self, batch: list[Record]) -> list[Record]:
        return [r for r in batch if self._keep(r)]

    def _keep(self, record: Record) -> bool:
        for name, text in (("input", input_text(record)), ("request", request_text(record))):
            found = self._contaminated(Hashed(tokens(text)))
            if found is not None:
                reason, detail = found
                self.reject(record, f"{name}: {reason}")
                self.rejected[-1].update(field=name, **detail)
                self.stats[f"matched eval: {detail['eval']['dataset']}"] += 1
                return False
        return True

    def _contaminated(self, hashed: Hashed) -> tuple[str, dict[str, Any]] | None:
        """(reason, what matched) when the text overlaps the eval side enough, else None."""
        if not len(hashed):
            return None
        whole = self.index.wholes.get(hashed.whole())
        if whole is not None:
            return "same as eval text", self._detail(whole, 1, 1.0, joined(hashed.tokens))
        matches = self.index.find(hashed)
        distinct = {(hashed.window(m.start, m.size), m.size) for m in matches}
        covered = {i for m in matches for i in range(m.start, m.start + m.size)}
        share = len(covered) / len(hashed)
        if not matches or len(distinct) < self.min_matches or share < self.min_share:
            return None
        per_ref = Counter(m.ref for m in matches)  # in text order, so a tie goes to the eval record matched first
        ref = max(per_ref, key=per_ref.__getitem__)
        first = next(m for m in matches if m.ref == ref)
        reason = "contains eval text" if all(m.contained for m in matches) else "n-gram overlap"
        overlap = joined(hashed.tokens[first.start : first.start + first.size])
        return reason, self._detail(ref, len(distinct), share, overlap)

    def _detail(self, ref: int, matches: int, share: float, overlap: str) -> dict[str, Any]:
        dataset, rid = self.index.refs[ref]
        return {"eval": {"dataset": dataset, "id": rid}, "matches": matches, "share": round(share, 4), "overlap": overlap}

    def summary(self) -> str:
        """The usual line, with the size of the eval side and the eval datasets that matched most."""
        matched = Counter({k.removeprefix("matched eval: "): n for k, n in self.stats.items() if k.startswith("matched eval: ")})
        side = f"eval side: {self.stats['eval texts']} texts, {self.stats['eval n-grams']} n-grams"
        top = f"; matched {', '.join(f'{d}: {n}' for d, n in matched.most_common(3))}" if matched else ""
        return f"{super().summary()}; {side}{top}"
