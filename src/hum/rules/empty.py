"""Empty-result rules: the answer when nothing in the text matches is a stated form (drawn from `forms`)."""

from __future__ import annotations

from hum.rules.base import Rule


class _Empty(Rule):
    family = "empty"
    rank = 80
    states_empty = True


class EmptyNone(_Empty):
    """A single word such as None."""

    id = "empty:none"


class EmptyNA(_Empty):
    """A not-applicable mark such as N/A."""

    id = "empty:na"


class EmptySentence(_Empty):
    """A short sentence saying nothing was found."""

    id = "empty:sentence"
