"""Any OpenAI-compatible chat server (llama.cpp server, vLLM, Ollama) over plain HTTP."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any


class OpenAIChat:
    """POSTs to `{base_url}/chat/completions`; the server's model name is the fingerprint.

    The API key is read from the environment variable named `api_key_env` at each call and kept nowhere else:
    the config (and so params.yaml, manifests and fingerprints) holds only the variable's name.
    """

    def __init__(self, base_url: str, model: str, api_key_env: str = "OPENAI_API_KEY", timeout: float = 120.0) -> None:
        self.base_url, self.model, self.api_key_env, self.timeout = base_url.rstrip("/"), model, api_key_env, timeout

    @property
    def fingerprint(self) -> str:
        return f"openai:{self.base_url}#{self.model}"

    def chat(self, messages: list[dict[str, str]], *, seed: int, temperature: float, max_tokens: int) -> str:
        body = {"model": self.model, "messages": messages, "seed": seed, "temperature": temperature}
        body["max_tokens"] = max_tokens
        headers = {"Content-Type": "application/json"}
        if api_key := os.environ.get(self.api_key_env):
            headers["Authorization"] = f"Bearer {api_key}"
        url = f"{self.base_url}/chat/completions"
        request = urllib.request.Request(  # noqa: S310 - the URL is the user's own configured server
            url, data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        # Errors name the URL and never the request's headers (they hold the key); `from None` drops urllib's chain.
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload: Any = json.load(response)
        except urllib.error.HTTPError as exc:
            msg = f"OpenAI-compatible server at {url} answered HTTP {exc.code} {exc.reason}"
            raise ConnectionError(msg) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            raise ConnectionError(f"cannot reach the OpenAI-compatible server at {url}: {reason}") from None
        return str(payload["choices"][0]["message"]["content"] or "")
