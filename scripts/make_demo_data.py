"""Derive the demo data set from the public-domain NIST excavator work orders.

Usage: python scripts/make_demo_data.py PATH/TO/excavators-cleaned.csv [OUT.csv]
(the input ships in the PyPI package nist-nestor==0.4.4 under nestor/datasets/; OUT defaults to
resources/demo/excavator_work_orders.csv). Keeps rows whose MajorSystem is exactly one of three systems
(NA and combinations such as "Bucket_Hydraulic System" are dropped), collapses whitespace, drops duplicate
texts and draws a fixed sample of 120 per label with numpy seed 0. See resources/demo/SOURCE.md.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

SYSTEMS = {"Hydraulic System": "hydraulic", "Bucket": "bucket", "Engine": "engine"}
PER_LABEL = 120
SEED = 0
OUT = Path(__file__).resolve().parents[1] / "resources" / "demo" / "excavator_work_orders.csv"


def sample_work_orders(rows: list[dict[str, str]]) -> list[tuple[str, str]]:
    """(text, label) rows: single-system work orders, deduplicated, PER_LABEL per label."""
    seen: set[str] = set()
    by_label: dict[str, list[str]] = {label: [] for label in SYSTEMS.values()}
    for row in rows:
        text = " ".join(row["OriginalShorttext"].split())
        if row["MajorSystem"] in SYSTEMS and text and text not in seen:
            seen.add(text)
            by_label[SYSTEMS[row["MajorSystem"]]].append(text)
    rng = np.random.default_rng(SEED)
    out: list[tuple[str, str]] = []
    for label in sorted(by_label):
        texts = by_label[label]
        for i in sorted(rng.choice(len(texts), size=PER_LABEL, replace=False)):
            out.append((texts[i], label))
    return out


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        print(__doc__, file=sys.stderr)
        return 2
    out_path = Path(argv[1]) if len(argv) == 2 else OUT
    with open(argv[0], encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    sample = sample_work_orders(rows)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # Plain UTF-8 with "\r\n" rows (the csv module's default); every text is ASCII upper-case shop text.
    with out_path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        writer.writerows(sample)
    print(f"wrote {len(sample)} rows to {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
