from __future__ import annotations

import copy
import json
import runpy
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from fakes.openai_server import FakeOpenAI
from hum.llm.base import ChatRequest
from hum.llm.config import build_model
from hum.llm.embedded import embedded_model_path
from hum.llm.openai import OpenAIChat, configured_name, portable, stable_fields
from hum.llm.replies import LazyChat, ReplyStore, recording, request_of

KEY = "sk-planted-0123456789abcdef"  # a key that must never reach a file, a fingerprint or an error message
OPENAI = "hum.llm.openai.OpenAIChat"
MESSAGES = [{"role": "user", "content": "Say hello in French."}]
CALL = {"seed": 42, "temperature": 0.7, "max_tokens": 16}

# What `GET /v1/models` answers, as each server's source has it; `created` is set anew on every request.
LLAMACPP = {
    "object": "list",
    "data": [
        {
            "id": "/home/someone/models/qwen2.5-1.5b-instruct-q4_k_m.gguf",  # the -m path, without --alias
            "aliases": [],
            "tags": [],
            "object": "model",
            "owned_by": "llamacpp",
            "meta": {
                "vocab_type": 2,
                "n_vocab": 151936,
                "n_ctx": 4096,  # the server's -c, not the model
                "n_ctx_train": 32768,
                "n_embd": 1536,
                "n_params": 1543714304,
                "size": 1066000000,
                "ftype": 15,
            },
        }
    ],
}
LLAMACPP_FINGERPRINT = (
    'openai:{"model":"default","served":{"id":"qwen2.5-1.5b-instruct-q4_k_m.gguf","meta":{"ftype":15,"n_ctx_train":32768,'
    '"n_embd":1536,"n_params":1543714304,"n_vocab":151936,"size":1066000000,"vocab_type":2},"owned_by":"llamacpp"}}'
)
PERMISSION = {"id": "modelperm-1", "object": "model_permission", "allow_sampling": True, "is_blocking": False}
VLLM = {
    "object": "list",
    "data": [
        {"id": "qwen", "object": "model", "owned_by": "vllm", "root": "/data/models/Qwen2.5-1.5B-Instruct", "parent": None,
         "max_model_len": 32768, "permission": [PERMISSION]},
        {"id": "sql-lora", "object": "model", "owned_by": "vllm", "root": "/data/adapters/sql", "parent": "qwen",
         "max_model_len": 32768, "permission": [PERMISSION]},
    ],
}  # fmt: skip
OLLAMA = {"object": "list", "data": [{"id": "llama3.2:latest", "object": "model", "owned_by": "library"}]}


@pytest.fixture
def serve() -> Iterator[Callable[..., FakeOpenAI]]:
    """Starts fake servers (listing llama.cpp's model unless told otherwise) and stops them all after the test."""
    started: list[FakeOpenAI] = []

    def start(models: dict | None = None, **hooks) -> FakeOpenAI:
        started.append(FakeOpenAI(LLAMACPP if models is None else models, **hooks))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server(serve):
    return serve()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there: connection refused


def openai_config(url: str, name: str = "default") -> dict[str, object]:
    return {"_target_": OPENAI, "base_url": url, "model": name, "api_key_env": "OPENAI_API_KEY", "timeout": 5}


def test_chat_request_and_reply(server, monkeypatch):
    monkeypatch.setenv("HUM_TEST_KEY", "k123")
    model = OpenAIChat(server.url + "/", "smollm2", api_key_env="HUM_TEST_KEY", timeout=5)
    assert model.chat(MESSAGES, **CALL) == "Bonjour 👋"
    assert [{k: r[k] for k in ("method", "path", "body", "auth")} for r in server.received] == [
        {
            "method": "POST",
            "path": "/v1/chat/completions",
            "body": {"model": "smollm2", "messages": MESSAGES, "seed": 42, "temperature": 0.7, "max_tokens": 16},
            "auth": "Bearer k123",
        }
    ]  # a chat alone never asks for the model list


