"""Many chat calls decoded together in one llama.cpp context, each reply bit-for-bit the one it gets alone.

Batching is only worth having if it changes no reply: recorded replies, resumption and "same seed, same bytes" all
assume a reply depends on its own request. On llama.cpp's CPU backend every op but attention computes each token's
row on its own, so a token's logits depend on the batch only through attention, and three settings remove that:

- flash attention on, ubatches under 64 tokens: its kernel for 64 or more queries sums in tiles, in another order;
- single-token ubatches on one thread: for one query its kernel splits the cache between threads and merges partial
  sums; with one thread there is one part, which equals the plain sum bit for bit;
- a sequence's cache cells in position order, since attention sums over cells in cell order: cells are only ever
  appended, and freed all at once when no sequence is live. Cells of other sequences are masked out and skipped.

A call shares the longest prefix of its prompt that any prompt decoded since the last clear holds (a system
message, worked examples, a template; `hum.llm.prefixes`): its cells are computed once and shared, which the same
argument shows changes nothing either. The head the queued calls share is kept across clears. `tests/hum/test_llm_batching.py`
checks replies against `create_chat_completion` itself.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hum.llm.completion import Completion, Reply
from hum.llm.prefixes import PrefixIndex

if TYPE_CHECKING:
    from llama_cpp import Llama

UBATCH = 32  # tokens per ubatch: under 64, so flash attention never takes its tiled path (see above)
HEAD = 0  # the sequence that owns the shared prefix's cells
WAIT_FOR = 16  # prompt tokens a call must gain by waiting one step for a prompt being decoded to share it


@dataclass
class _Live:
    """A call being decoded: its sequence, the prompt tokens still to evaluate, where it stands and its reply."""

    seq: int
    todo: list[int]
    pos: int
    sampler: Any
    reply: Reply
    future: Future[str]


def common_prefix(a: list[int], b: list[int]) -> int:
    """Length of the longest shared prefix."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class Batcher:
    """Decodes every submitted call with the others in flight, `width` at a time; calls come from any thread.

    A driver thread runs while there is work and ends when there is none, so no thread outlives the calls.
    """

    def __init__(self, llm: Llama, *, width: int, n_ctx: int, threads: int) -> None:
        import llama_cpp as lc  # noqa: PLC0415 - heavy import, only when a model is really used

        self.lc, self.llm, self.width = lc, llm, width
        self.n_seq = lc.llama_max_parallel_sequences()  # ids are not reused until the cells are freed: take them all
        params = lc.llama_context_default_params()
        params.n_ctx, params.n_batch, params.n_ubatch = n_ctx * width, max(512, width), UBATCH
        params.n_seq_max, params.kv_unified, params.flash_attn_type = self.n_seq, True, lc.LLAMA_FLASH_ATTN_TYPE_ENABLED
        params.n_threads, params.n_threads_batch, params.no_perf = 1, threads, True
        self.ctx = lc.llama_init_from_model(llm._model.model, params)  # noqa: SLF001 - the loaded weights, shared
        if not self.ctx:
            raise RuntimeError(f"llama.cpp could not make a context of {n_ctx * width} tokens")
        self.cells = lc.llama_n_ctx(self.ctx)
        self.memory = lc.llama_get_memory(self.ctx)
        self.batch = lc.llama_batch_init(params.n_batch, 0, 1)
        self.n_batch = params.n_batch
        self.head: list[int] = []  # the prefix held by HEAD, at positions 0..len-1, in the lowest cells
        self.prefixes = PrefixIndex()  # the prompts in the cache, whose prefixes new calls share
        self.starting = PrefixIndex()  # prompts of calls started since the last step: their cells are not there yet
        self.used = 0  # cells taken since the last clear, the head's included
        self.next_seq = HEAD + 1
        self.generated = 0  # reply tokens so far (as the library counts `completion_tokens`), for throughput figures
        self.queue: deque[tuple[Completion, Future[str]]] = deque()
        self.live: list[_Live] = []
        self.cond = threading.Condition()
        self.driver: threading.Thread | None = None

    def submit(self, completion: Completion) -> Future[str]:
        """Queue a call; its future holds the reply (or the error that stopped the engine)."""
        future: Future[str] = Future()
        with self.cond:
            self.queue.append((completion, future))
            if self.driver is None:
                self.driver = threading.Thread(target=self._drive, name="hum-llama", daemon=True)
                self.driver.start()
        return future

    def _drive(self) -> None:
        try:
            while True:
                with self.cond:
                    if not self.queue and not self.live:
                        self.driver = None
                        return
                    self._admit()
                self._step()
        except BaseException as exc:  # noqa: BLE001 - handed to every caller waiting, whose thread raises it
            with self.cond:
                failed = [live.future for live in self.live] + [future for _, future in self.queue]
                self.live.clear()
                self.queue.clear()
                self.driver = None
            self._clear()
            for future in failed:
                future.set_exception(exc)

    def _admit(self) -> None:
        """Start queued calls, in order, while there is room; with none live and no room, clear the cache first.

        A call that would share more with a prompt started but not yet decoded waits one step for its cells.
        """
        while self.queue and len(self.live) < self.width:
            completion, future = self.queue[0]
            if self.starting.longest(completion.prompt)[1] > self._shared(completion)[1] + WAIT_FOR:
                return
            if not self._fits(completion):
                if self.live:
                    return
                self._restart([c for c, _ in self.queue])
                if not self._fits(completion):  # the shared head leaves too little room: drop it
                    self._restart([])
            self.queue.popleft()
            self._start(completion, future)

    def _shared(self, completion: Completion) -> tuple[int, int]:
        """(sequence, length) of the longest cached prefix the call can take; at least its last token is its own."""
        holder, length = self.prefixes.longest(completion.prompt)
        return holder, min(length, len(completion.prompt) - 1)

    def _fits(self, completion: Completion) -> bool:
        """A free sequence id, and cells for the rest of its prompt and its whole token budget."""
        need = len(completion.prompt) - self._shared(completion)[1] + completion.max_tokens
        return bool(self.next_seq < self.n_seq and self.used + need <= self.cells)

    def _start(self, completion: Completion, future: Future[str]) -> None:
        seq, self.next_seq = self.next_seq, self.next_seq + 1
        holder, shared = self._shared(completion)
        if shared:
            self.lc.llama_memory_seq_cp(self.memory, holder, seq, 0, shared)
        self.llm.set_seed(completion.seed)  # the library's own sampler chain, seeded as create_chat_completion seeds it
        sampler = self.llm._init_sampler(**completion.sampling)  # noqa: SLF001
        self.used += len(completion.prompt) - shared + completion.max_tokens  # reserved: cells are never reused
        self.starting.add(completion.prompt, seq)
        self.live.append(_Live(seq, completion.prompt[shared:], shared, sampler, Reply(completion, self.llm), future))

    def _restart(self, queued: list[Completion]) -> None:
        """Free every cell but the head the queued calls share, computed (its new part) into the lowest free cells."""
        prompts = [c.prompt for c in queued]
        head = prompts[0][:-1] if prompts else []
        for prompt in prompts[1:]:
            head = head[: common_prefix(head, prompt)]
        keep = common_prefix(self.head, head)
        for seq in range(HEAD + 1, self.n_seq):
            self.lc.llama_memory_seq_rm(self.memory, seq, -1, -1)
        self.lc.llama_memory_seq_rm(self.memory, HEAD, keep, -1)
        self.head, self.used, self.next_seq = head, len(head), HEAD + 1
        for _ in self._decode([(token, pos, HEAD, False) for pos, token in enumerate(head) if pos >= keep]):
            pass
        self.prefixes.clear()
        self.prefixes.add(head, HEAD)

    def _clear(self) -> None:
        self.lc.llama_memory_clear(self.memory, True)  # noqa: FBT003 - positional-only in the bindings
        self.head, self.used, self.next_seq = [], 0, HEAD + 1
        self.prefixes.clear()
        self.starting.clear()

    def _step(self) -> None:
        """One decode over every live call: the rest of a new call's prompt, or each running call's last token."""
        items: list[tuple[int, int, int, bool]] = []
        owners: list[_Live | None] = []
        prompted = [live for live in self.live if live.todo]
        for live in self.live:
            tokens = live.todo or [live.reply.tokens[-1]]
            items += [(token, live.pos + i, live.seq, i == len(tokens) - 1) for i, token in enumerate(tokens)]
            owners += [None] * (len(tokens) - 1) + [live]
            live.pos += len(tokens)
            live.todo = []
        for start, picked in self._decode(items):
            for index, owner in enumerate(owners[start : start + picked]):
                if owner is not None and owner.reply.feed(self.lc.llama_sampler_sample(owner.sampler.sampler, self.ctx, index)):
                    self._finish(owner)
        for live in prompted:  # their prompts' cells now exist: later calls may share them
            self.prefixes.add(live.reply.completion.prompt, live.seq)
        self.starting.clear()

    def _decode(self, items: list[tuple[int, int, int, bool]]) -> Iterator[tuple[int, int]]:
        """Decode (token, position, sequence, wants logits) items, n_batch at a time; (start, count) after each call.

        A generator, so that the caller samples a call's logits before the next call overwrites them.
        """
        for start in range(0, len(items), self.n_batch):
            chunk = items[start : start + self.n_batch]
            for i, (token, pos, seq, logits) in enumerate(chunk):
                self.batch.token[i], self.batch.pos[i], self.batch.logits[i] = token, pos, logits
                self.batch.n_seq_id[i], self.batch.seq_id[i][0] = 1, seq
            self.batch.n_tokens = len(chunk)
            status = self.lc.llama_decode(self.ctx, self.batch)
            if status != 0:
                raise RuntimeError(f"llama_decode failed with status {status} ({self.used} of {self.cells} cells in use)")
            yield start, len(chunk)

    def _finish(self, live: _Live) -> None:
        live.sampler.close()
        self.generated += len(live.reply.tokens)
        with self.cond:
            self.live.remove(live)
        live.future.set_result(live.reply.result())
