"""An LLM stage's model on a pool of Ray actors, each holding one model built from the stage's `model` config.

The driver keeps what makes a run reproducible (the reply store, its journal, the checkpoints: `hum.llm.replies`) and
sends only the calls it cannot replay: a `RayChat` is a `ChatModel` like any other, built lazily at the first unrecorded
call, so a fully replayed run starts no actor. Each actor holds a llama.cpp model (its own threads and batch width) or a
client of an OpenAI-compatible server such as vLLM, and serves `concurrency` calls at once on threads, so a batching
model batches them as it would in one process. Every actor must report the same fingerprint: replies of two models
never mix under one key.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import ray

from hum.llm.base import ChatModel, ChatRequest, chat_all, concurrency_of, counted
from hum.llm.config import build_model
from hum.parallel import Failure, unfailed
from hum.runners.ray import connect, fetched

T = TypeVar("T")


class Host:
    """One actor's model, built as the actor starts; any error (its build's too) is handed back as a `Failure`."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        try:
            self.model: ChatModel | Failure = build_model(config)
        except Exception as exc:  # noqa: BLE001 - the driver raises it as itself at its first question
            self.model = Failure.of(exc)

    def fingerprint(self) -> str | Failure:
        return self._ask(lambda model: model.fingerprint)

    def chat_batch(self, requests: Sequence[ChatRequest]) -> list[str] | Failure:
        return self._ask(lambda model: chat_all(model, requests))

    def _ask(self, question: Callable[[ChatModel], T]) -> T | Failure:
        if isinstance(self.model, Failure):
            return self.model
        try:
            return question(self.model)
        except Exception as exc:  # noqa: BLE001 - every error goes to the driver, which raises it as itself
            return Failure.of(exc)


ModelActor = ray.remote(Host)


def actor_cpus(config: Mapping[str, Any], cpus: float | None) -> float:
    """The CPUs an actor reserves: `cpus` when given, else the model's `n_threads`, else one."""
    if cpus is not None:
        return cpus
    return counted(config.get("n_threads")) or 1


def actor_config(config: Mapping[str, Any], cpus: float) -> dict[str, Any]:
    """The config an actor builds: a model whose `n_threads` is left to the machine decodes on the CPUs it reserved.

    Left as it is, llama.cpp would spin a thread on every core of the node, whatever else Ray placed there. A relative
    model `path` is made absolute from the stage's folder, as in the stage's process: an actor runs in the folder its
    node was started in. (Neither is in the fingerprint: a GGUF model is its file's bytes.)
    """
    built = dict(config)
    if "n_threads" in built and built["n_threads"] is None:
        built["n_threads"] = max(1, int(cpus))
    if isinstance(built.get("path"), str) and not Path(built["path"]).is_absolute():
        built["path"] = str(Path(built["path"]).absolute())
    return built


def answers(refs: list[Any]) -> list[Any]:
    """What the actors handed back, in order; an actor's exception is raised as itself, a dead actor as a WorkerError."""
    return [unfailed(result) for result in fetched(refs, "model actor")]


class RayChat:
    """`actors` Ray actors of `cpus` CPUs each (None: the model's `n_threads`, else one), on the cluster at `address`.

    A batch is cut into pieces of one actor's `concurrency` calls, each sent to the actor with the fewest calls in
    flight; replies come back in request order, so which actor answered changes nothing. `concurrency` is all actors'
    together, so the stage keeps every one of them busy.
    """

    def __init__(self, config: Mapping[str, Any], host: RayHost) -> None:
        connect(host.address, host.runtime_env)
        actors, cpus = host.actors, host.cpus
        self.width = concurrency_of(config)  # one actor's calls at once
        reserved = actor_cpus(config, cpus)
        start = ModelActor.options(num_cpus=reserved, max_concurrency=self.width)
        self._actors: list[Any] = [start.remote(actor_config(config, reserved)) for _ in range(actors)]
        self._load = [0] * actors  # calls in flight per actor
        self._lock = threading.Lock()
        try:
            self._fingerprint = self._agreed()
        except BaseException:
            self.close()
            raise

    def _agreed(self) -> str:
        """The fingerprint every actor's model reports (waiting for all of them to start), refused if they differ."""
        found = [str(fingerprint) for fingerprint in answers([actor.fingerprint.remote() for actor in self._actors])]
        if len(set(found)) > 1:
            msg = f"the Ray model actors hold different models ({', '.join(sorted(set(found)))}): give every node the same "
            raise RuntimeError(msg + "model file, or point every actor at servers of one model")
        return found[0]

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    @property
    def concurrency(self) -> int:
        return len(self._actors) * self.width

    def chat(self, messages: list[dict[str, str]], *, seed: int, temperature: float, max_tokens: int) -> str:
        return self.chat_batch([ChatRequest(messages, seed, temperature, max_tokens)])[0]

    def chat_batch(self, requests: Sequence[ChatRequest]) -> list[str]:
        """The replies in request order, pieces of the batch answered by the least busy actors."""
        pieces = [list(requests[i : i + self.width]) for i in range(0, len(requests), self.width)]
        placed = [self._place(piece) for piece in pieces]
        try:
            answered = answers([ref for _, ref in placed])
        finally:
            with self._lock:
                for (actor, _), piece in zip(placed, pieces, strict=True):
                    self._load[actor] -= len(piece)
        return [str(reply) for replies in answered for reply in replies]

    def _place(self, piece: list[ChatRequest]) -> tuple[int, Any]:
        """Send `piece` to the actor with the fewest calls in flight: its index and the reference of its replies."""
        with self._lock:
            least = self._load.index(min(self._load))
            self._load[least] += len(piece)
            return least, self._actors[least].chat_batch.remote(piece)

    def close(self) -> None:
        """Stop the actors (a stage's driver exiting stops them too)."""
        for actor in self._actors:
            ray.kill(actor)
        self._actors = []

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


@dataclass(frozen=True)
class RayHost:
    """Where an LLM stage's model runs under `runner=ray`: `actors` actors of `cpus` CPUs each (see `RayChat`)."""

    address: str | None = None
    actors: int = 1
    cpus: float | None = None
    runtime_env: Mapping[str, Any] | None = None  # see `hum.runners.ray.connect`

    def __post_init__(self) -> None:
        if self.actors < 1:
            raise ValueError(f"runner.llm_actors must be at least 1, got {self.actors}")
        if self.cpus is not None and self.cpus < 0:
            raise ValueError(f"runner.llm_cpus must be at least 0, got {self.cpus}")

    def width(self, config: Mapping[str, Any]) -> int:
        """Calls served at once by all actors, known without starting one."""
        return self.actors * concurrency_of(config)

    def build(self, config: Mapping[str, Any]) -> RayChat:
        return RayChat(config, self)
