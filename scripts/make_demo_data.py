"""Derive the demo data set from the public-domain NIST excavator work orders.

Usage: python scripts/make_demo_data.py PATH/TO/excavators-cleaned.csv
(the file ships in the PyPI package nist-nestor==0.4.4 under nestor/datasets/).
Keeps rows whose MajorSystem is exactly one of three systems, drops duplicates, samples 120 per label.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

SYSTEMS = {"Hydraulic System": "hydraulic", "Bucket": "bucket", "Engine": "engine"}
PER_LABEL = 120
OUT = Path(__file__).resolve().parents[1] / "resources" / "demo" / "excavator_work_orders.csv"


def main(source: str) -> None:
    with open(source, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    seen: set[str] = set()
    by_label: dict[str, list[str]] = {label: [] for label in SYSTEMS.values()}
    for row in rows:
        text = " ".join(row["OriginalShorttext"].split())
        if row["MajorSystem"] in SYSTEMS and text and text not in seen:
            seen.add(text)
            by_label[SYSTEMS[row["MajorSystem"]]].append(text)
    rng = np.random.default_rng(0)
    out_rows = []
    for label in sorted(by_label):
        texts = by_label[label]
        for i in sorted(rng.choice(len(texts), size=PER_LABEL, replace=False)):
            out_rows.append((texts[i], label))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(out_rows)
    print(f"wrote {len(out_rows)} rows to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