def test_no_api_key_no_auth_header(server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    model = OpenAIChat(server.url, "m", timeout=5)
    model.chat([{"role": "user", "content": "hi"}], seed=1, temperature=0.0, max_tokens=1)
    assert model.fingerprint
    assert [r["auth"] for r in server.received] == [None, None]


def test_the_fingerprint_is_the_configured_name_and_what_the_server_serves_fetched_once(server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    model = OpenAIChat(server.url, "default", timeout=5)
    assert server.received == []  # built without a request
    assert model.fingerprint == LLAMACPP_FINGERPRINT  # no machine path, no time of request, no server setting, no URL
    model.chat(MESSAGES, **CALL)
    assert model.fingerprint == LLAMACPP_FINGERPRINT
    assert server.methods() == ["GET /v1/models", "POST /v1/chat/completions"]
    assert server.received[0]["auth"] == f"Bearer {KEY}"  # vLLM --api-key guards /v1/models too
    assert configured_name(model.fingerprint) == "default"


def test_the_same_model_served_elsewhere_or_restarted_has_the_same_fingerprint(serve):
    one, two = serve(), serve()
    first = OpenAIChat(one.url, "default", timeout=5).fingerprint
    time.sleep(0.01)
    again = OpenAIChat(one.url, "default", timeout=5).fingerprint  # another `created`
    elsewhere = OpenAIChat(two.url, "default", timeout=5).fingerprint
    assert first == again == elsewhere


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m["data"][0]["meta"].update(size=1066000001),  # other weights, same file name
        lambda m: m["data"][0].update(id="/models/qwen2.5-7b-instruct-q4_k_m.gguf"),
        lambda m: m["data"][0].update(owned_by="someone"),
    ],
)
def test_another_served_model_has_another_fingerprint(serve, change):
    models = copy.deepcopy(LLAMACPP)
    change(models)
    assert OpenAIChat(serve().url, "default").fingerprint != OpenAIChat(serve(models).url, "default").fingerprint


def test_a_server_setting_leaves_the_fingerprint_the_configured_name_changes_it(serve):
    models = copy.deepcopy(LLAMACPP)
    models["data"][0]["meta"]["n_ctx"] = 8192
    url = serve().url
    assert OpenAIChat(url, "default").fingerprint == OpenAIChat(serve(models).url, "default").fingerprint
    assert OpenAIChat(url, "default").fingerprint != OpenAIChat(url, "qwen").fingerprint  # the name is in the request


def test_vllm_the_entry_named_like_the_config_is_chosen(serve):
    url = serve(VLLM).url
    served = json.loads(OpenAIChat(url, "sql-lora").fingerprint.removeprefix("openai:"))
    assert served == {"model": "sql-lora", "served": {"id": "sql-lora", "owned_by": "vllm", "root": "sql", "parent": "qwen"}}
    assert json.loads(OpenAIChat(url, "qwen").fingerprint.removeprefix("openai:"))["served"]["root"] == "Qwen2.5-1.5B-Instruct"


def test_ollama_and_a_name_matching_the_file_name(serve):
    served = json.loads(OpenAIChat(serve(OLLAMA).url, "llama3.2:latest").fingerprint.removeprefix("openai:"))["served"]
    assert served == {"id": "llama3.2:latest", "owned_by": "library"}
    models = {"data": [*LLAMACPP["data"], {**OLLAMA["data"][0], "id": "other.gguf"}]}
    fingerprint = OpenAIChat(serve(models).url, "qwen2.5-1.5b-instruct-q4_k_m.gguf").fingerprint
    assert json.loads(fingerprint.removeprefix("openai:"))["served"]["owned_by"] == "llamacpp"


def test_no_entry_named_like_the_config_among_several_is_an_error_naming_the_url(serve):
    url = serve(VLLM).url
    with pytest.raises(LookupError, match="serves no model 'llama'") as raised:
        _ = OpenAIChat(url, "llama").fingerprint
    assert f"{url}/models" in str(raised.value)
    assert "'qwen', 'sql-lora'" in str(raised.value)


