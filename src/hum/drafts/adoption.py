"""What an accepted draft becomes: an entry of the guideline file its dataset uses, reviewed by the person named."""

from __future__ import annotations

from pathlib import Path

from hum.drafts.checks import keeps_meaning
from hum.drafts.guidefile import write_entry
from hum.drafts.planning import guideline_home
from hum.guidelines import load_guidelines
from hum.io import Record
from hum.review import ReviewError

NEW_FILE = """\
# Guidelines for the {dataset} label set ({lang}), written by `hum review --kind guideline`.
# Entries with a `reviewed` field were drafted by an LLM (`hum guidelines draft`) from examples in the data and
# accepted, possibly edited, by the person named there; edit them like any human-written entry.
"""


def guideline_entry(draft: Record, decision: Record) -> Record:
    """The guideline entry of an accepted draft: the final definition and what still fits it, with who reviewed it.

    Paraphrases that no longer say what an edited definition says are left out.
    """
    definition = decision["text"]
    entry: Record = {"definition": definition}
    paraphrases = [p for p in draft["paraphrases"] if definition == draft["definition"] or keeps_meaning(p, definition)]
    fields = {"paraphrases": paraphrases, "include": draft.get("include"), "exclude": draft.get("exclude")}
    fields |= {"examples": draft["examples"], "negatives": draft["negatives"]}
    entry |= {k: v for k, v in fields.items() if v}
    entry["reviewed"] = {"by": decision["reviewer"], "at": decision["at"]}
    return entry


def adopt(draft: Record, decision: Record, folder: Path, labelset: list[str], min_coverage: float) -> tuple[Path, Record]:
    """Write an accepted draft into the guideline file its dataset uses (else `<dataset>.yaml`) atomically.

    Returns the file and the entry written. A label that has an entry there by now is refused (ReviewError).
    """
    guides = load_guidelines(folder)
    lang, label = draft["lang"], draft["label"]
    home = guideline_home(draft["dataset"], labelset, lang, guides, min_coverage)
    path = folder / f"{home.name if home else draft['dataset']}.yaml"
    if home is not None and home.entry(label) is not None:
        raise ReviewError(f"{label!r} has a guideline in {path} by now; reject or skip this draft")
    if home is None and path.exists():
        raise ReviewError(f"{path} is not a {lang} guideline file; move it away or write the entry by hand")
    entry = guideline_entry(draft, decision)
    note = f"{label}: drafted by {draft['model']} ({draft['id']}), reviewed by {decision['reviewer']}"
    write_entry(path, label, entry, note=note, new_file=NEW_FILE.format(dataset=draft["dataset"], lang=lang), lang=lang)
    return path, entry
