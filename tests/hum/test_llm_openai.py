from __future__ import annotations

import json
import runpy
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from hum.llm.openai import OpenAIChat

KEY = "sk-planted-0123456789abcdef"  # a key that must never reach a file, a fingerprint or an error message


@pytest.fixture
def server():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
            reply = {
                "id": "x",
                "object": "chat.completion",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "Bonjour 👋"}}],
            }
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", received
    httpd.shutdown()
    httpd.server_close()


def test_chat_request_and_reply(server, monkeypatch):
    url, received = server
    monkeypatch.setenv("HUM_TEST_KEY", "k123")
    model = OpenAIChat(url + "/", "smollm2", api_key_env="HUM_TEST_KEY", timeout=5)
    messages = [{"role": "user", "content": "Say hello in French."}]
    assert model.chat(messages, seed=42, temperature=0.7, max_tokens=16) == "Bonjour 👋"
    assert received == [
        {
            "path": "/v1/chat/completions",
            "body": {"model": "smollm2", "messages": messages, "seed": 42, "temperature": 0.7, "max_tokens": 16},
            "auth": "Bearer k123",
        }
    ]
    assert model.fingerprint == f"openai:{url}#smollm2"


def test_no_api_key_no_auth_header(server, monkeypatch):
    url, received = server
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    OpenAIChat(url, "m", timeout=5).chat([{"role": "user", "content": "hi"}], seed=1, temperature=0.0, max_tokens=1)
    assert received[0]["auth"] is None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_server_is_named_by_its_url_and_the_key_is_not(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there: connection refused
    with pytest.raises(ConnectionError, match="cannot reach the OpenAI-compatible server at") as raised:
        OpenAIChat(url, "m", timeout=5).chat([{"role": "user", "content": "hi"}], seed=1, temperature=0.0, max_tokens=1)
    assert f"{url}/chat/completions" in str(raised.value)
    assert KEY not in str(raised.value)


def test_an_http_error_names_the_url_and_status_not_the_key(monkeypatch):
    class Refusing(BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_error(401, "Unauthorized")

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    try:
        with pytest.raises(ConnectionError, match="answered HTTP 401") as raised:
            OpenAIChat(url, "m", timeout=5).chat([{"role": "user", "content": "hi"}], seed=1, temperature=0.0, max_tokens=1)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert f"{url}/chat/completions" in str(raised.value)
    assert KEY not in str(raised.value)


def test_a_paraphrase_run_uses_the_key_from_the_environment_and_writes_it_nowhere(server, tmp_path: Path, monkeypatch):
    url, received = server
    (tmp_path / "data/templates").mkdir(parents=True)
    (tmp_path / "data/templates/descriptions.yaml").write_bytes((ROOT / "data/templates/descriptions.yaml").read_bytes())
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["model"] = {**yaml.safe_load((ROOT / "conf/model/openai.yaml").read_text()), "base_url": url, "timeout": 5}
    params["paraphrase"] = {**params["paraphrase"], "per_subtask": 1, "attempts": 1}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(ROOT / "stages/paraphrase.py"), run_name="__main__")
    assert received
    assert {r["auth"] for r in received} == {f"Bearer {KEY}"}
    manifest = json.loads((tmp_path / "data/pool/manifest.json").read_text())
    assert manifest["params"]["model"]["api_key_env"] == "OPENAI_API_KEY"
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) > 3
    assert [p for p in written if KEY.encode() in p.read_bytes()] == []
