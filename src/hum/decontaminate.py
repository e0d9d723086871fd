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

Speed: almost no training text shares anything with the eval side, so a batch is screened at once (`Screen`):
each distinct text tokenised once (a seed's instructions repeat its input), the whole-text and window hashes of
all its texts computed together in numpy, and looked up behind a bitmap. Only texts with a hit take the exact
path (`EvalIndex.find`, per window in Python); the hashes are the same values, so the outcome is too.

Memory: the index holds one 61-bit hash per distinct eval n-gram, and one per eval text, in dicts that map
each to the eval record that has it (the first one, in dataset-name then file order): about 100 bytes per
entry in CPython, so some 100 MB per million eval n-grams; the screen adds 24 to 40 bytes per hash (a sorted
array and a bitmap). The eval side of the default datasets (5,168 texts, 38k n-grams) takes about 8 MB. That
is the eval side, small by design; the training side is streamed, a batch at a time.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from hum.errors import HumInputError
from hum.io import Record, jsonl_lines, read_jsonl
from hum.memo import Remembered
from hum.records import message
from hum.step import Step
from hum.storage import Location, is_file, location

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_TOKEN = re.compile(f"[{_CJK}]|[^\\W_{_CJK}]+")  # one CJK character, or a run of other letters and digits
_ASCII_TOKEN = re.compile("[a-z0-9]+")  # what _TOKEN finds in lower-case ASCII text, found three times faster
_CJK_CHAR = re.compile(f"[{_CJK}]")
_P = (1 << 61) - 1  # Mersenne prime modulus of the rolling hash: hashes fit in 64 bits
_B = 0x1F3D5B79A2C4E681 % _P  # fixed base, so hashes (and the eval id kept per hash) are the same in every process
_MEMO_LIMIT = 1 << 17  # token hashes remembered: frequent words hash once; bounded, since a corpus' vocabulary is not
U64 = npt.NDArray[np.uint64]


_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))  # soft hyphen, zero-width characters
_KEPT_MARKS = frozenset("\u3099\u309a")  # kana voicing marks: が is not か, a different syllable rather than an accent


@functools.lru_cache(maxsize=1)
def _marks() -> dict[int, None]:
    """Every combining mark (category Mn) but the kana voicing marks, as a `str.translate` table: built on first use."""
    planes = itertools.chain(range(0x20000), range(0xE0000, 0xE1000))  # no other plane has Mn characters
    return {cp: None for cp in planes if unicodedata.category(chr(cp)) == "Mn" and chr(cp) not in _KEPT_MARKS}


def normalise(text: str) -> str:
    """Text as the eval side and the training side are compared: invisible, accent, case and width differences gone.

    NFKC (full-width letters, ligatures), casefold, zero-width characters and soft hyphens dropped (they would
    split a word), then NFKD and combining marks dropped (accents-blind, also for text in NFD), then NFKC again.
    Punctuation is left to `tokens`, which splits words on it.
    """
    if text.isascii():
        return text.lower()  # the same result, without the Unicode work, for the common case
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold().translate(_INVISIBLE))
    return unicodedata.normalize("NFKC", text.translate(_marks()))


def tokens(text: str) -> list[str]:
    """Normalised tokens (see `normalise`): punctuation and spacing ignored, CJK one token per character."""
    if text.isascii():
        return _ASCII_TOKEN.findall(text.lower())
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


def _token_hash(token: str) -> int:
    """A token's stable 64-bit hash in [1, P): blake2b, not `hash()`, which Python salts per process."""
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "big") % (_P - 1) + 1


_hashes = Remembered(_token_hash, _MEMO_LIMIT)


def token_hashes(toks: list[str]) -> list[int]:
    """Each token's hash (`_token_hash`), remembered: a corpus repeats its words."""
    return list(map(_hashes.__getitem__, toks))


_powers = [1]  # B**k mod P, as far as a window or text has needed


def powers(size: int) -> list[int]:
    """B**k mod P for every k up to `size` at least."""
    while len(_powers) <= size:
        _powers.append(_powers[-1] * _B % _P)
    return _powers


class Hashed:
    """A token sequence with prefix hashes, so the hash of any window costs O(1) whatever its length."""

    __slots__ = ("prefix", "tokens")

    def __init__(self, toks: list[str]) -> None:
        self.tokens = toks
        prefix = [0]
        for token in token_hashes(toks):
            prefix.append((prefix[-1] * _B + token) % _P)
        self.prefix = prefix

    def __len__(self) -> int:
        return len(self.tokens)

    def window(self, start: int, size: int) -> int:
        """Hash of tokens[start:start + size]; equal sequences hash equal in any text."""
        return (self.prefix[start + size] - self.prefix[start] * powers(size)[size]) % _P

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

    @property
    def grams(self) -> set[int]:
        """The sizes of the windows looked up among eval n-grams."""
        return {self.n, self.n_cjk}

    @property
    def heads(self) -> set[int]:
        """The sizes of the windows looked up among the heads of short eval texts."""
        return {self.min_contained, self.min_contained_cjk}


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
        for n in sorted(sizes.grams):
            found += [Match(i, n, self.grams[h], contained=False) for i, h in hashed.windows(n) if h in self.grams]
        for head in sorted(sizes.heads):
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


