"""Do two stacks compute the same training step? Data, gradients and optimizer, compared.

A run's trajectory is chaotic: rounding that differs in the last bit between TensorFlow
builds grows into another run within a few hundred steps, so two stacks' runs of one seed
cannot be compared number by number. This checks the parts a training step is made of, each
on fixed inputs, in each stack's venv:

- data: the first BATCHES training batches of the demo's input pipeline (seed 0,
  deterministic), as hashes of each image and the ground-truth classes;
- gradients: the losses and every trainable variable's gradient, summed over 8 fixed val
  images, at a checkpoint of a trained run (the same weights restored in both stacks);
- optimizer: 300 steps of the OD API's momentum optimizer with its cosine schedule, in a
  tf.function, on a variable with a constant gradient.

Usage: python benchmarks/stack_parity.py RUN_DIR [--checkpoint ckpt-700]
           [--stacks tf221=.venv tf215=.venv-tf215] [--batches 300]
RUN_DIR is a finished demo run (its pipeline.config and checkpoint are read, not changed).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from determinism import REPO, cpu_name

# The part each venv runs: `python stack_parity.py --measure RUN_DIR CHECKPOINT BATCHES OUT`.


def measure(run_dir: Path, checkpoint: str, batches: int, out: Path) -> None:
    """Write this stack's data hashes, losses, gradients and optimizer trajectory to `out`."""
    import hashlib

    from tfod_sweep.compat import patch_od_api_inputs, prepare_tensorflow
    from tfod_sweep.tf_logging import import_tensorflow

    prepare_tensorflow()
    tf = import_tensorflow(verbose=False)
    patch_od_api_inputs()
    from object_detection import model_lib, model_lib_v2
    from object_detection.builders import optimizer_builder
    from object_detection.core import standard_fields as fields

    from tfod_sweep.training.experiment import seed_everything
    from tfod_sweep.training.model_setup import build_setup

    seed_everything(0, deterministic=True)
    setup = build_setup(run_dir / "pipeline.config", Path(tempfile.mkdtemp()))
    result: dict[str, np.ndarray] = {}

    images, classes = [], []
    train = iter(setup.train_dataset)
    for _ in range(batches):
        features, labels = next(train)
        pixels = features[fields.InputDataFields.image].numpy()
        counts = labels[fields.InputDataFields.num_groundtruth_boxes].numpy()
        one_hot = labels[fields.InputDataFields.groundtruth_classes].numpy()
        for image, count, hot in zip(pixels, counts, one_hot, strict=True):
            images.append(hashlib.sha256(np.round(image, 4).tobytes()).hexdigest())
            classes.append(",".join(str(c) for c in hot[:count].argmax(-1)))
    result["data:images"], result["data:classes"] = np.array(images), np.array(classes)

    model = setup.model
    model._is_training = True  # noqa: SLF001 (as model_lib_v2's train step sets it)

    def losses_and_gradients(features, labels):  # type: ignore[no-untyped-def]
        labels = model_lib.unstack_batch(labels, unpad_groundtruth_tensors=True)
        with tf.GradientTape() as tape:
            losses, _ = model_lib_v2._compute_losses_and_predictions_dicts(  # noqa: SLF001
                model, features, labels, training_step=setup.global_step,
                add_regularization_loss=True)
        return losses, tape.gradient(losses["Loss/total_loss"], model.trainable_variables)

    val = iter(setup.eval_dataset)
    fixed = [next(val) for _ in range(8)]
    losses_and_gradients(*fixed[0])  # builds the variables the checkpoint restores into
    tf.train.Checkpoint(model=model).restore(str(run_dir / checkpoint)).expect_partial()
    for features, labels in fixed:
        losses, gradients = losses_and_gradients(features, labels)
        for name, value in losses.items():
            key = f"loss:{name}"
            result[key] = result.get(key, 0.0) + value.numpy()
        for variable, gradient in zip(model.trainable_variables, gradients, strict=True):
            key = f"gradient:{variable.name}"
            result[key] = result.get(key, 0.0) + gradient.numpy()

    step = tf.Variable(0, trainable=False, dtype=tf.int64)
    optimizer, _ = optimizer_builder.build(setup.configs["train_config"].optimizer,
                                           global_step=step)
    weight = tf.Variable([0.0])

    @tf.function(autograph=False)
    def update() -> None:
        optimizer.apply_gradients([(tf.constant([1.0]), weight)])
        step.assign_add(1)

    trajectory = []
    for _ in range(300):
        update()
        trajectory.append(float(weight.numpy()[0]))
    result["optimizer:trajectory"] = np.array(trajectory)
    np.savez(out, **result)


def compare(first: dict[str, np.ndarray], second: dict[str, np.ndarray]) -> list[str]:
    """One line per part: equal, or how far apart."""
    lines = []
    same_images = float(np.mean(first["data:images"] == second["data:images"]))
    same_classes = float(np.mean(first["data:classes"] == second["data:classes"]))
    lines.append(f"data: {len(first['data:images'])} training images, {same_images:.1%} "
                 f"bitwise equal (to 4 decimals), {same_classes:.1%} with equal classes")
    for key in sorted(k for k in first if k.startswith("loss:")):
        lines.append(f"{key[5:]}: {float(first[key]) / 8:.6f} vs {float(second[key]) / 8:.6f}")
    keys = sorted(k for k in first if k.startswith("gradient:"))
    a = np.concatenate([first[k].ravel() for k in keys]).astype(np.float64)
    b = np.concatenate([second[k].ravel() for k in keys]).astype(np.float64)
    worst = max((float(np.linalg.norm(first[k] - second[k]) / np.linalg.norm(second[k])), k)
                for k in keys if np.linalg.norm(second[k]) > 1e-4)
    lines.append(f"gradients of {len(keys)} variables: |a - b| / |b| = "
                 f"{np.linalg.norm(a - b) / np.linalg.norm(b):.1e} over all, worst "
                 f"{worst[0]:.1e} ({worst[1][9:]}; variables with |gradient| > 1e-4)")
    gap = float(np.max(np.abs(first["optimizer:trajectory"] - second["optimizer:trajectory"])))
    lines.append(f"optimizer: 300 steps, largest difference {gap:.1e} "
                 f"(weight {first['optimizer:trajectory'][-1]:.4f} at the end)")
    return lines


def main() -> None:
    if sys.argv[1:2] == ["--measure"]:
        run_dir, checkpoint, batches, out = sys.argv[2:6]
        measure(Path(run_dir), checkpoint, int(batches), Path(out))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--checkpoint", default="ckpt-700")
    parser.add_argument("--stacks", nargs=2, default=["tf221=.venv", "tf215=.venv-tf215"])
    parser.add_argument("--batches", type=int, default=300)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for item in args.stacks:
            name, venv = item.split("=", 1)
            out = Path(tmp) / f"{name}.npz"
            subprocess.run([str(REPO / venv / "bin" / "python"), __file__, "--measure",
                            str(args.run_dir.resolve()), args.checkpoint, str(args.batches),
                            str(out)], cwd=REPO, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            with np.load(out) as saved:
                results.append({key: saved[key] for key in saved.files})
    names = " vs ".join(item.split("=", 1)[0] for item in args.stacks)
    print(f"{names} on {cpu_name()}, {args.run_dir.name}/{args.checkpoint}")
    for line in compare(*results):
        print(f"- {line}")


if __name__ == "__main__":
    main()
