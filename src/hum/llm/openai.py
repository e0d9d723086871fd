"""Any OpenAI-compatible chat server (llama.cpp server, vLLM, Ollama) over plain HTTP."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


class OpenAIChat:
    """POSTs to `{base_url}/chat/completions`; the server's model name is the fingerprint."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout: float = 120.0) -> None:
        self.base_url, self.model, self.api_key, self.timeout = base_url.rstrip("/"), model, api_key, timeout

    @property
    def fingerprint(self) -> str:
        return f"openai:{self.base_url}#{self.model}"

    def chat(self, messages: list[dict[str, str]], *, seed: int, temperature: float, max_tokens: int) -> str:
        body = {"model": self.model, "messages": messages, "seed": seed, "temperature": temperature}
        body["max_tokens"] = max_tokens
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(  # noqa: S310 - the URL is the user's own configured server
            f"{self.base_url}/chat/completions", data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            payload: Any = json.load(response)
        return str(payload["choices"][0]["message"]["content"] or "")
