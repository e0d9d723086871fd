from __future__ import annotations

import copy
import json
import runpy
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
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


class Server:
    """A tiny OpenAI-compatible server in a thread: `models` answers GET /v1/models; it logs every request."""

    def __init__(self, models: dict | None = None) -> None:
        self.models = copy.deepcopy(LLAMACPP if models is None else models)
        self.received: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.received.append({"method": "GET", "path": self.path, "auth": self.headers.get("Authorization")})
                if not self.path.endswith("/models"):
                    self.send_error(404, "Not Found")
                    return
                listing = copy.deepcopy(server.models)
                for entry in listing.get("data", []) if isinstance(listing.get("data"), list) else []:
                    entry["created"] = time.time_ns()  # as llama.cpp: the time of the request
                self.answer(listing)

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.received.append(
                    {"method": "POST", "path": self.path, "body": body, "auth": self.headers.get("Authorization")}
                )
                choice = {"index": 0, "message": {"role": "assistant", "content": "Bonjour 👋"}}
                self.answer({"id": "x", "object": "chat.completion", "choices": [choice]})

            def answer(self, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def methods(self) -> list[str]:
        return [f"{r['method']} {r['path']}" for r in self.received]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve() -> Iterator[type[Server]]:
    started: list[Server] = []

    class Started(Server):
        def __init__(self, models: dict | None = None) -> None:
            super().__init__(models)
            started.append(self)

    yield Started
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
    assert server.received == [
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
