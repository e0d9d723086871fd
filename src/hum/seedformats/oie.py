"""Open IE gold in tab files: one tuple per line, one record per sentence with all its tuples.

`carb`: sentence, relation, arg1, arg2, ... (CaRB gold, and OIE2016 copies in that layout). `oie2016`: sentence,
predicate head, full predicate, arg1, ... (the OIE2016 benchmark as `oie-benchmark` ships it); the full predicate is
the relation. Tuples come as [arg1, relation, arg2, ...]. Cells are stripped, because gold files pad some with
spaces; lines of one sentence are merged even when not adjacent (CaRB's dev gold splits three sentences that differ
only by a trailing space), so each record carries its full gold, and a bad line makes its sentence's record an error.

Such files hold only sentences that have tuples. The `sentences` option names, per split, the file of all sentences
(one a line, as CaRB's `dev.txt`): each becomes a record, one without tuples an empty-answer record, in that file's
order; a gold sentence missing from it is an error.
"""

from __future__ import annotations

from collections.abc import Iterator

from hum.errors import HumInputError
from hum.io import text_lines
from hum.seedformats.base import Located
from hum.storage import Location, is_file, location

Gold = dict[str, tuple[int, list[list[str]] | HumInputError]]  # sentence -> (first line, tuples or its first error)


def carb(path: Location, sentences: str | None = None) -> Iterator[Located]:
    """Sentence, relation, arguments per line."""
    return _records(path, 1, sentences)


def oie2016(path: Location, sentences: str | None = None) -> Iterator[Located]:
    """Sentence, predicate head, full predicate, arguments per line."""
    return _records(path, 2, sentences)


def _records(path: Location, predicate_cells: int, sentences: str | None) -> Iterator[Located]:
    gold: Gold = {}
    for lineno, line in text_lines(path):
        if isinstance(line, HumInputError):
            yield f"line {lineno}", line  # its sentence cannot be read, so no record can hold the error
        elif line.strip():
            _add(gold, path, lineno, [c.strip() for c in line.rstrip("\r\n").split("\t")], predicate_cells)
    if sentences is None:
        for sentence, (lineno, tuples) in gold.items():
            yield _located(f"line {lineno}", sentence, tuples)
        return
    yield from _with_sentences(gold, path, location(sentences))


def _add(gold: Gold, path: Location, lineno: int, cells: list[str], predicate_cells: int) -> None:
    """One tuple line into its sentence's gold; a line too short for a tuple makes the sentence an error."""
    lineno_first, tuples = gold.setdefault(cells[0], (lineno, []))
    if isinstance(tuples, HumInputError):
        return
    if len(cells) < 2 + predicate_cells:  # the sentence, the predicate cells and an argument
        layout = "a sentence, a relation" if predicate_cells == 1 else "a sentence, a predicate head, a predicate"
        problem = f"expected {layout} and an argument separated by tabs"
        gold[cells[0]] = (lineno_first, HumInputError(path, f"line {lineno}", "tuples", problem))
        return
    relation, first, *rest = cells[predicate_cells:]
    tuples.append([first, relation, *rest])


def _located(where: str, sentence: str, tuples: list[list[str]] | HumInputError) -> Located:
    """A sentence's record, or the error of the line that broke it, placed on that line."""
    return (tuples.where, tuples) if isinstance(tuples, HumInputError) else (where, {"sentence": sentence, "tuples": tuples})


def _with_sentences(gold: Gold, path: Location, sentences: Location) -> Iterator[Located]:
    """Every sentence of the sentences file, with its gold or none; then an error for each gold sentence not in it."""
    if not is_file(sentences):
        raise HumInputError(sentences, "file", "<file>", "no such file (the sentences option)")
    seen: set[str] = set()
    for lineno, line in text_lines(sentences):
        if isinstance(line, HumInputError):
            yield f"sentences line {lineno}", line
            continue
        sentence = line.strip()
        if sentence and sentence not in seen:
            seen.add(sentence)
            first, tuples = gold.get(sentence, (None, []))
            yield _located(f"line {first}" if first else f"sentences line {lineno}", sentence, tuples)
    for sentence, (lineno, _) in gold.items():
        if sentence not in seen:
            problem = f"the sentence is not in the sentences file {sentences}"
            yield f"line {lineno}", HumInputError(path, f"line {lineno}", "sentence", problem)
