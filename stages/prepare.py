"""DVC stage `prepare`: seed files -> normalised, validated records per dataset."""

from __future__ import annotations

from pathlib import Path

from hum.io import atomic_dir, write_json
from hum.prepare import BadDatasetsError, prepare_all
from hum.provenance import stage_params, write_manifest

OUT = Path("data/prepared")


def main() -> None:
    """Prepare every configured dataset into one folder, swapped in only if all succeed."""
    with stage_params("prepare") as params:
        used = {"seed": params["seed"], "prepare": params["prepare"], "datasets": params["datasets"]}
        with atomic_dir(OUT) as out:
            try:
                counts = prepare_all(params["datasets"], params["prepare"], params["seed"], out)
            except BadDatasetsError as exc:
                raise SystemExit(str(exc)) from None
            write_manifest(out, "prepare", used, counts)
        write_json("metrics/prepare.json", counts)
    totals = {k: sum(c[k] for c in counts.values()) for k in ("train", "eval", "decontaminated", "quarantined")}
    kept, held, dropped, bad = totals.values()
    print(f"[prepare] {len(counts)} datasets: {kept} train, {held} eval aside, {dropped} dropped as in eval, {bad} quarantined")


if __name__ == "__main__":
    main()
