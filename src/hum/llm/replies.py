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
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from hydra.utils import get_class

from hum.errors import HumInputError
from hum.io import Record, atomic_open, dumps, write_json
from hum.llm.base import ChatModel, ChatRequest, chat_all, concurrency_of
from hum.llm.config import build_model, check_model
from hum.llm.embedded import gguf_fingerprint, model_file
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
        self.lock = threading.Lock()  # a stage's units ask from several threads at once
        self.entries: dict[str, Record] = {}
        self.entries.update(_load(shard, repair=False))
        carried = _load(journal, repair=True)
        self.entries.update(carried)
        self.used: set[str] = set(carried)

    def get(self, request: Record) -> str | None:
        """The recorded reply to `request`, or None when the model must be asked."""
        key = reply_key(request)
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            self.used.add(key)
            return str(entry["reply"])

    def put(self, request: Record, reply: str) -> None:
        """Record a reply durably (journal line, fsynced) before the stage relies on it."""
        key = reply_key(request)
        entry = {"key": key, **{k: request[k] for k in REQUEST_FIELDS}, "reply": reply}
        with self.lock:
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
    """A ChatModel that answers from the store when it can, and asks the model (recording the reply) when it must.

    Safe to call from several threads: a stage keeps `concurrency` units going so that a batching model is kept busy.
    """

    def __init__(self, model: ChatModel, store: ReplyStore) -> None:
        self.model, self.store = model, store
        self.calls = 0  # replies the model was asked for in this run
        self.replayed = 0  # replies taken from the store
        self._count = threading.Lock()

    @property
    def fingerprint(self) -> str:
        return self.model.fingerprint

    @property
    def concurrency(self) -> int:
        """The model's: replayed calls return at once, so the model's width is what bounds a stage."""
        return concurrency_of(self.model)

    def chat(self, messages: list[dict[str, str]], *, seed: int, temperature: float, max_tokens: int) -> str:
        return self.chat_batch([ChatRequest(messages, seed, temperature, max_tokens)])[0]

    def chat_batch(self, requests: Sequence[ChatRequest]) -> list[str]:
        """Recorded replies where there are some; the rest asked of the model in one batch and recorded, in order."""
        fingerprint = self.fingerprint
        keyed = [
            request_of(fingerprint, r.messages, seed=r.seed, temperature=r.temperature, max_tokens=r.max_tokens) for r in requests
        ]
        replies = [self.store.get(k) for k in keyed]
        missing = [i for i, reply in enumerate(replies) if reply is None]
        asked = chat_all(self.model, [requests[i] for i in missing]) if missing else []
        for i, reply in zip(missing, asked, strict=True):
            self.store.put(keyed[i], reply)
            replies[i] = reply
        with self._count:
            self.calls += len(missing)
            self.replayed += len(requests) - len(missing)
        return [str(reply) for reply in replies]

    def counts(self) -> dict[str, int]:
        """`llm_calls` and `replayed`, for the run log in `.hum/calls/`."""
        return {"llm_calls": self.calls, "replayed": self.replayed}


class ModelHost(Protocol):
    """Where the configured model is built: in this process, or on a pool of Ray actors (`hum.runners.ray_chat`)."""

    def width(self, config: Mapping[str, Any]) -> int:
        """The calls the built model will serve at once, known without building it."""
        ...

    def build(self, config: Mapping[str, Any]) -> ChatModel:
        """The model (or the driver's handle on models elsewhere), its weights loaded."""
        ...


@dataclass(frozen=True)
class InProcess:
    """The model in the stage's own process: the local runner's, and the default."""

    def width(self, config: Mapping[str, Any]) -> int:
        return concurrency_of(config)

    def build(self, config: Mapping[str, Any]) -> ChatModel:
        return build_model(config)


