"""A GGUF model is identified by its bytes, never by its path; its hash is computed once per change of the file."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from hum.llm import embedded
from hum.llm.embedded import file_sha256, gguf_fingerprint, model_file
from hum.llm.llamacpp import LlamaCppChat
from hum.llm.replies import LazyChat, config_fingerprint, recording, request_of

LLAMACPP = "hum.llm.llamacpp.LlamaCppChat"
MESSAGES = [{"role": "user", "content": "Rewrite: find the {labels}."}]
CALL = {"seed": 7, "temperature": 0.9, "max_tokens": 80}
WEIGHTS = b"GGUF\x03\x00\x00\x00 fake weights " * 100  # never loaded: only hashed


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A hash cache of this test's own, and no hashes remembered from other tests."""
    cache = tmp_path / "state/sha256.json"
    monkeypatch.setattr(embedded, "HASH_CACHE", cache)
    monkeypatch.setattr(embedded, "_HASHED", {})
    return cache


def gguf(path: Path, data: bytes = WEIGHTS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def config(path: Path | str) -> dict[str, object]:
    return {"_target_": LLAMACPP, "path": str(path), "n_ctx": 2048}


def unloaded(path: Path) -> LlamaCppChat:
    """The real class, without its __init__ (which would load the file with llama.cpp)."""
    model = LlamaCppChat.__new__(LlamaCppChat)
    model.path = path
    return model


def test_the_same_bytes_at_two_paths_are_one_model(tmp_path: Path) -> None:
    here = gguf(tmp_path / "project/models/qwen.gguf")
    there = gguf(tmp_path / "elsewhere/downloads/Qwen-copy.gguf")
    expected = f"sha256:{hashlib.sha256(WEIGHTS).hexdigest()}"
    assert gguf_fingerprint(here) == gguf_fingerprint(there) == expected
    assert config_fingerprint(config(here)) == config_fingerprint(config(there)) == expected
    assert LazyChat(config(here)).fingerprint == LazyChat(config(there)).fingerprint == expected
    assert unloaded(here).fingerprint == unloaded(there).fingerprint == expected
    assert "qwen" not in expected.lower()


def test_different_bytes_are_another_model_whatever_the_path(tmp_path: Path) -> None:
    one = gguf(tmp_path / "a/model.gguf")
    other = gguf(tmp_path / "b/model.gguf", WEIGHTS[:-1] + b"!")  # same name and size
    assert gguf_fingerprint(one) != gguf_fingerprint(other)
    assert LazyChat(config(one)).fingerprint != LazyChat(config(other)).fingerprint


def test_a_relative_path_is_the_same_model_as_its_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = gguf(tmp_path / "models/m.gguf")
    monkeypatch.chdir(tmp_path)
    assert model_file("models/m.gguf") == Path("models/m.gguf")
    assert LazyChat(config("models/m.gguf")).fingerprint == LazyChat(config(path)).fingerprint


def test_replies_recorded_with_a_file_replay_for_its_copy_without_loading_it(tmp_path: Path) -> None:
    here, there = gguf(tmp_path / "one/m.gguf"), gguf(tmp_path / "two/copy.gguf")
    first = recording(config(here), "s", {"seed": 1}, tmp_path / "replies", tmp_path / "journals")
    first.store.put(request_of(first.fingerprint, MESSAGES, **CALL), "recorded")
    first.store.save(prune=False)
    again = recording(config(there), "s", {"seed": 1}, tmp_path / "replies", tmp_path / "journals")
    assert again.store.journal == first.store.journal
    assert again.chat(MESSAGES, **CALL) == "recorded"
    assert again.counts() == {"llm_calls": 0, "replayed": 1}
    assert isinstance(again.model, LazyChat)
    assert not again.model.loaded  # a miss would have loaded the bogus file with llama.cpp


def test_recorded_shards_are_the_same_bytes_for_copies_and_name_no_path(tmp_path: Path) -> None:
    shards = []
    for folder, name in (("one", "m.gguf"), ("two", "other-name.gguf")):
        chat = recording(config(gguf(tmp_path / folder / name)), "s", {"seed": 1}, tmp_path / folder, tmp_path / folder)
        chat.store.put(request_of(chat.fingerprint, MESSAGES, **CALL), "r")  # as a call would record it
        chat.store.save()
        shards.append(chat.store.shard.read_bytes())
    assert shards[0] == shards[1]
    assert str(tmp_path).encode() not in shards[0]
    assert b".gguf" not in shards[0]


def test_a_hash_is_computed_once_per_version_of_the_file(
    tmp_path: Path, own_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[Path] = []
    real_hash = embedded._hash
    monkeypatch.setattr(embedded, "_hash", lambda path: hashed.append(path) or real_hash(path))
    path = gguf(tmp_path / "m.gguf")
    first = file_sha256(path)
    assert file_sha256(path) == first
    monkeypatch.setattr(embedded, "_HASHED", {})  # another process: the cache file answers
    assert file_sha256(path) == first
    assert hashed == [path.resolve()]
    cached = json.loads(own_cache.read_text())
    assert list(cached) == [str(path.resolve())]
    assert cached[str(path.resolve())]["sha256"] == first


def test_a_file_rewritten_in_place_is_hashed_again_even_with_its_old_mtime(tmp_path: Path) -> None:
    path = gguf(tmp_path / "m.gguf")
    before = path.stat()
    first = file_sha256(path)
    time.sleep(0.05)  # timestamps tick in jiffies: let ctime move on
    path.write_bytes(WEIGHTS[:-1] + b"!")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # same mtime; ctime cannot be set back
    assert file_sha256(path) == hashlib.sha256(WEIGHTS[:-1] + b"!").hexdigest() != first


def test_an_unreadable_cache_is_ignored_and_replaced(tmp_path: Path, own_cache: Path) -> None:
    own_cache.parent.mkdir(parents=True)
    own_cache.write_text("{not json")
    path = gguf(tmp_path / "m.gguf")
    assert file_sha256(path) == hashlib.sha256(WEIGHTS).hexdigest()
    assert str(path.resolve()) in json.loads(own_cache.read_text())


def test_cache_entries_of_files_gone_are_dropped(tmp_path: Path, own_cache: Path) -> None:
    gone = gguf(tmp_path / "gone.gguf")
    file_sha256(gone)
    gone.unlink()
    kept = gguf(tmp_path / "kept.gguf", b"other")
    file_sha256(kept)
    assert list(json.loads(own_cache.read_text())) == [str(kept.resolve())]


def test_a_cache_that_cannot_be_written_only_costs_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setattr(embedded, "HASH_CACHE", blocker / "sha256.json")
    assert file_sha256(gguf(tmp_path / "m.gguf")) == hashlib.sha256(WEIGHTS).hexdigest()
