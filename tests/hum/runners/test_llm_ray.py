"""LLM stages on Ray (issue 19): a pool of actors each holding one model answers as the model in this process does,
in request order, within each actor's concurrency, with its errors raised as themselves; a fully replayed run on Ray
starts no actor.

The cluster is real: the package's Ray head on 127.0.0.1 (2 CPUs, see conftest.py). The fakes are imported by the
actors from tests/ (PYTHONPATH through the job's runtime environment).
"""

from __future__ import annotations

import gc
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import ray
import yaml

from fakes.pooled import InFlightChat
from fakes.replay import HashChat
from hum.llm import embedded
from hum.llm.base import ChatModel, ChatRequest, chat_all
from hum.llm.config import ALLOW_ENV
from hum.llm.llamacpp import LlamaCppChat
from hum.llm.replies import LLAMACPP, InProcess, LazyChat, finish, recording
from hum.paraphrase import prompt_for
from hum.runners.hosts import host_of
from hum.runners.ray_chat import RayChat, RayHost, actor_config, actor_cpus

ROOT = Path(__file__).resolve().parents[3]
FAKE = {"_target_": "fakes.pooled.InFlightChat", "delay": 0.2, "refuse": 13, "concurrency": 2}
RUN = {"seed": 13, "generalist": {"attempts": 1}}


def join(address: str) -> None:
    """Connect this process to the head, its actors able to import and build the test doubles."""
    env = {"PYTHONPATH": str(ROOT / "tests"), ALLOW_ENV: "fakes."}
    ray.init(address=address, runtime_env={"env_vars": env}, logging_level=logging.WARNING, log_to_driver=False)


def request(seed: int, text: str = "Find the {labels}.", max_tokens: int = 24) -> ChatRequest:
    return ChatRequest([{"role": "user", "content": text}], seed, 0.9, max_tokens)


def ask(chat: ChatModel, call: ChatRequest) -> str:
    return chat.chat(call.messages, seed=call.seed, temperature=call.temperature, max_tokens=call.max_tokens)


def parts(reply: str) -> tuple[int, str, int]:
    """(seed, pid, calls in flight) from an InFlightChat reply."""
    seed, pid, busy = reply.split()
    return int(seed), pid, int(busy.removeprefix("busy="))


def test_calls_on_two_actors_keep_their_order_within_each_actors_concurrency_and_errors_cross_as_themselves(address):
    join(address)
    refused = [request(1), request(13), request(2)]
    with pytest.raises(ValueError) as here:
        chat_all(InFlightChat(delay=0, refuse=13), refused)
    with RayChat(FAKE, RayHost(address, actors=2, cpus=1)) as chat:
        assert chat.fingerprint == InFlightChat().fingerprint
        assert chat.concurrency == 4, "2 actors x model.concurrency"
        with ThreadPoolExecutor(8) as threads:  # as a stage's units call it
            singles = list(threads.map(lambda seed: ask(chat, request(seed)), range(8)))
        batch = chat.chat_batch([request(seed) for seed in range(100, 110)])
        with pytest.raises(ValueError) as there:
            chat.chat_batch(refused)
        assert parts(ask(chat, request(1)))[0] == 1, "the actors still serve"
    for replies, seeds in ((singles, range(8)), (batch, range(100, 110))):
        assert [parts(reply)[0] for reply in replies] == list(seeds)
        assert len({parts(reply)[1] for reply in replies}) == 2, "both actors answered"
        assert max(parts(reply)[2] for reply in replies) == 2, "each actor served its concurrency at once, never more"
    assert type(there.value) is type(here.value)
    assert str(there.value) == str(here.value) == "seed 13 is refused"


def test_a_models_build_error_crosses_as_itself_and_actors_holding_different_models_are_refused(address):
    join(address)
    with pytest.raises(ValueError, match=r"^model\.concurrency: an integer >= 1; got 0$"):
        RayChat({**FAKE, "concurrency": 0}, RayHost(address, actors=1, cpus=1))  # raised by the actor's build
    with pytest.raises(RuntimeError, match="the Ray model actors hold different models"):
        RayChat({**FAKE, "per_process": True}, RayHost(address, actors=2, cpus=1))


