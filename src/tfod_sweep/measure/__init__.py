"""Measuring a trained model the same way in the run and in the export.

The run times its model after training (`training.inference_cost`), and
`python -m sweep.export` times and scores each exported artifact; both must read the
same images and use the same clock, or their numbers would not compare. So the pieces
live here, below both, and the trainer never imports the exporter:

* `stopwatch`: median / p90 ms per call after untimed warm-up calls (TF-free);
* `ground_truth`: one val image's boxes and ids (TF-free);
* `val_images`: the val (or train) images and ground truth, read as the run's eval reads
  them (TensorFlow and the OD API).
"""
