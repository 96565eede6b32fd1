"""`python -m sweep.export`: a trained run as files you can ship, each measured.

One module per idea:

* `formats`: the format names and parsing `--formats` (TF-free);
* `locate`: a run dir (or a trial's dir) -> its checkpoint, pipeline.config, metrics.json;
  a study's trial -> its run dir (TF-free);
* `staging`: the output folder is written beside `--out` and renamed at the end (TF-free);
* `record`: export.json and the printed table (TF-free);
* `scoring`: a detector's boxes -> COCO detections -> the 12 COCO metrics (TF-free);
* `checkpoint`: reading every tensor of the checkpoint before exporting anything;
* `saved_model`, `tflite`: one format family each: export, then load the artifact itself;
* `run`: the orchestration (TensorFlow is imported only from here on).

The stopwatch and the val-image reader are `tfod_sweep.measure`'s: the run uses them too.
"""

from __future__ import annotations

from tfod_sweep.export.formats import FORMATS, parse_formats

__all__ = ["FORMATS", "parse_formats"]
