from __future__ import annotations

import json
from pathlib import Path

import pytest

from fakes.replay import FINGERPRINT, HashChat
from hum.errors import HumInputError
from hum.llm import embedded
from hum.llm.llamacpp import LlamaCppChat
from hum.llm.replies import LazyChat, RecordingChat, ReplyStore, finish, recorded_fingerprint, recording, reply_key, request_of

MESSAGES = [{"role": "user", "content": "Rewrite: find the {labels}."}]


@pytest.fixture(autouse=True)
def own_hash_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GGUF hashes are cached in .hum/ of the working folder: keep this test's out of the project's."""
    monkeypatch.setattr(embedded, "HASH_CACHE", tmp_path / "hash-cache/sha256.json")


CALL = {"seed": 7, "temperature": 0.9, "max_tokens": 80}


class CountingChat:
    """Replies from the request, counting calls."""

    def __init__(self, fingerprint: str = "fake:counting") -> None:
        self.fingerprint, self.calls = fingerprint, 0

    def chat(self, messages, *, seed, temperature, max_tokens) -> str:
        self.calls += 1
        return f"reply to {messages[-1]['content']} #{seed} t={temperature} n={max_tokens}"


def store_in(folder: Path) -> ReplyStore:
    return ReplyStore(folder / "shard/replies.jsonl", folder / "journal.jsonl")


def ask(chat: RecordingChat, n: int) -> list[str]:
    return [chat.chat([{"role": "user", "content": f"text {i}"}], seed=i, temperature=0.5, max_tokens=10) for i in range(n)]


def test_a_recorded_reply_is_replayed_without_a_call(tmp_path: Path) -> None:
    model = CountingChat()
    chat = RecordingChat(model, store_in(tmp_path))
    first = chat.chat(MESSAGES, **CALL)
    again = chat.chat(MESSAGES, **CALL)
    assert first == again
    assert model.calls == 1
    assert chat.counts() == {"llm_calls": 1, "replayed": 1}
    assert chat.fingerprint == "fake:counting"


@pytest.mark.parametrize(
    "change",
    [
        {"fingerprint": "fake:other"},
        {"messages": [{"role": "user", "content": "Rewrite: find the {label}."}]},
        {"messages": [{"role": "system", "content": "Be brief."}, *MESSAGES]},
        {"seed": 8},
        {"temperature": 0.8},
        {"max_tokens": 81},
    ],
)
def test_the_key_changes_with_anything_a_reply_depends_on(change: dict[str, object]) -> None:
    base: dict[str, object] = {"fingerprint": "fake:1", "messages": MESSAGES, **CALL}
    assert reply_key(request_of(**base)) != reply_key(request_of(**{**base, **change}))


def test_the_key_ignores_spelling_of_equal_values() -> None:
    one = request_of("fake:1", [{"role": "user", "content": "x"}], seed=1, temperature=1, max_tokens=5)
    other = request_of("fake:1", [{"content": "x", "role": "user"}], seed=1, temperature=1.0, max_tokens=5)
    assert reply_key(one) == reply_key(other)


def test_a_stale_reply_is_not_used(tmp_path: Path) -> None:
    RecordingChat(CountingChat("fake:old"), store_in(tmp_path)).chat(MESSAGES, **CALL)
    model = CountingChat("fake:new")
    chat = RecordingChat(model, store_in(tmp_path))
    chat.chat(MESSAGES, **CALL)
    assert model.calls == 1


def test_a_torn_last_journal_line_is_ignored_and_cut_off(tmp_path: Path) -> None:
    store = store_in(tmp_path)
    chat = RecordingChat(CountingChat(), store)
    ask(chat, 2)
    whole = store.journal.read_bytes()
    store.journal.write_bytes(whole + b'{"key": "abc", "model": "fake:count')  # a kill in the middle of a write
    again = store_in(tmp_path)
    assert len(again.entries) == 2
    assert store.journal.read_bytes() == whole
    chat = RecordingChat(CountingChat(), again)
    ask(chat, 3)
    assert chat.counts() == {"llm_calls": 1, "replayed": 2}
    assert len(store_in(tmp_path).entries) == 3


def test_a_torn_last_shard_line_is_ignored_and_the_shard_left_alone(tmp_path: Path) -> None:
    store = store_in(tmp_path)
    ask(RecordingChat(CountingChat(), store), 2)
    store.save()
    torn = store.shard.read_bytes() + b'{"key": "abc"'
    store.shard.write_bytes(torn)
    assert len(store_in(tmp_path).entries) == 2
    assert store.shard.read_bytes() == torn


def test_a_malformed_whole_line_names_its_file_and_line(tmp_path: Path) -> None:
    shard = tmp_path / "shard/replies.jsonl"
    shard.parent.mkdir()
    shard.write_text('{"model": "m", "messages": [], "params": {}, "reply": "r"}\nnot json\n')
    with pytest.raises(HumInputError, match=r"replies.jsonl: line 2"):
        store_in(tmp_path)
    shard.write_text('{"model": "m", "messages": []}\n')
    with pytest.raises(HumInputError, match="line 1: field 'params'"):
        store_in(tmp_path)


def test_the_saved_shard_holds_exactly_the_used_replies_sorted_by_key(tmp_path: Path) -> None:
    store = store_in(tmp_path)
    ask(RecordingChat(CountingChat(), store), 4)
    store.save()
    store = store_in(tmp_path)
    chat = RecordingChat(CountingChat(), store)
    chat.chat([{"role": "user", "content": "text 1"}], seed=1, temperature=0.5, max_tokens=10)  # used again
    chat.chat(MESSAGES, **CALL)  # new
    assert store.save() == 2
    lines = [json.loads(line) for line in store.shard.read_text().splitlines()]
    assert [e["key"] for e in lines] == sorted(e["key"] for e in lines)
    assert {e["messages"][-1]["content"] for e in lines} == {"text 1", MESSAGES[0]["content"]}
    assert set(lines[0]) == {"key", "model", "messages", "params", "reply"}
    assert all(e["key"] == reply_key(e) for e in lines)
    assert not store.journal.exists()


def test_shard_bytes_depend_on_what_was_asked_only(tmp_path: Path) -> None:
    one, two = store_in(tmp_path / "one"), store_in(tmp_path / "two")
    ask(RecordingChat(CountingChat(), one), 5)
    chat = RecordingChat(CountingChat(), two)
    for i in (4, 2, 0, 3, 1):  # another order
        chat.chat([{"role": "user", "content": f"text {i}"}], seed=i, temperature=0.5, max_tokens=10)
    one.save()
    two.save()
    assert one.shard.read_bytes() == two.shard.read_bytes()
    rerun = store_in(tmp_path / "one")
    model = CountingChat()
    ask(RecordingChat(model, rerun), 5)
    rerun.save()
    assert model.calls == 0
    assert rerun.shard.read_bytes() == two.shard.read_bytes()


def test_replies_bought_by_a_killed_run_reach_the_shard_even_when_not_asked_again(tmp_path: Path) -> None:
    ask(RecordingChat(CountingChat(), store_in(tmp_path)), 3)  # killed: never saved
    resumed = store_in(tmp_path)
    chat = RecordingChat(CountingChat(), resumed)
    chat.chat(MESSAGES, **CALL)  # the units done before the kill come from the checkpoint: they ask nothing
    assert resumed.save() == 4
    clean = store_in(tmp_path / "clean")
    ask(RecordingChat(CountingChat(), clean), 3)
    RecordingChat(CountingChat(), clean).chat(MESSAGES, **CALL)
    clean.save()
    assert resumed.shard.read_bytes() == clean.shard.read_bytes()


def gguf(tmp_path: Path) -> dict[str, object]:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF not really a model")
    return {"_target_": "hum.llm.llamacpp.LlamaCppChat", "path": str(path), "n_ctx": 2048}


def test_a_gguf_fingerprint_comes_from_its_file_without_loading_it(tmp_path: Path) -> None:
    config = gguf(tmp_path)
    lazy = LazyChat(config)
    unloaded = LlamaCppChat.__new__(LlamaCppChat)  # the real class's own fingerprint, without its __init__
    unloaded.path = Path(str(config["path"]))
    assert lazy.fingerprint == unloaded.fingerprint
    assert not lazy.loaded


def test_a_fully_replayed_run_never_builds_the_model(tmp_path: Path) -> None:
    config = gguf(tmp_path)
    store_in(tmp_path).put(request_of(LazyChat(config).fingerprint, MESSAGES, **CALL), "recorded")
    lazy = LazyChat(config)
    chat = RecordingChat(lazy, store_in(tmp_path))
    assert chat.chat(MESSAGES, **CALL) == "recorded"
    assert chat.counts() == {"llm_calls": 0, "replayed": 1}
    assert not lazy.loaded  # a miss would have loaded the (bogus) GGUF file with llama.cpp


def test_a_model_class_may_give_its_fingerprint_from_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "calls.log"
    monkeypatch.setenv("HUM_FAKE_CHAT_LOG", str(log))
    lazy = LazyChat({"_target_": "fakes.replay.HashChat"})
    assert lazy.fingerprint == FINGERPRINT
    assert not log.exists()
    lazy.chat(MESSAGES, **CALL)
    assert log.read_text().splitlines() == ["build", "call 7"]


def test_without_a_config_fingerprint_the_model_is_built_to_ask_it(tmp_path: Path) -> None:
    lazy = LazyChat({"_target_": "fakes.chat.SlowEcho", "delay": 0, "log": str(tmp_path / "calls.log")})
    assert lazy.fingerprint == "fake:slow-echo"
    assert lazy.loaded


def test_a_config_fingerprint_that_lies_is_caught_when_the_model_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(HashChat, "config_fingerprint", staticmethod(lambda: "fake:promised"))
    lazy = LazyChat({"_target_": "fakes.replay.HashChat"})
    assert lazy.fingerprint == "fake:promised"
    with pytest.raises(RuntimeError, match="differs"):
        lazy.chat(MESSAGES, **CALL)


def test_recording_names_the_journal_after_the_run_and_finish_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HUM_FAKE_CHAT_LOG", raising=False)
    config = {"_target_": "fakes.replay.HashChat"}
    chat = recording(config, "paraphrase", {"seed": 1}, tmp_path / "replies", tmp_path / "journals")
    other = recording(config, "paraphrase", {"seed": 2}, tmp_path / "replies", tmp_path / "journals")
    assert chat.store.journal != other.store.journal
    assert chat.store.shard == tmp_path / "replies/paraphrase/replies.jsonl"
    chat.chat(MESSAGES, **CALL)
    chat.chat(MESSAGES, **CALL)
    finish(chat, "paraphrase", tmp_path / "calls")
    assert json.loads((tmp_path / "calls/paraphrase.json").read_text()) == {"llm_calls": 1, "replayed": 1}
    assert "1 LLM calls, 1 replies replayed" in capsys.readouterr().out
    assert len(chat.store.shard.read_text().splitlines()) == 1
    assert not chat.store.journal.exists()


def test_a_recorded_fingerprint_is_taken_only_when_the_class_claims_exactly_one(monkeypatch: pytest.MonkeyPatch) -> None:
    config = {"_target_": "fakes.replay.HashChat"}
    assert recorded_fingerprint(config, {"fake:a", "fake:b"}) is None  # the class claims none: it has no hook
    monkeypatch.setattr(
        HashChat, "matches_config", staticmethod(lambda fingerprint: fingerprint.startswith("fake:a")), raising=False
    )
    assert recorded_fingerprint(config, {"fake:a1", "other"}) == "fake:a1"
    assert recorded_fingerprint(config, {"fake:a1", "fake:a2"}) is None  # several: only the model can tell
    assert recorded_fingerprint(config, set()) is None