def test_the_embedded_model_on_one_actor_replies_as_it_does_in_this_process(address, tmp_path, monkeypatch):
    monkeypatch.setattr(embedded, "HASH_CACHE", tmp_path / "sha256.json")
    texts = ["Find every {labels} in the text.", "List the {relations} between entities.", "Classify the text as {labels}."]
    requests = [request(seed, prompt_for(text, "en")) for seed, text in enumerate([*texts, texts[0]])]
    config = {"_target_": LLAMACPP, "path": None, "n_ctx": 512, "n_threads": None, "concurrency": 4}
    model = LlamaCppChat(path=None, n_ctx=512, n_threads=1, concurrency=4)  # one thread: quick on a busy machine too
    here, fingerprint = chat_all(model, requests), model.fingerprint
    del model  # one model process at a time
    gc.collect()
    with RayChat(config, RayHost(address, actors=1, cpus=1)) as chat:  # decodes on the one CPU its actor reserved
        assert chat.fingerprint == fingerprint
        assert chat.chat_batch(requests) == here
        assert ask(chat, requests[1]) == here[1]
    assert len(set(here[:3])) == 3, "real, distinct replies"


def test_a_fully_replayed_run_on_ray_starts_no_actor_and_asks_the_actors_only_what_is_missing(address, tmp_path):
    config, folder, journals = {"_target_": "fakes.replay.HashChat"}, tmp_path / "replies", tmp_path / "journals"
    requests = [request(seed, f"Tell me about text {seed}.") for seed in range(4)]
    here = recording(config, "generalist", RUN, folder, journals)
    replies = here.chat_batch(requests)
    finish(here, "generalist", tmp_path / "calls")
    host = host_of({"kind": "ray", "address": address, "llm_actors": 1, "llm_cpus": 1})
    on_ray = recording(config, "generalist", RUN, folder, journals, host=host)
    assert on_ray.chat_batch(requests) == replies
    assert on_ray.counts() == {"llm_calls": 0, "replayed": 4}
    assert not on_ray.model.loaded, "no actor"
    assert not ray.is_initialized(), "not even a connection to the cluster"
    join(address)
    extra = request(9, "Tell me about text 9.")
    assert on_ray.chat_batch([*requests, extra]) == [*replies, ask(HashChat(), extra)]
    assert on_ray.counts() == {"llm_calls": 1, "replayed": 8}
    assert isinstance(on_ray.model.model, RayChat)
    on_ray.model.model.close()


def test_the_runner_config_names_where_the_model_runs():
    configs = {path.stem: yaml.safe_load(path.read_text()) for path in sorted((ROOT / "conf/runner").glob("*.yaml"))}
    assert {name: host_of(config) for name, config in configs.items()} == {"local": InProcess(), "ray": RayHost()}
    assert host_of(None) == InProcess(), "params without the runner group: the model in the stage's process"
    assert host_of({"kind": "ray", "address": "10.0.0.1:6379", "llm_actors": 3, "llm_cpus": 2}) == RayHost("10.0.0.1:6379", 3, 2)
    with pytest.raises(ValueError, match=r"runner\.kind: 'spark' is not one of \['local', 'ray'\]"):
        host_of({"kind": "spark"})
    with pytest.raises(ValueError, match=r"runner\.llm_actors must be at least 1, got 0"):
        RayHost(actors=0)


def test_an_actor_reserves_the_models_threads_and_decodes_on_what_it_reserved():
    llama, server = {"_target_": LLAMACPP, "n_threads": None}, {"_target_": "hum.llm.openai.OpenAIChat", "concurrency": 16}
    assert actor_cpus({**llama, "n_threads": 4}, None) == 4
    assert actor_cpus(llama, None) == actor_cpus(server, None) == 1
    assert actor_cpus({**llama, "n_threads": 4}, 2) == 2, "runner.llm_cpus wins"
    assert actor_config(llama, 2) == {**llama, "n_threads": 2}
    assert actor_config({**llama, "n_threads": 3}, 2) == {**llama, "n_threads": 3}, "a configured thread count is kept"
    assert actor_config(server, 0.5) == server
    assert actor_config({**llama, "path": "models/x.gguf"}, 1)["path"] == str(Path.cwd() / "models/x.gguf")
    assert actor_config({**llama, "path": "/models/x.gguf"}, 1)["path"] == "/models/x.gguf"
    assert RayHost(actors=3).width(server) == 48
    assert LazyChat({**llama, "concurrency": 8}, host=RayHost(actors=3)).concurrency == 24, "known before any actor starts"
