"""The bar a tuned model must clear: a keyword model a user's IT staff could train in a second.

TF-IDF over character 2-4-grams and words, then logistic regression (scikit-learn: the standard tool for
it, so the bar is the one anybody would set up). Trained on the run's training examples, its strength
chosen on validation, scored once on the held-out test examples — the same split as the tuned model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

STRENGTHS = (1.0, 10.0, 100.0)  # LogisticRegression's C


@dataclass(frozen=True)
class KeywordResult:
    val_accuracy: float
    test_accuracy: float | None  # None without a test split
    c: float
    seconds: float


def _vectorize(train_texts, other_texts):
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer

    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=1)
    words = TfidfVectorizer(analyzer="word", sublinear_tf=True, min_df=1, token_pattern=r"(?u)\b\w+\b")
    x_train = sp.hstack([chars.fit_transform(train_texts), words.fit_transform(train_texts)]).tocsr()
    others = [sp.hstack([chars.transform(t), words.transform(t)]).tocsr() if t else None for t in other_texts]
    return x_train, others


@threadpool_limits.wrap(limits=1, user_api="blas")  # small fits: see app/engine/tuning/head.py
def keyword_baseline(train, val, test=()) -> KeywordResult:
    """Train on ``train``, pick C on ``val``, score ``test`` (examples with .text and .label)."""
    from sklearn.linear_model import LogisticRegression

    t0 = time.perf_counter()
    x_train, (x_val, x_test) = _vectorize(
        [e.text for e in train], [[e.text for e in val], [e.text for e in test]]
    )
    y_train = np.array([e.label for e in train])
    y_val = np.array([e.label for e in val])
    best = None
    for c in STRENGTHS:
        model = LogisticRegression(C=c, max_iter=2000).fit(x_train, y_train)
        acc = float((model.predict(x_val) == y_val).mean()) if len(val) else 0.0
        if best is None or acc > best[0]:
            best = (acc, c, model)
    val_acc, c, model = best
    test_acc = None
    if len(test):
        test_acc = float((model.predict(x_test) == np.array([e.label for e in test])).mean())
    return KeywordResult(val_acc, test_acc, c, time.perf_counter() - t0)
