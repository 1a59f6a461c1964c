"""The classical baseline of ``footcoach benchmark expert-novice``: handcrafted IMU features
(``footcoach.analysis.imu_features``) + scikit-learn histogram gradient boosting.

scikit-learn is imported only when a model is fitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class BaselineSettings:
    """Histogram gradient boosting settings (shared by the classifier and the score regressor).

    Standard small-data values (min 5 samples per leaf for ~180 training recordings), not tuned
    on the benchmark's folds; no early stopping, so a fit is deterministic for a ``seed``."""

    max_iter: int = 300
    learning_rate: float = 0.05
    max_leaf_nodes: int = 15
    min_samples_leaf: int = 5
    l2_regularization: float = 1.0
    seed: int = 0


def baseline_fit_predict(x_train: np.ndarray, y_train: np.ndarray, s_train: np.ndarray,
                         x_test: np.ndarray, settings: BaselineSettings
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Fit the classifier on (x_train, y_train) and the score regressor on the scored rows;
    return predicted classes (m,) and scores (m,) for ``x_test`` (m, F)."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    kw: dict[str, Any] = dict(max_iter=settings.max_iter, learning_rate=settings.learning_rate,
                              max_leaf_nodes=settings.max_leaf_nodes,
                              min_samples_leaf=settings.min_samples_leaf,
                              l2_regularization=settings.l2_regularization,
                              early_stopping=False, random_state=settings.seed)
    clf = HistGradientBoostingClassifier(**kw).fit(x_train, y_train)
    ok = np.isfinite(s_train)
    reg = HistGradientBoostingRegressor(**kw).fit(x_train[ok], s_train[ok])
    return clf.predict(x_test).astype(int), np.clip(reg.predict(x_test), 1.0, 4.0)
