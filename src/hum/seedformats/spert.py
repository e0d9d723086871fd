"""SpERT JSON, as SpERT publishes CoNLL04, SciERC and ADE: one array of sentences.

Each sentence has `tokens`, `entities` ({type, start, end} with token offsets, end exclusive) and `relations`
({type, head, tail} with entity indices): the row shape `ner` and `re` read as they are (`hum.normalise`). The file is
read exactly as written (no Arrow schema to cast it), each sentence located as "record N" (its index in the array).
"""

from __future__ import annotations

from collections.abc import Iterator

from hum.errors import HumInputError
from hum.seedformats.base import Located, json_document
from hum.storage import Location


def spert(path: Location) -> Iterator[Located]:
    """Every sentence of the array; one that is no JSON object is its own error."""
    sentences = json_document(path)
    if not isinstance(sentences, list):
        raise HumInputError(path, "file", "<json>", "expected a JSON array of sentences (SpERT)")
    for index, sentence in enumerate(sentences):
        where = f"record {index}"
        yield where, sentence if isinstance(sentence, dict) else HumInputError(path, where, "<json>", "expected a JSON object")