_LOW30, _LOW31, _LOW32 = np.uint64((1 << 30) - 1), np.uint64((1 << 31) - 1), np.uint64((1 << 32) - 1)
_NP_P, _NP_B, _NP_2_32 = np.uint64(_P), np.uint64(_B), np.uint64(1 << 32)


def _reduced(x: U64) -> U64:
    """Each value mod P: the bits above 61 folded in (2**61 = 1 mod P), then P taken once more where it still fits.

    Overwrites `x`, a temporary of the caller's: arrays of a batch's tokens are large, and fewer allocations count.
    """
    low = x & _NP_P
    x >>= 61
    low += x
    np.minimum(low, np.subtract(low, _NP_P, out=x), out=low)  # where low < P, low - P wraps around to more than low
    return low


def _mulmod(a: U64, b: U64 | np.uint64) -> U64:
    """The products a * b mod P of values below P, in uint64: 31-bit halves, so that no partial product overflows."""
    a1, a0, b1, b0 = a >> 31, a & _LOW31, b >> 31, b & _LOW31
    mid = a1 * b0
    mid += a0 * b1  # below 2**62; times 2**31 it is (mid >> 30) * 2**61 + (mid & LOW30) * 2**31
    a0 *= b0
    a0 += (a1 * b1) << 1
    a0 += mid >> 30
    mid &= _LOW30
    mid <<= 31
    a0 += mid  # below 2**62 + 2**61 + 2**32 + 2**61
    return _reduced(a0)


class Keys:
    """Hashes to look values up among: sorted, for a binary search, behind a bitmap of their low bits.

    Most values are not among the keys, and the bitmap (16 bits or more per key) tells most of those in one lookup.
    """

    def __init__(self, hashes: Iterable[int]) -> None:
        self.sorted = np.array(sorted(set(hashes)), dtype=np.uint64)
        self.mask = np.uint64((1 << max(16, (16 * len(self.sorted)).bit_length())) - 1)
        self.bits = np.zeros(int(self.mask) + 1, dtype=bool)
        self.bits[self.sorted & self.mask] = True

    def found(self, values: U64) -> npt.NDArray[np.intp]:
        """Positions of the values that are among the keys."""
        maybe = np.flatnonzero(self.bits[values & self.mask])
        at = np.minimum(np.searchsorted(self.sorted, values[maybe]), len(self.sorted) - 1)
        found: npt.NDArray[np.intp] = maybe[self.sorted[at] == values[maybe]]
        return found


