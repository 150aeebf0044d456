"""Splitting examples into train, validation and a held-out test, without a duplicate crossing splits.

The one definition of the split: the tuner, the report and the app rebuild it from the run's config
(``TuneConfig.split``), never by their own rules.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from app.engine.data.examples import Example
from app.engine.errors import GenbaError


@dataclass(frozen=True)
class Split:
    """Train / validation / held-out test. Validation picks checkpoints and settings; test is read once."""

    train: tuple[Example, ...]
    val: tuple[Example, ...]
    test: tuple[Example, ...] = ()
    duplicates_removed: int = 0  # repeated (text, label) rows dropped before splitting
    test_note_en: str = ""  # why the test split is small or missing, if it is
    test_note_ja: str = ""


def _part_sizes(sizes: dict[str, int], fraction: float, cap: int | None, keep: int) -> dict[str, int]:
    """Examples per label for one held-out part: proportional, >= 1 and <= n - ``keep`` each, capped."""
    total = sum(sizes.values())
    scale = min(1.0, cap / (total * fraction)) if cap is not None and total else 1.0
    quota = {label: n * fraction * scale for label, n in sizes.items()}
    n_part = {label: min(max(round(quota[label]), 1), n - keep) for label, n in sizes.items()}
    # Rounding and the one-per-label floor can overshoot the cap: take back from the most rounded-up
    # labels. If the cap is below the number of labels, one per label wins over the cap.
    while cap is not None and sum(n_part.values()) > cap:
        over = [label for label, k in n_part.items() if k > 1]
        if not over:
            break
        n_part[max(over, key=lambda label: (n_part[label] - quota[label], label))] -= 1
    return n_part


def normalized_text(text: str) -> str:
    """The text as duplicates are recognised: NFKC, case-folded, white space collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _groups(examples: list[Example]) -> tuple[dict[str, list[list[int]]], int]:
    """Examples grouped by normalised text (same text never on two sides), filed under their first label.

    Rows repeating an earlier row's text *and* label are dropped (counted); the same text under another
    label stays, in the same group, so the split cannot put it on both sides.
    """
    seen: set[tuple[str, str]] = set()
    group_of: dict[str, list[int]] = {}
    by_label: dict[str, list[list[int]]] = {}
    dropped = 0
    for i, e in enumerate(examples):
        key = normalized_text(e.text)
        if (key, e.label) in seen:
            dropped += 1
            continue
        seen.add((key, e.label))
        if key in group_of:
            group_of[key].append(i)
        else:
            group_of[key] = [i]
            by_label.setdefault(e.label, []).append(group_of[key])
    return by_label, dropped


MIN_TEST_EXAMPLES = 20  # below this a test accuracy moves by 5 points per example: say so


def split_examples(
    examples: Iterable[Example],
    *,
    val_fraction: float = 0.2,
    test_fraction: float = 0.0,
    seed: int = 0,
    max_val: int | None = None,
    max_test: int | None = None,
) -> Split:
    """Stratified, seeded split into train, validation and (``test_fraction`` > 0) a held-out test part.

    Identical texts are grouped so none sits on two sides, and repeats are dropped. Per label: with three
    or more texts each part gets at least one; with two, train and validation; with one, train. All parts
    keep the input order.
    """
    if not 0.0 < val_fraction < 1.0:
        raise GenbaError(
            "The validation share must be between 0 and 1.",
            "検証データの割合は 0 から 1 の間にしてください。",
            field="val_fraction",
        )
    if not 0.0 <= test_fraction < 1.0 or val_fraction + test_fraction >= 1.0:
        raise GenbaError(
            "The test share must be at least 0 and leave room for training examples.",
            "テスト用データの割合は 0 以上で、学習用データが残るようにしてください。",
            field="test_fraction",
        )
    for name, cap in (("max_val", max_val), ("max_test", max_test)):
        if cap is not None and cap < 1:
            raise GenbaError(
                "The size limit of a held-out part must be at least 1.",
                "確認用データの上限は 1 以上にしてください。",
                field=name,
            )
    examples = list(examples)
    by_label, dropped = _groups(examples)
    sizes = {label: len(groups) for label, groups in by_label.items()}
    testable = {label: n for label, n in sizes.items() if n >= 3}
    n_test = _part_sizes(testable, test_fraction, max_test, keep=2) if test_fraction > 0 else {}
    # Validation comes from what test leaves, at its share of the whole; every label keeps one for training.
    left = {label: n - n_test.get(label, 0) for label, n in sizes.items()}
    valid = {label: n for label, n in left.items() if n >= 2}
    n_val = _part_sizes(valid, val_fraction / (1 - test_fraction), max_val, keep=1)
    rng = np.random.default_rng(seed)
    parts: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    for label in sorted(by_label):
        groups = by_label[label]
        order = [groups[j] for j in rng.permutation(len(groups))]
        k_test, k_val = n_test.get(label, 0), n_val.get(label, 0)
        for j, group in enumerate(order):
            part = "test" if j < k_test else "val" if j < k_test + k_val else "train"
            parts[part] += group
    train, val, test = (tuple(examples[i] for i in sorted(parts[p])) for p in ("train", "val", "test"))
    note_en = note_ja = ""
    if test_fraction > 0:
        missing = sorted(set(sizes) - {e.label for e in test})
        if len(test) < MIN_TEST_EXAMPLES:
            note_en = (
                f"Only {len(test)} examples could be held out for the final test: its accuracy is rough. "
                "Add more examples for a reliable figure."
            )
            note_ja = (
                f"最終確認用に取り分けられたデータは {len(test)} 件だけのため、正解率は目安です。"
                "確かな数字にはデータを増やしてください。"
            )
        elif missing:
            note_en = f"Labels with fewer than 3 examples are not in the final test: {', '.join(missing)}."
            note_ja = f"3 件未満のラベルは最終確認に含まれていません: {', '.join(missing)}。"
    return Split(train, val, test, dropped, note_en, note_ja)
