"""Which sequence in the cache already holds the longest prefix of a prompt, so a new call can share its cells.

A stage's calls repeat long prompt heads (a system message, worked examples, a paraphrase template), interleaved:
the last call's prefix is rarely the best one. Cells are never freed while calls are live, so every prompt
decoded since the cache was last cleared can lend its prefix.
"""

from __future__ import annotations

Node = dict[int, tuple[int, "Node"]]  # token -> (first sequence that holds it at this position, the next level)


class PrefixIndex:
    """A token trie over the prompts whose cells are in the cache, each node naming a sequence that holds it."""

    def __init__(self) -> None:
        self.root: Node = {}

    def add(self, tokens: list[int], seq: int) -> None:
        """Record that `seq` holds `tokens` at positions 0..len-1 (nodes already there keep their first holder)."""
        node = self.root
        for token in tokens:
            entry = node.get(token)
            if entry is None:
                entry = node[token] = (seq, {})
            node = entry[1]

    def longest(self, tokens: list[int]) -> tuple[int, int]:
        """(a sequence holding the longest recorded prefix of `tokens`, its length); (-1, 0) when none."""
        node, seq, depth = self.root, -1, 0
        for token in tokens:
            entry = node.get(token)
            if entry is None:
                break
            seq, node = entry
            depth += 1
        return seq, depth

    def clear(self) -> None:
        """Forget every prefix (the cache was cleared)."""
        self.root = {}
