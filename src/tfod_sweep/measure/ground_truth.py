"""One val image's ground truth, as the run's eval and the export's scoring both see it (TF-free).

Its own module so that the export's scoring reads it without TensorFlow, while the
TensorFlow reader (`val_images`) fills it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GroundTruthImage:
    """One val image's id, original size and boxes (normalized ymin, xmin, ymax, xmax)."""

    image_id: int | str
    height: int
    width: int
    boxes: np.ndarray
    #: Label-map ids (1-based), one per box.
    category_ids: np.ndarray
