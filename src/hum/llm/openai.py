"""Any OpenAI-compatible chat server (llama.cpp server, vLLM, Ollama) over plain HTTP."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import PureWindowsPath
from typing import Any

from hum.io import dumps
from hum.llm.base import ChatRequest

PREFIX = "openai:"
# What identifies the served weights in a `GET /models` entry. Left out on purpose: `created` (llama.cpp answers the
# time of the request), vLLM's `permission` (fresh ids each time), llama.cpp's meta `n_ctx` and vLLM's `max_model_len`
# (server settings, not the model), llama.cpp router's `status`/`path` (machine paths), `aliases`, `tags`, `object`.
SERVED_FIELDS = ("id", "owned_by", "root", "parent")  # vLLM: `root` is the model an alias or adapter serves
SERVED_META = ("vocab_type", "n_vocab", "n_ctx_train", "n_embd", "n_params", "size", "ftype")  # llama.cpp, from the GGUF
PATH_FIELDS = ("id", "root", "parent")  # may be the path the server loaded the model from


class OpenAIChat:
    """POSTs to `{base_url}/chat/completions`; the fingerprint is the configured name plus what the server serves.

    The fingerprint is `openai:` + canonical JSON `{"model": <configured name>, "served": <stable fields of the
    `GET {base_url}/models` entry>}`, fetched once, at first use. The URL is not in it: the same model served
    elsewhere keeps its recorded replies, and another model behind the same URL does not reuse them.

    The API key is read from the environment variable named `api_key_env` at each request and kept nowhere else:
    the config (and so params.yaml, manifests and fingerprints) holds only the variable's name.

    `concurrency` bounds the requests `chat_batch` keeps in flight: a server answers several at once (vLLM batches
    them, llama.cpp's `--parallel` slots) while one client waits on each reply in turn. It is not in the fingerprint:
    how many requests travel at once changes no reply.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key_env: str = "OPENAI_API_KEY",
        timeout: float = 120.0,
        concurrency: int = 4,
    ) -> None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError(f"model.concurrency: the requests in flight at once, an integer >= 1; got {concurrency!r}")
        self.base_url, self.model, self.api_key_env, self.timeout = base_url.rstrip("/"), model, api_key_env, timeout
        self.concurrency = concurrency
        self._fingerprint: str | None = None

    @property
    def fingerprint(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = served_fingerprint(self.model, self.served())
        return self._fingerprint

    @staticmethod
    def matches_config(fingerprint: str, *, model: str, **_: Any) -> bool:
        """Whether a recorded fingerprint could be this config's (same configured name): see `hum.llm.replies.LazyChat`."""
        return configured_name(fingerprint) == model

    def served(self) -> dict[str, Any]:
        """The stable fields of the served model: the `/models` entry named like the config, or the only one listed."""
        url = f"{self.base_url}/models"
        entries = self._request(url).get("data")
        if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("id"), str) for e in entries):
            raise ConnectionError(f"OpenAI-compatible server at {url} answered no model list (`data` of `{{id, ...}}`)")
        named = [e for e in entries if self.model in (e["id"], portable(e["id"]))]
        chosen = named or (entries if len(entries) == 1 else [])
        if not chosen:
            listed = ", ".join(repr(e["id"]) for e in entries) or "none"
            msg = f"OpenAI-compatible server at {url} serves no model {self.model!r} (it lists: {listed}); set model.model"
            raise LookupError(msg)
        return stable_fields(chosen[0])

    def chat(self, messages: list[dict[str, str]], *, seed: int, temperature: float, max_tokens: int) -> str:
        body = {"model": self.model, "messages": messages, "seed": seed, "temperature": temperature}
        body["max_tokens"] = max_tokens
        payload = self._request(f"{self.base_url}/chat/completions", body)
        return str(payload["choices"][0]["message"]["content"] or "")

    def chat_batch(self, requests: Sequence[ChatRequest]) -> list[str]:
        """Each request sent by `chat` as it is, at most `concurrency` at a time; the replies in request order.

        On a failure no further request starts; the ones in flight are waited for (none is left running against the
        server, not even on Ctrl-C), then the error of the earliest failed request is raised as `chat` raised it.
        """
        if len(requests) <= 1:  # no pool started for one call
            return [self.chat(r.messages, seed=r.seed, temperature=r.temperature, max_tokens=r.max_tokens) for r in requests]
        pool = ThreadPoolExecutor(min(self.concurrency, len(requests)), thread_name_prefix="hum-openai")
        try:
            calls = [
                pool.submit(self.chat, r.messages, seed=r.seed, temperature=r.temperature, max_tokens=r.max_tokens)
                for r in requests
            ]
            wait(calls, return_when=FIRST_EXCEPTION)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if failed := next((e for c in calls if not c.cancelled() and (e := c.exception()) is not None), None):
            raise failed
        return [c.result() for c in calls]

    def _request(self, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """GET (no body) or POST a JSON body; errors name the URL and never the headers (they hold the key)."""
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if api_key := os.environ.get(self.api_key_env):
            headers["Authorization"] = f"Bearer {api_key}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is the user's own configured server
            url, data=data, headers=headers, method="GET" if body is None else "POST"
        )
        # `from None` drops urllib's chain, whose frames hold the request and so the key.
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload: Any = json.load(response)
        except urllib.error.HTTPError as exc:
            raise ConnectionError(f"OpenAI-compatible server at {url} answered HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            raise ConnectionError(f"cannot reach the OpenAI-compatible server at {url}: {reason}") from None
        except ValueError:  # not JSON, or not UTF-8
            raise ConnectionError(f"OpenAI-compatible server at {url} answered something that is not JSON") from None
        if not isinstance(payload, dict):
            raise ConnectionError(f"OpenAI-compatible server at {url} answered JSON that is not an object")
        return payload


def served_fingerprint(model: str, served: dict[str, Any]) -> str:
    """`openai:` + canonical JSON of the configured name and the served model: readable, and equal for equal content."""
    return PREFIX + dumps({"model": model, "served": served})


def configured_name(fingerprint: str) -> str | None:
    """The configured model name inside a server model's fingerprint; None for any other fingerprint."""
    if not fingerprint.startswith(PREFIX + "{"):
        return None
    try:
        parsed = json.loads(fingerprint.removeprefix(PREFIX))
    except ValueError:
        return None
    name = parsed.get("model") if isinstance(parsed, dict) else None
    return name if isinstance(name, str) else None


def stable_fields(entry: dict[str, Any]) -> dict[str, Any]:
    """The fields of a `/models` entry that name the weights and stay put across server restarts and machines."""
    fields = {k: entry[k] for k in SERVED_FIELDS if entry.get(k) is not None}
    for key in PATH_FIELDS:
        if isinstance(fields.get(key), str):
            fields[key] = portable(fields[key])
    meta = entry.get("meta")
    if isinstance(meta, dict) and (kept := {k: meta[k] for k in SERVED_META if meta.get(k) is not None}):
        fields["meta"] = kept
    return fields


def portable(name: str) -> str:
    """A served name without the machine's folders: llama.cpp and vLLM may list a model by the path they loaded it from.

    An absolute path or a `.gguf` file keeps its file name only; names like `Qwen/Qwen2.5-1.5B-Instruct` stay whole.
    """
    path = PureWindowsPath(name)  # splits at `/` and `\` alike
    if name.startswith("/") or path.is_absolute() or name.lower().endswith(".gguf"):
        return path.name
    return name