def _windows(flat: U64, sizes: Iterable[int]) -> dict[int, U64]:
    """Hashes of the windows of each size at every position of `flat` (so also across the ends of texts laid end to end).

    A window of a + b tokens is one of a tokens times B**b plus the one of b tokens after it: Horner's step for b
    tokens at once. Sizes are built from the longest pair already made, else from halves, so that 6, 10, 13 and 20
    tokens take seven multiplications of arrays (2, 3, 6, 5, 10, 13, 20) rather than one per extra token.
    """
    made = {1: flat}

    def of(size: int) -> U64:
        if size not in made:
            head = max((a for a in made if size - a in made), default=size - size // 2)
            tail, count = size - head, len(flat) - size + 1
            made[size] = _reduced(_mulmod(of(head)[:count], np.uint64(powers(tail)[tail])) + of(tail)[head:][:count])
        return made[size]

    return {size: of(size) for size in sorted(sizes)}


class Screen:
    """The eval side's hashes, to tell for a whole batch at once which texts could match at all.

    Most training texts share nothing with the eval side. Their whole-text and window hashes (the values `Hashed`
    computes, in numpy for all texts of a batch together) are looked up here, and only texts with a hit go on to
    the exact path (`EvalIndex.find`), so screening changes no outcome: it only spares the rest Python's loops.
    """

    def __init__(self, index: EvalIndex) -> None:
        grams, heads = Keys(index.grams), Keys(index.heads)
        self.wholes = Keys(index.wholes)
        self.windows = {size: [grams] for size in index.sizes.grams}  # window size -> the keys it is looked up among
        for size in index.sizes.heads:
            self.windows.setdefault(size, []).append(heads)

    def hits(self, texts: list[list[str]]) -> list[bool]:
        """Per text (as tokens): whether its whole hash, an n-gram or a short eval text's head is on the eval side."""
        lengths = np.array([len(t) for t in texts], dtype=np.int64)
        hit = np.zeros(len(texts), dtype=bool)
        if not lengths.any():
            return hit.tolist()
        ends, some = np.cumsum(lengths), np.flatnonzero(lengths)
        flat = np.fromiter(token_hashes(list(itertools.chain.from_iterable(texts))), np.uint64, int(ends[-1]))
        room = np.repeat(ends, lengths) - np.arange(len(flat))  # tokens from each one to the end of its text
        hit[some[self.wholes.found(_wholes(flat, room, (ends - lengths)[some]))]] = True
        owner = np.repeat(np.arange(len(texts)), lengths)
        for size, hashes in _windows(flat, self.windows).items():
            for keys in self.windows[size]:
                found = keys.found(hashes)
                hit[owner[found[room[found] >= size]]] = True  # a window within its text
        return hit.tolist()


def _wholes(flat: U64, room: npt.NDArray[np.int64], starts: npt.NDArray[np.int64]) -> U64:
    """The hash of each text that starts at `starts`: the sum of its tokens' hashes, each times B**(tokens after it)."""
    longest = int(room.max())
    terms = _mulmod(flat, np.array(powers(longest)[:longest], dtype=np.uint64)[room - 1])
    high, low = np.add.reduceat(terms >> 32, starts), np.add.reduceat(terms & _LOW32, starts)  # no overflow: < 2**32 terms
    return _reduced(_mulmod(_reduced(high), _NP_2_32) + _reduced(low))


def eval_records(prepared: Path) -> Iterator[tuple[str, str, list[str]]]:
    """(dataset, id, texts) of every prepared eval record, dataset by dataset in name order: its text and question."""
    for path in sorted(prepared.glob("*.eval.jsonl")):
        for record in read_jsonl(path):
            texts = [record[key] for key in ("text", "question") if isinstance(record.get(key), str)]
            yield str(record.get("dataset") or path.name.removesuffix(".eval.jsonl")), str(record["id"]), texts


def benchmark_path(spec: dict[str, Any]) -> Location:
    """The file of a `decontaminate.benchmarks` entry (a local path or a URL), which must exist: a skipped one is a leak."""
    path = location(spec["path"])
    if not is_file(path):
        raise HumInputError(path, "file", "<file>", "no such file (listed in decontaminate.benchmarks)")
    return path


def benchmark_records(spec: dict[str, Any]) -> Iterator[tuple[str, str, list[str]]]:
    """(name, id, texts) of one extra benchmark file (JSON lines); a missing file or field is an error naming it."""
    path = benchmark_path(spec)
    wanted = spec.get("field", "text")
    fields = [wanted] if isinstance(wanted, str) else list(wanted)
    name = str(spec.get("name") or Path(spec["path"]).name.removesuffix(".jsonl"))
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


FIELDS = ("input", "request")  # the parts of a record checked, in this order


def fields(record: Record) -> tuple[str, str]:
    """The input text (`hum.records.input_text`) and the request around it, in the order of FIELDS.

    The request is the user message with the input text cut out: the task, schema, guidelines and question.
    """
    user = message(record, "user")
    start, end = record["meta"]["text_span"]
    return user[start:end], user[:start] + "\n" + user[end:]


class Decontaminate(Step):
    """Drops instruction records whose input or request overlaps the eval side; each removal names the eval record.

    A field (the input, then the request) is contaminated when its whole normalised text equals an eval text,
    or when it shares at least `min_matches` distinct n-grams or contained short eval texts with the eval
    side that together cover at least `min_share` of its tokens (0: the count alone decides, GPT-3 style).
    """

    name = "decontaminate"
    filters = True  # it drops records of dedup's checked output and changes none (validate checks all of them again)

    def __init__(self, index: EvalIndex, min_matches: int = 1, min_share: float = 0.0) -> None:
        super().__init__()
        if min_matches < 1 or not 0.0 <= min_share <= 1.0:
            raise ValueError(f"decontaminate: min_matches must be >= 1 and min_share in [0, 1], got {min_matches}, {min_share}")
        self.index, self.min_matches, self.min_share = index, min_matches, min_share
        self.screen = Screen(index)
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
        texts = [fields(r) for r in batch]
        toks = {text: tokens(text) for text in dict.fromkeys(itertools.chain.from_iterable(texts))}  # inputs repeat
        hit = dict(zip(toks, self.screen.hits(list(toks.values())), strict=True))
        return [r for r, pair in zip(batch, texts, strict=True) if self._keep(r, pair, toks, hit)]

    def _keep(self, record: Record, texts: tuple[str, str], toks: dict[str, list[str]], hit: dict[str, bool]) -> bool:
        """Whether the record stays: its input, then its request, is checked on the exact path if the screen hit it."""
        for name, text in zip(FIELDS, texts, strict=True):
            found = self._contaminated(Hashed(toks[text])) if hit[text] else None
            if found is not None:
                self._remove(record, name, *found)
                return False
        return True

    def _remove(self, record: Record, name: str, reason: str, detail: dict[str, Any]) -> None:
        """Reject the record for what its field `name` matched, counting the eval dataset."""
        self.reject(record, f"{name}: {reason}")
        self.rejected[-1].update(field=name, **detail)
        self.stats[f"matched eval: {detail['eval']['dataset']}"] += 1

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
