from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from hum.llm.openai import OpenAIChat


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


def test_chat_request_and_reply(server):
    url, received = server
    model = OpenAIChat(url + "/", "smollm2", api_key="k123", timeout=5)
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


def test_no_api_key_no_auth_header(server):
    url, received = server
    OpenAIChat(url, "m", timeout=5).chat([{"role": "user", "content": "hi"}], seed=1, temperature=0.0, max_tokens=1)
    assert received[0]["auth"] is None
