"""A bounded memo for pure functions of strings met again and again (token counts, token hashes).

Emptied whole when full rather than evicting one by one: the next texts refill it with what they use, and the check
costs one comparison per miss, so memory stays flat in corpus size at no cost on a hit.
"""

from __future__ import annotations

from collections.abc import Callable


class Remembered(dict[str, int]):
    """`function(key)` for each key asked, computed when first met; emptied when `size` are held."""

    def __init__(self, function: Callable[[str], int], size: int) -> None:
        super().__init__()
        self.function, self.size = function, size

    def __missing__(self, key: str) -> int:
        if len(self) >= self.size:
            self.clear()
        found = self[key] = self.function(key)
        return found
