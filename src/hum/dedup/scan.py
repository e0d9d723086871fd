"""The first pass: small keys per record, one band-key row per distinct input, and the near-copy input clusters.

Per record it keeps four int64 (exact key, user-message key, input id, location): 32 bytes, whatever the
record's size; its normalised texts go to a spill file. Per distinct input it keeps its key, the location of its
text in a spill and two flags (about 26 bytes); its band keys go to a file (see `lsh`), and the map from key to
id is bounded. A record without an input text counts its instruction as its input, flagged as a request's.

The keys of each record, and its location, are made where the pool's tasks run (`work.KeysOf`; on Ray, those of a
file source go through Ray Data, which reads the lines there); so are the band keys (`work.BandsOf`), whose tasks
are loads that read their texts from the spill of input texts where they are loaded (`hum.runners.Loads`). Numbering
the inputs, and clustering them, happen here, in stream order.
"""

from __future__ import annotations

import itertools
from array import array
from dataclasses import dataclass
from typing import Any

import numpy as np
from tqdm import tqdm

from hum.dedup.lsh import InputIndex
from hum.dedup.sources import Source
from hum.dedup.spill import Spill
from hum.dedup.work import BATCH, TEXTS, BandsOf, KeysOf, SpilledTexts
from hum.runners import Loads, Pool, Runs, mapped


@dataclass(frozen=True)
class Scan:
    """Keys of every record in stream order, and the cluster root of every distinct input."""

    exact: np.ndarray
    user: np.ndarray
    input: np.ndarray  # distinct-input id of each record
    location: np.ndarray
    root: np.ndarray  # per distinct input: the earliest input of its near-copy component (itself when none)
    request: np.ndarray  # per distinct input: whether it is the instruction of a request without input text

    @property
    def cluster(self) -> np.ndarray:
        """Each record's input cluster: where near-duplicate instructions are looked for."""
        root: np.ndarray = self.root[self.input]
        return root


def scan(
    source: Source, pool: Pool[Runs[Any], Any], index: InputIndex, spills: tuple[Spill, Spill], *, max_inputs: int, progress: bool
) -> Scan:
    """Read every record once for its keys, then cluster the distinct inputs (reading back candidates only).

    The records' keys and texts are made on `pool`'s workers (`work.KeysOf`); this process numbers the inputs in
    stream order. Each record's normalised instruction and answer go to the first spill (the fuzzy pass reads them
    there, in order), each new input's normalised text to the second. The map from input key to id holds at most
    `max_inputs` entries: when full it starts afresh, an input met again gets a second id, and `_merged` folds every
    repeated id into the first before anything else sees them, so ids are those of an unbounded map.
    """
    texts, indexed = spills
    exact, user, inputs, locations = array("q"), array("q"), array("q"), array("q")
    keys_of, spilled, request, filled = array("q"), array("q"), bytearray(), bytearray()  # per id: input key, where its
    # text is, whether it is a request's instruction and whether that text is not empty
    ids: dict[int, int] = {}
    bar = tqdm(desc="dedup: keys", unit="rec", mininterval=1.0, disable=not progress)
    for keyed in mapped(pool, source.tasks(KeysOf, BATCH)):
        locations.extend(keyed.locations)
        texts.extend(keyed.texts)
        exact.extend(keyed.exact)
        user.extend(keyed.user)
        for group in keyed.group:
            input_id = ids.get(group)
            if input_id is None:
                if len(ids) >= max_inputs:
                    ids.clear()
                text, asks = keyed.inputs[group]  # a second id's text is never read: it joins no pair
                input_id = ids[group] = len(keys_of)
                keys_of.append(group)
                spilled.append(indexed.add(text))
                request.append(asks)
                filled.append(bool(text))
            inputs.append(input_id)
        bar.update(len(keyed.group))
    bar.close()
    del ids
    first, rank = _merged(int64(keys_of))
    first_ids = first == np.arange(len(first))
    band_keys(pool, index, (indexed, int64(spilled)), first_ids & flags(filled), request)
    index.drop(np.flatnonzero(~first_ids))
    root = index.clusters(lambda i: indexed.at(spilled[i])[0])
    return Scan(
        int64(exact),
        int64(user),
        rank[first][int64(inputs)],
        int64(locations),
        rank[root][first_ids],
        index.requests()[first_ids],
    )


def band_keys(
    pool: Pool[Runs[Any], Any], index: InputIndex, spilled: tuple[Spill, np.ndarray], hashed: np.ndarray, request: bytearray
) -> None:
    """Register every input id in `index` in order, with the band keys of its text made on `pool`'s workers if `hashed`.

    `spilled`: the spill of input texts and where each id's entry is. An id not hashed (an empty text, or a repeated id)
    takes part in no pair.
    """
    rows = itertools.chain.from_iterable(mapped(pool, text_loads(*spilled, hashed)))
    for i, wanted in enumerate(hashed.tolist()):
        index.add_keys(next(rows) if wanted else None, bool(request[i]))
    next(rows, None)  # the map ends: every batch it handed out came back


def text_loads(indexed: Spill, entries: np.ndarray, hashed: np.ndarray) -> Loads[BandsOf]:
    """The band-key tasks, TEXTS hashed texts each in id order, as loads that read their texts from the spill."""
    indexed.flush()  # the loads read the file, maybe in other processes
    ends, wanted, path = np.append(entries[1:], indexed.size), np.flatnonzero(hashed), indexed.path.resolve()
    chunks = (wanted[i : i + TEXTS] for i in range(0, len(wanted), TEXTS))
    return Loads([SpilledTexts(path, entries[chunk], int(ends[chunk[-1]])) for chunk in chunks])


def _merged(group_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per id, the first id with the same input key; per id, its rank among first ids (its id in an unbounded map)."""
    _, first_of_key, inverse = np.unique(group_keys, return_index=True, return_inverse=True)
    first = first_of_key[inverse].astype(np.int64)
    rank = np.cumsum(first == np.arange(len(first)), dtype=np.int64) - 1
    return first, rank


def flags(values: bytearray) -> np.ndarray:
    """A numpy view of a bytearray of flags (no copy)."""
    return np.frombuffer(values, dtype=bool) if values else np.zeros(0, dtype=bool)


def int64(values: array[int]) -> np.ndarray:
    """A numpy view of an int64 array (no copy)."""
    return np.frombuffer(values, dtype=np.int64) if len(values) else np.zeros(0, dtype=np.int64)
