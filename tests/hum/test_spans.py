"""Spans of whole lines planned without reading the lines: together they cover the file exactly, each from a line start."""

from __future__ import annotations

import random

import pytest

from hum import spans
from hum.spans import read_span, spans_of_bytes, spans_of_lines


def lines_of(n: int, seed: int = 3) -> list[bytes]:
    rng = random.Random(seed)
    return [b"x" * rng.choice([0, 1, 5, 40, 300]) + b"\n" for _ in range(n)]


@pytest.mark.parametrize("size", [1, 7, 64, 299, 300, 301, 10_000])
@pytest.mark.parametrize("tail", [b"", b"no newline at the end"])
def test_byte_spans_cover_the_file_in_whole_lines(tmp_path, size, tail):
    lines = [*lines_of(200), *([tail] if tail else [])]
    path = tmp_path / "f.jsonl"
    path.write_bytes(b"".join(lines))
    found = spans_of_bytes(path, size)
    assert [b for s in found for b in read_span(path, *s)] == lines
    assert [s[0] for s in found[1:]] == [s[1] for s in found[:-1]]  # no gap, no overlap
    assert found[0][0] == 0
    assert found[-1][1] == path.stat().st_size
    starts = {sum(map(len, lines[:i])) for i in range(len(lines))}
    assert {s[0] for s in found} <= starts
    assert all(end - start < size + 301 for start, end in found)  # a span ends at the first line start past its size


@pytest.mark.parametrize(("count", "per"), [(0, 3), (1, 3), (9, 3), (10, 3), (250, 7), (250, 1000)])
def test_line_spans_hold_every_n_lines_across_read_blocks(tmp_path, monkeypatch, count, per):
    monkeypatch.setattr(spans, "BLOCK", 97)  # newlines counted over many small blocks
    lines = lines_of(count)
    path = tmp_path / "f.jsonl"
    path.write_bytes(b"".join(lines))
    found = [read_span(path, *s) for s in spans_of_lines(path, per)]
    assert found == [lines[i : i + per] for i in range(0, count, per)]


def test_line_spans_keep_a_last_line_without_newline(tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_bytes(b"a\nb\nc")
    assert [read_span(path, *s) for s in spans_of_lines(path, 2)] == [[b"a\n", b"b\n"], [b"c"]]
    assert spans_of_bytes(tmp_path / "f.jsonl", 1) == [(0, 2), (2, 4), (4, 5)]


def test_an_empty_file_has_no_spans(tmp_path):
    (tmp_path / "e").write_bytes(b"")
    assert spans_of_bytes(tmp_path / "e", 10) == []
    assert spans_of_lines(tmp_path / "e", 10) == []
