"""The first pass: small keys per record, one band-key row per distinct input, and the near-copy input clusters.

Per record it keeps four int64 (exact key, user-message key, input id, location): 32 bytes, whatever the
record's size; its normalised texts go to a spill file. Per distinct input it keeps its key, the location of its
text in a spill and two flags (about 26 bytes); its band keys go to a file (see `lsh`), and the map from key to
id is bounded. A record without an input text counts its instruction as its input, flagged as a request's.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from hum.dedup.keys import Keys, Parts
from hum.dedup.lsh import InputIndex
from hum.dedup.sources import Source
from hum.dedup.spill import Spill


@dataclass(frozen=True)
class Scan:
    """Keys of every record in stream order, and the cluster root of every distinct input."""

    exact: np.ndarray
    user: np.ndarray
    input: np.ndarray  # distinct-input id of each record
    location: np.ndarray
    root: np.ndarray  # per distinct input: the earliest input of its near-copy component (itself when none)
    request: np.ndarray  # per distinct input: whether it is the instruction of a request without input text

    def asked_over(self, index: int) -> int:
        """The input record `index` asks over: its distinct-input id, or -1 for every request without one."""
        input_id = int(self.input[index])
        return -1 if self.request[input_id] else input_id

    @property
    def cluster(self) -> np.ndarray:
        """Each record's input cluster: where near-duplicate instructions are looked for."""
        root: np.ndarray = self.root[self.input]
        return root


def scan(source: Source, index: InputIndex, spills: tuple[Spill, Spill], max_inputs: int, progress: bool = False) -> Scan:
    """Read every record once for its keys, then cluster the distinct inputs (reading back candidates only).

    Each record's normalised instruction and answer go to the first spill (the fuzzy pass reads them there, in
    order), each new input's normalised text to the second. The map from input key to id holds at most `max_inputs`
    entries: when full it starts afresh, an input met again gets a second id, and `_merged` folds every repeated
    id into the first before anything else sees them, so ids are those of an unbounded map.
    """
    texts, indexed = spills
    exact, user, inputs, locations = array("q"), array("q"), array("q"), array("q")
    keys_of, spilled = array("q"), array("q")  # per id: its input key, and where its text is in `indexed`
    ids: dict[int, int] = {}
    bar = tqdm(source.records(), desc="dedup: keys", unit="rec", mininterval=1.0, disable=not progress)
    for _, location, record in bar:
        parts = Parts.of(record)
        keys = Keys.of(parts)
        input_id = ids.get(keys.group)
        if input_id is None:
            if len(ids) >= max_inputs:
                ids.clear()
            input_id = ids[keys.group] = index.add(parts.indexed, request=not parts.input)
            keys_of.append(keys.group)
            spilled.append(indexed.add(parts.indexed))
        texts.add(parts.instruction, parts.answer)
        exact.append(keys.exact)
        user.append(keys.user)
        inputs.append(input_id)
        locations.append(location)
    del ids
    first, rank = _merged(int64(keys_of))
    index.drop(np.flatnonzero(first != np.arange(len(first))))
    root = index.clusters(lambda i: indexed.at(spilled[i])[0])
    kept = first == np.arange(len(first))
    merged = rank[first]
    return Scan(int64(exact), int64(user), merged[int64(inputs)], int64(locations), rank[root][kept], index.requests()[kept])


def _merged(group_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per id, the first id with the same input key; per id, its rank among first ids (its id in an unbounded map)."""
    _, first_of_key, inverse = np.unique(group_keys, return_index=True, return_inverse=True)
    first = first_of_key[inverse].astype(np.int64)
    rank = np.cumsum(first == np.arange(len(first)), dtype=np.int64) - 1
    return first, rank


def int64(values: array[int]) -> np.ndarray:
    """A numpy view of an int64 array (no copy)."""
    return np.frombuffer(values, dtype=np.int64) if len(values) else np.zeros(0, dtype=np.int64)