@pytest.mark.parametrize("models", [{"object": "list"}, {"data": [{"object": "model"}]}, {"data": "qwen"}])
def test_a_malformed_model_list_is_an_error_naming_the_url(serve, models):
    url = serve(models).url
    with pytest.raises(ConnectionError, match=f"{url}/models answered no model list"):
        _ = OpenAIChat(url, "m").fingerprint


def test_stable_fields_and_portable_names():
    assert stable_fields({"id": "m", "created": 1, "object": "model", "owned_by": "x", "meta": {"n_ctx": 5}}) == {
        "id": "m",
        "owned_by": "x",
    }
    assert portable("/home/u/models/Qwen3-8B") == "Qwen3-8B"
    assert portable("C:\\models\\qwen.gguf") == "qwen.gguf"
    assert portable("models/qwen.gguf") == "qwen.gguf"
    assert portable("Qwen/Qwen2.5-1.5B-Instruct") == "Qwen/Qwen2.5-1.5B-Instruct"
    assert portable("unsloth/Qwen3-4B-GGUF:Q8_0") == "unsloth/Qwen3-4B-GGUF:Q8_0"


def test_an_unreachable_server_is_named_by_its_url_and_the_key_is_not(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    url = dead_url()
    with pytest.raises(ConnectionError, match="cannot reach the OpenAI-compatible server at") as raised:
        OpenAIChat(url, "m", timeout=5).chat([{"role": "user", "content": "hi"}], seed=1, temperature=0.0, max_tokens=1)
    assert f"{url}/chat/completions" in str(raised.value)
    assert KEY not in str(raised.value)
    with pytest.raises(ConnectionError, match=f"cannot reach the OpenAI-compatible server at {url}/models") as raised:
        _ = OpenAIChat(url, "m", timeout=5).fingerprint
    assert KEY not in str(raised.value)


def test_an_http_error_names_the_url_and_status_not_the_key(monkeypatch):
    class Refusing(BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_error(401, "Unauthorized")

        def do_GET(self):
            self.send_error(404, "Not Found")

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    try:
        with pytest.raises(ConnectionError, match="answered HTTP 401") as raised:
            OpenAIChat(url, "m", timeout=5).chat([{"role": "user", "content": "hi"}], seed=1, temperature=0.0, max_tokens=1)
        with pytest.raises(ConnectionError, match=f"{url}/models answered HTTP 404") as listing:
            _ = OpenAIChat(url, "m", timeout=5).fingerprint
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert f"{url}/chat/completions" in str(raised.value)
    assert KEY not in str(raised.value) + str(listing.value)


# chat_batch: the requests of `chat`, several in flight at once, replies in request order.


def questions(n: int) -> list[ChatRequest]:
    """`n` requests that differ in every field a reply depends on."""
    return [
        ChatRequest([{"role": "user", "content": f"Question {i}?"}], seed=100 + i, temperature=i / 10, max_tokens=8 + i)
        for i in range(n)
    ]


def by_seed(body: dict) -> str:
    return f"reply to seed {body['seed']}"


@pytest.mark.parametrize("concurrency", [1, 3])
def test_a_batch_keeps_at_most_concurrency_requests_in_flight(serve, concurrency):
    server = serve(reply=by_seed, delay=lambda _: 0.05)
    model = OpenAIChat(server.url, "m", timeout=5, concurrency=concurrency)
    assert model.chat_batch(questions(8)) == [f"reply to seed {100 + i}" for i in range(8)]
    assert sorted(r["body"]["seed"] for r in server.posts()) == list(range(100, 108))
    assert min(2, concurrency) <= server.peak <= concurrency  # 3: several at once, never more
    assert server.in_flight == 0


def test_replies_come_in_request_order_when_the_server_answers_out_of_order(serve):
    server = serve(reply=by_seed, delay=lambda body: 0.5 if body["seed"] == 100 else 0.02)
    replies = OpenAIChat(server.url, "m", timeout=5, concurrency=3).chat_batch(questions(6))
    answered = [r["body"]["seed"] for r in sorted(server.posts(), key=lambda r: r["finished"])]
    assert answered != sorted(answered)  # the first request was answered after later ones
    assert replies == [f"reply to seed {100 + i}" for i in range(6)]


def test_a_batch_sends_each_request_exactly_as_chat_does(server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    model = OpenAIChat(server.url, "m", timeout=5, concurrency=3)
    batch = questions(5)
    sequential = [model.chat(r.messages, seed=r.seed, temperature=r.temperature, max_tokens=r.max_tokens) for r in batch]
    assert model.chat_batch(batch) == sequential
    assert model.chat_batch(batch[:1]) == sequential[:1]
    sent = [(r["path"], r["headers"], r["raw"]) for r in server.posts()]
    assert sorted(sent[5:10]) == sorted(sent[:5])  # the same requests, byte for byte, headers and all
    assert sent[10] == sent[0]  # a batch of one is the request `chat` sends
    assert [r["body"] for r in server.posts()[:5]] == [
        {"model": "m", "messages": r.messages, "seed": r.seed, "temperature": r.temperature, "max_tokens": r.max_tokens}
        for r in batch
    ]
    assert {r["auth"] for r in server.posts()} == {f"Bearer {KEY}"}


def test_a_failed_request_is_raised_naming_the_url_once_the_requests_in_flight_are_done(serve, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    server = serve(delay=lambda body: 0.0 if body["seed"] == 101 else 0.5, fail=lambda body: 500 if body["seed"] == 101 else None)
    with pytest.raises(ConnectionError, match="answered HTTP 500") as raised:
        OpenAIChat(server.url, "m", timeout=5, concurrency=3).chat_batch(questions(8))
    assert f"{server.url}/chat/completions" in str(raised.value)
    assert KEY not in str(raised.value)
    sent = server.posts()
    assert server.in_flight == 0  # the slow requests started before the failure were waited for
    assert all("finished" in r for r in sent)
    assert 101 in {r["body"]["seed"] for r in sent}
    assert len(sent) < 8  # the queued requests were dropped, not sent
    time.sleep(0.3)
    assert len(server.posts()) == len(sent)  # and none is sent later


def test_of_several_failures_the_earliest_request_s_is_raised(serve):
    statuses = {100: 503, 101: 500}  # 100 fails last, after 0.3 s
    server = serve(delay=lambda body: 0.3 if body["seed"] == 100 else 0.0, fail=lambda body: statuses.get(body["seed"]))
    with pytest.raises(ConnectionError, match="answered HTTP 503"):
        OpenAIChat(server.url, "m", timeout=5, concurrency=2).chat_batch(questions(2))
    assert server.in_flight == 0


def test_an_empty_batch_sends_nothing(server):
    assert OpenAIChat(server.url, "m", timeout=5).chat_batch([]) == []
    assert server.received == []


@pytest.mark.parametrize("concurrency", [0, -2, 1.5, True, "4"])
def test_concurrency_must_be_a_positive_integer(concurrency):
    with pytest.raises(ValueError, match=r"model.concurrency: .*integer >= 1; got"):
        OpenAIChat("http://127.0.0.1:8080/v1", "m", concurrency=concurrency)


def test_concurrency_comes_from_the_model_config_and_defaults_to_4(server):
    assert build_model({**openai_config(server.url), "concurrency": 2}).concurrency == 2
    assert build_model(openai_config(server.url)).concurrency == 4


# The reply store: a server model's fingerprint is needed for every reply's key, before any call.


def record(tmp_path: Path, config: dict[str, object], messages: list[dict[str, str]] = MESSAGES) -> str:
    """One recorded reply in the shard of stage `s`, as a finished run leaves it; returns the fingerprint used."""
    chat = recording(config, "s", {"seed": 1}, tmp_path / "replies", tmp_path / "journals")
    chat.chat(messages, **CALL)
    chat.store.save()
    return chat.fingerprint


def test_a_fully_recorded_run_contacts_no_server(serve, tmp_path: Path):
    live = serve()
    fingerprint = record(tmp_path, openai_config(live.url))
    assert fingerprint == LLAMACPP_FINGERPRINT
    live.stop()  # the server is gone; another machine would not even know its URL
    chat = recording(openai_config(dead_url()), "s", {"seed": 1}, tmp_path / "replies", tmp_path / "journals")
    assert chat.fingerprint == fingerprint  # from the recorded replies: the manifest names the model that made them
    assert chat.chat(MESSAGES, **CALL) == "Bonjour 👋"
    assert chat.counts() == {"llm_calls": 0, "replayed": 1}
    assert not chat.model.loaded


def test_concurrency_is_not_part_of_the_model_s_identity_replies_recorded_with_another_replay(serve, tmp_path: Path):
    url = serve().url
    fingerprint = record(tmp_path, {**openai_config(url), "concurrency": 1})
    chat = recording({**openai_config(url), "concurrency": 8}, "s", {"seed": 1}, tmp_path / "replies", tmp_path / "journals")
    assert chat.fingerprint == fingerprint
    assert chat.chat(MESSAGES, **CALL) == "Bonjour 👋"
    assert chat.counts() == {"llm_calls": 0, "replayed": 1}


def test_a_missing_reply_checks_that_the_server_still_serves_the_recorded_model(serve, tmp_path: Path):
    server = serve()
    record(tmp_path, openai_config(server.url))
    chat = recording(openai_config(server.url), "s", {"seed": 1}, tmp_path / "replies", tmp_path / "journals")
    chat.chat([{"role": "user", "content": "new"}], **CALL)
    assert chat.counts() == {"llm_calls": 1, "replayed": 0}
    assert server.methods() == ["GET /v1/models", "POST /v1/chat/completions"] * 2


def test_another_model_behind_the_same_url_and_name_is_refused_not_mixed(serve, tmp_path: Path):
    record(tmp_path, openai_config(serve().url))
    models = copy.deepcopy(LLAMACPP)
    models["data"][0]["id"] = "/models/qwen2.5-7b-instruct-q4_k_m.gguf"
    swapped = serve(models)
    chat = recording(openai_config(swapped.url), "s", {"seed": 1}, tmp_path / "replies", tmp_path / "journals")
    assert chat.chat(MESSAGES, **CALL) == "Bonjour 👋"  # recorded
    with pytest.raises(RuntimeError, match="the server no longer serves the model that made them") as raised:
        chat.chat([{"role": "user", "content": "new"}], **CALL)
    assert "replies/s/replies.jsonl" in str(raised.value)
    assert swapped.methods() == ["GET /v1/models"]  # nothing asked of the other model
    renamed = recording(openai_config(swapped.url, "qwen-7b"), "s", {"seed": 1}, tmp_path / "replies", tmp_path / "journals")
    assert renamed.fingerprint != LLAMACPP_FINGERPRINT  # a new name records apart


def test_without_recorded_replies_the_server_is_asked_and_an_unreachable_one_named(tmp_path: Path):
    url = dead_url()
    with pytest.raises(ConnectionError, match=f"{url}/models"):
        recording(openai_config(url), "s", {"seed": 1}, tmp_path / "replies", tmp_path / "journals")


def test_several_recorded_models_for_one_name_mean_the_server_is_asked(serve, tmp_path: Path):
    shard, journal = tmp_path / "replies/s/replies.jsonl", tmp_path / "j.jsonl"
    store = ReplyStore(shard, journal)
    for size in (1, 2):
        other = LLAMACPP_FINGERPRINT.replace("1066000000", str(size))
        store.put(request_of(other, MESSAGES, **CALL), "old")
    store.save(prune=False)
    server = serve()
    lazy = LazyChat(openai_config(server.url), shard)
    assert lazy.fingerprint == LLAMACPP_FINGERPRINT
    assert lazy.loaded
    assert server.methods() == ["GET /v1/models"]


def test_a_paraphrase_run_uses_the_key_from_the_environment_writes_it_nowhere_and_replays(server, tmp_path: Path, monkeypatch):
    (tmp_path / "data/templates").mkdir(parents=True)
    (tmp_path / "data/templates/descriptions.yaml").write_bytes((ROOT / "data/templates/descriptions.yaml").read_bytes())
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    config = yaml.safe_load((ROOT / "conf/model/openai.yaml").read_text())
    params["model"] = {**config, "base_url": server.url, "timeout": 5}
    params["paraphrase"] = {**params["paraphrase"], "per_subtask": 1, "attempts": 1}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(ROOT / "stages/paraphrase.py"), run_name="__main__")
    assert server.received
    assert {r["auth"] for r in server.received} == {f"Bearer {KEY}"}
    manifest = json.loads((tmp_path / "data/pool/manifest.json").read_text())
    assert manifest["params"]["model"]["api_key_env"] == "OPENAI_API_KEY"
    assert manifest["model"] == LLAMACPP_FINGERPRINT  # conf/model/openai.yaml names the model `default`
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) > 3
    assert [p for p in written if KEY.encode() in p.read_bytes()] == []
    made = {p: p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file()}
    asked = len(server.received)
    runpy.run_path(str(ROOT / "stages/paraphrase.py"), run_name="__main__")  # a rerun replays: the server is not asked
    assert len(server.received) == asked
    assert {p: p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file()} == made


# The real thing: llama-cpp-python's own OpenAI-compatible server on the embedded model.


@pytest.fixture
def llama_server(tmp_path: Path) -> Iterator[str]:
    """`python -m llama_cpp.server` on the embedded SmolLM2 at a free port; its URL once it lists its model.

    The server is stopped however the test ends; its output is in `llama_server.log`, quoted if it fails to start.
    """
    port, log = free_port(), tmp_path / "llama_server.log"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(embedded_model_path())]
    command += ["--host", "127.0.0.1", "--port", str(port), "--n_threads", "2"]
    url = f"http://127.0.0.1:{port}/v1"
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while not listening(f"{url}/models"):
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = log.read_text(errors="replace")[-3000:]
                    pytest.fail(f"llama_cpp.server did not start (exit code {process.poll()}); it wrote:\n{tail}")
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def listening(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own server on 127.0.0.1
            return True
    except OSError:
        return False


@pytest.mark.slow
def test_a_batch_to_llama_cpp_server_gives_the_replies_of_sequential_calls(llama_server):
    """llama_cpp.server answers one request at a time (one model behind a lock) and reuses the KV cache of the prompt
    before: the order in which requests reach it changes which prompt suffix it evaluates anew, not the greedy reply
    (as with hum's own backend, issue 18: replies identical with and without the cache). So each reply must equal the
    sequential one, not only the set of them. The lock makes concurrency queue there: this checks correctness, not speed."""
    prompts = ["What is the capital of France?", "Name a fruit that is yellow.", "How many legs has a spider?"]
    prompts += ["Write one word that rhymes with cat.", "What colour is the sky on a clear day?", "Say hello in Spanish."]
    batch = [
        ChatRequest([{"role": "user", "content": p}], seed=7 + i, temperature=0.0, max_tokens=24) for i, p in enumerate(prompts)
    ]
    model = OpenAIChat(llama_server, "smollm2", timeout=300, concurrency=3)
    batched = model.chat_batch(batch)
    sequential = [model.chat(r.messages, seed=r.seed, temperature=r.temperature, max_tokens=r.max_tokens) for r in batch]
    assert all(isinstance(reply, str) and reply.strip() for reply in batched + sequential), batched + sequential
    assert sorted(batched) == sorted(sequential)
    assert batched == sequential  # and each in its request's place
    served = json.loads(model.fingerprint.removeprefix("openai:"))["served"]
    assert served == {"id": embedded_model_path().name, "owned_by": "me"}  # the file name, not the machine's path
