"""Recorded LLM replies, content-addressed, so a rebuild on any machine replays them instead of asking the model.

llama.cpp built from source may answer differently on another CPU: "same config + same seed" alone gives the
same bytes on one machine only. Every call of an LLM stage therefore goes through a `ReplyStore` keyed by all
that determines a reply (model fingerprint, messages, sampling parameters, seed). Its shard is a persisted,
cached DVC output, pushed and pulled with the corpus: a rebuild replays the recorded replies, a rerun makes no
model call at all, and a changed model or prompt simply has other keys, so a stale reply is never used.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hydra.utils import get_class

from hum.errors import HumInputError
from hum.io import Record, atomic_open, dumps, write_json
from hum.llm.base import ChatModel
from hum.llm.config import build_model, check_model
from hum.llm.embedded import embedded_model_path, file_sha256
from hum.provenance import digest

REPLIES = Path("data/replies")  # one shard per LLM stage: data/replies/<stage>/replies.jsonl, a DVC output
JOURNALS = Path(".hum/replies")  # replies bought by an unfinished run, beside the checkpoints, outside DVC
SHARD = "replies.jsonl"
LLAMACPP = "hum.llm.llamacpp.LlamaCppChat"
REQUEST_FIELDS = ("model", "messages", "params")


def request_of(fingerprint: str, messages: list[dict[str, str]], *, seed: int, temperature: float, max_tokens: int) -> Record:
    """Everything a reply depends on, normalised (1 and 1.0 are one temperature), in the shape stored on disk."""
    params = {"seed": int(seed), "temperature": float(temperature), "max_tokens": int(max_tokens)}
    return {"model": fingerprint, "messages": [dict(m) for m in messages], "params": params}


def reply_key(request: Record) -> str:
    """sha256 of the canonical JSON of a request: equal requests share one key whatever the machine."""
    return digest({k: request[k] for k in REQUEST_FIELDS})


class ReplyStore:
    """One stage's recorded replies: the versioned shard, plus a local journal of the replies this run paid for.

    The shard is read once and only ever replaced whole (atomically), so DVC's cached copy is never edited in
    place. A reply the model gives is appended to the journal and fsynced before it is used, so a killed stage
    keeps it. The journal's replies count as used: units that a resumed stage takes from its checkpoint never
    ask again, yet the shard must hold their replies for a rebuild elsewhere.
    """

    def __init__(self, shard: Path, journal: Path) -> None:
        self.shard, self.journal = shard, journal
        self.entries: dict[str, Record] = {}
        self.entries.update(_load(shard, repair=False))
        carried = _load(journal, repair=True)
        self.entries.update(carried)
        self.used: set[str] = set(carried)

    def get(self, request: Record) -> str | None:
        """The recorded reply to `request`, or None when the model must be asked."""
        key = reply_key(request)
        entry = self.entries.get(key)
        if entry is None:
            return None
        self.used.add(key)
        return str(entry["reply"])

    def put(self, request: Record, reply: str) -> None:
        """Record a reply durably (journal line, fsynced) before the stage relies on it."""
        key = reply_key(request)
        entry = {"key": key, **{k: request[k] for k in REQUEST_FIELDS}, "reply": reply}
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        with self.journal.open("a", encoding="utf-8", newline="\n") as fh:
            fh.write(dumps(entry) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.entries[key] = entry
        self.used.add(key)

    def save(self, *, prune: bool = True) -> int:
        """Replace the shard with exactly the replies used, sorted by key: its bytes depend on what was asked only.

        Stale entries (another model, prompt or seed) are dropped here unless `prune` is off (a tool that asks
        about part of the work per run keeps the rest); the journal is then forgotten. Returns the entries written.
        """
        keys = sorted(self.used if prune else self.entries)
        with atomic_open(self.shard) as fh:
            fh.writelines(dumps(self.entries[key]) + "\n" for key in keys)
        self.journal.unlink(missing_ok=True)
        return len(keys)


def _load(path: Path, *, repair: bool) -> dict[str, Record]:
    """Entries of a shard or journal by key; a last line cut by a kill is ignored (and cut off when `repair`)."""
    if not path.exists():
        return {}
    data = path.read_bytes()
    whole = data[: data.rfind(b"\n") + 1]
    if repair and whole != data:
        with path.open("r+b") as fh:  # the next append must start on a line of its own
            fh.truncate(len(whole))
    entries: dict[str, Record] = {}
    for lineno, raw in enumerate(whole.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HumInputError(path, f"line {lineno}", "<json>", f"not a recorded reply: {exc}") from exc
        missing = [k for k in (*REQUEST_FIELDS, "reply") if not isinstance(entry, dict) or k not in entry]
        if missing:
            raise HumInputError(path, f"line {lineno}", missing[0], "missing from a recorded reply")
        key = reply_key(entry)  # recomputed, never trusted: an edited request gets the key of what it now says
        entries[key] = {"key": key, **{k: entry[k] for k in REQUEST_FIELDS}, "reply": str(entry["reply"])}
    return entries


class RecordingChat:
    """A ChatModel that answers from the store when it can, and asks the model (recording the reply) when it must."""

    def __init__(self, model: ChatModel, store: ReplyStore) -> None:
        self.model, self.store = model, store
        self.calls = 0  # replies the model was asked for in this run
        self.replayed = 0  # replies taken from the store

    @property
    def fingerprint(self) -> str:
        return self.model.fingerprint

    def chat(self, messages: list[dict[str, str]], *, seed: int, temperature: float, max_tokens: int) -> str:
        request = request_of(self.fingerprint, messages, seed=seed, temperature=temperature, max_tokens=max_tokens)
        reply = self.store.get(request)
        if reply is not None:
            self.replayed += 1
            return reply
        reply = self.model.chat(messages, seed=seed, temperature=temperature, max_tokens=max_tokens)
        self.store.put(request, reply)
        self.calls += 1
        return reply

    def counts(self) -> dict[str, int]:
        """`llm_calls` and `replayed`, for the run log in `.hum/calls/`."""
        return {"llm_calls": self.calls, "replayed": self.replayed}


class LazyChat:
    """The configured model, built (its weights loaded) at the first call only: a fully replayed rebuild never loads it.

    The fingerprint comes from the config when it can (see `config_fingerprint`); otherwise the model is built to
    ask it, which is cheap for the server backend and test doubles.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = dict(config)
        check_model(self.config)  # refused before its target is imported or anything is called
        self._model: ChatModel | None = None
        self._fingerprint: str | None = None

    @property
    def loaded(self) -> bool:
        """Whether the model was built."""
        return self._model is not None

    @property
    def model(self) -> ChatModel:
        """The model itself, built on first use; its fingerprint must be the one its config promised."""
        if self._model is None:
            model = build_model(self.config)
            if self._fingerprint is not None and model.fingerprint != self._fingerprint:
                msg = f"model fingerprint {model.fingerprint!r} differs from {self._fingerprint!r} derived from its config"
                raise RuntimeError(msg)
            self._model = model
        return self._model

    @property
    def fingerprint(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = config_fingerprint(self.config) or self.model.fingerprint
        return self._fingerprint

    def chat(self, messages: list[dict[str, str]], *, seed: int, temperature: float, max_tokens: int) -> str:
        return self.model.chat(messages, seed=seed, temperature=temperature, max_tokens=max_tokens)


def config_fingerprint(config: Mapping[str, Any]) -> str | None:
    """A model's fingerprint from its Hydra config alone, without building it; None when only the model knows.

    A GGUF model is the sha256 of its file, as `LlamaCppChat.fingerprint` says (hashing a file loads no weights).
    Any other `_target_` class may offer `config_fingerprint(**kwargs)` (a static or class method).
    """
    target = str(config.get("_target_", ""))
    kwargs = {k: v for k, v in config.items() if not k.startswith("_")}
    if target == LLAMACPP:
        path = kwargs.get("path")
        return f"sha256:{file_sha256(Path(path) if path else embedded_model_path())}"
    hook = getattr(get_class(target), "config_fingerprint", None) if target else None
    return str(hook(**kwargs)) if callable(hook) else None


def recording(
    config: Mapping[str, Any], stage: str, run: Any, folder: Path = REPLIES, journals: Path = JOURNALS
) -> RecordingChat:
    """The configured model of an LLM stage, behind its reply store; `run` (the stage's params) names the journal.

    Naming the journal after the run means replies bought by a killed run are carried into the shard only by a
    rerun of that same configuration, the one that resumes its checkpoint.
    """
    model = LazyChat(config)
    journal = journals / f"{stage}-{digest([run, model.fingerprint])[:16]}.jsonl"
    return RecordingChat(model, ReplyStore(folder / stage / SHARD, journal))


CALLS = Path(".hum/calls")  # run logs, not artifacts: a replayed rebuild must match dvc.lock to the byte


def finish(chat: RecordingChat, stage: str, calls: Path = CALLS, *, prune: bool = True) -> None:
    """After a stage's outputs are in place: save its shard, and log and print how many calls it made and replayed."""
    entries = chat.store.save(prune=prune)
    write_json(calls / f"{stage}.json", chat.counts())
    print(f"[{stage}] {chat.calls} LLM calls, {chat.replayed} replies replayed; {entries} recorded in {chat.store.shard}")
