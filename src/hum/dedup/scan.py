"""The first pass: small keys per record, one band-key row per distinct input, and the near-copy input clusters.

Per record it keeps four int64 (exact key, user-message key, input id, location): 32 bytes, whatever the
record's size. Per distinct input it keeps a dict entry (its group key), its first location and its band keys.
A record without an input text counts its instruction as its input, flagged as a request's (see `lsh`).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from hum.dedup.keys import Keys, Parts
from hum.dedup.lsh import InputIndex
from hum.dedup.sources import Source


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


def scan(source: Source, index: InputIndex, progress: bool = False) -> Scan:
    """Read every record once for its keys, then cluster the distinct inputs (reading back candidates only)."""
    exact, user, inputs, locations, first = array("q"), array("q"), array("q"), array("q"), array("q")
    ids: dict[int, int] = {}
    bar = tqdm(source.records(), desc="dedup: keys", unit="rec", mininterval=1.0, disable=not progress)
    for _, location, record in bar:
        parts = Parts.of(record)
        keys = Keys.of(parts)
        input_id = ids.get(keys.group)
        if input_id is None:
            input_id = ids[keys.group] = index.add(parts.indexed, request=not parts.input)
            first.append(location)
        exact.append(keys.exact)
        user.append(keys.user)
        inputs.append(input_id)
        locations.append(location)
    del ids
    root = index.clusters(lambda i: Parts.of(source.at(first[i])).indexed)
    return Scan(int64(exact), int64(user), int64(inputs), int64(locations), root, index.requests())


def int64(values: array[int]) -> np.ndarray:
    """A numpy view of an int64 array (no copy)."""
    return np.frombuffer(values, dtype=np.int64) if len(values) else np.zeros(0, dtype=np.int64)