class LazyChat:
    """The configured model, built (its weights loaded) at the first call only: a fully replayed rebuild never loads it.

    `host` builds it: in this process by default, or on Ray actors (`hum.runners.hosts`); replies are the same.

    The fingerprint is found, in this order, without building the model when it can:

    1. from the config (see `config_fingerprint`): a GGUF file's hash;
    2. from the replies recorded in `shard` (see `recorded_fingerprint`): a server model's fingerprint says what the
       server serves, which only the server knows. When the shard names exactly one such fingerprint for this config
       (same configured name), that one is taken, so a fully replayed rerun or rebuild contacts no server and its
       manifests name the model that really made the replies. The first call that must reach the server checks that
       it still serves that model, and stops otherwise: replies of two models never mix under one fingerprint;
    3. from the model itself, built to ask it (a server is then asked `GET /models`, once).
    """

    def __init__(self, config: Mapping[str, Any], shard: Path | None = None, host: ModelHost | None = None) -> None:
        self.config = dict(config)
        check_model(self.config)  # refused before its target is imported or anything is called
        self.shard, self.host = shard, host or InProcess()
        self._model: ChatModel | None = None
        self._fingerprint: str | None = None
        self._source = "its config"  # where the fingerprint came from, for the error when the model disagrees
        self._from_replies = False
        self._building = threading.Lock()  # units on several threads may all make the first call

    @property
    def concurrency(self) -> int:
        """The configured number of calls served at once (by every actor of a Ray host), known without building the model."""
        return self.host.width(self.config)

    @property
    def loaded(self) -> bool:
        """Whether the model was built."""
        return self._model is not None

    @property
    def model(self) -> ChatModel:
        """The model itself, built on first use; its fingerprint must be the one its config or its replies promised."""
        with self._building:
            return self._build()

    def _build(self) -> ChatModel:
        if self._model is None:
            model = self.host.build(self.config)
            if self._fingerprint is not None and model.fingerprint != self._fingerprint:
                msg = f"model fingerprint {model.fingerprint!r} differs from {self._fingerprint!r} derived from {self._source}"
                if self._from_replies:
                    msg += ": the server no longer serves the model that made them. Serve that model again to extend them, or "
                    msg += "set model.model to another name (or move that shard aside) to record the new model's replies apart"
                raise RuntimeError(msg)
            self._model = model
        return self._model

    @property
    def fingerprint(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = self._offline_fingerprint() or self.model.fingerprint
        return self._fingerprint

    def _offline_fingerprint(self) -> str | None:
        """The fingerprint from the config or the recorded replies; None when only the model can tell."""
        if self._model is not None:
            return None
        if found := config_fingerprint(self.config):
            return found
        if self.shard is not None and (found := recorded_fingerprint(self.config, recorded_models(self.shard))):
            self._source, self._from_replies = f"the replies recorded for it in {self.shard}", True
            return found
        return None

    def chat(self, messages: list[dict[str, str]], *, seed: int, temperature: float, max_tokens: int) -> str:
        return self.model.chat(messages, seed=seed, temperature=temperature, max_tokens=max_tokens)

    def chat_batch(self, requests: Sequence[ChatRequest]) -> list[str]:
        return chat_all(self.model, requests)


def config_fingerprint(config: Mapping[str, Any]) -> str | None:
    """A model's fingerprint from its Hydra config alone, without building it; None when only the model knows.

    A GGUF model is the sha256 of its file, as `LlamaCppChat.fingerprint` says (hashing a file loads no weights; its
    path is not part of it). Any other `_target_` class may offer `config_fingerprint(**kwargs)` (a static or class method).
    """
    target = str(config.get("_target_", ""))
    kwargs = {k: v for k, v in config.items() if not k.startswith("_")}
    if target == LLAMACPP:
        return gguf_fingerprint(model_file(kwargs.get("path")))
    hook = getattr(get_class(target), "config_fingerprint", None) if target else None
    return str(hook(**kwargs)) if callable(hook) else None


def recorded_fingerprint(config: Mapping[str, Any], recorded: Collection[str]) -> str | None:
    """The one recorded fingerprint that the config's class claims as its own; None for none or several.

    A class claims fingerprints with `matches_config(fingerprint, **kwargs)` (a static or class method); with none or
    several claimed, only the model itself can tell which it is.
    """
    target = str(config.get("_target_", ""))
    claims = getattr(get_class(target), "matches_config", None) if target else None
    if not callable(claims):
        return None
    kwargs = {k: v for k, v in config.items() if not k.startswith("_")}
    claimed = {fingerprint for fingerprint in recorded if claims(fingerprint, **kwargs)}
    return claimed.pop() if len(claimed) == 1 else None


def recorded_models(shard: Path) -> set[str]:
    """The model fingerprints that a shard's replies were recorded with."""
    return {str(entry["model"]) for entry in _load(shard, repair=False).values()}


def recording(
    config: Mapping[str, Any],
    stage: str,
    run: Any,
    folder: Path = REPLIES,
    journals: Path = JOURNALS,
    *,
    host: ModelHost | None = None,
) -> RecordingChat:
    """The configured model of an LLM stage, behind its reply store; `run` (the stage's params) names the journal.

    Naming the journal after the run means replies bought by a killed run are carried into the shard only by a
    rerun of that same configuration, the one that resumes its checkpoint. `host` is where the model is built (this
    process by default); it is no part of the run: replies, and so the journal and shard, are the same wherever.
    """
    shard = folder / stage / SHARD
    model = LazyChat(config, shard, host)
    journal = journals / f"{stage}-{digest([run, model.fingerprint])[:16]}.jsonl"
    return RecordingChat(model, ReplyStore(shard, journal))


CALLS = Path(".hum/calls")  # run logs, not artifacts: a replayed rebuild must match dvc.lock to the byte


def finish(chat: RecordingChat, stage: str, calls: Path = CALLS, *, prune: bool = True) -> None:
    """After a stage's outputs are in place: save its shard, and log and print how many calls it made and replayed."""
    entries = chat.store.save(prune=prune)
    write_json(calls / f"{stage}.json", chat.counts())
    print(f"[{stage}] {chat.calls} LLM calls, {chat.replayed} replies replayed; {entries} recorded in {chat.store.shard}")
