"""The training loop: model_lib_v2's train step, checkpoints, TensorBoard, evals in between."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import tensorflow as tf
from object_detection import model_lib_v2
from tqdm import tqdm

from tfod_sweep.errors import TrainingError
from tfod_sweep.phase_times import PhaseTimes
from tfod_sweep.training.evaluation import EvalResult, evaluate, make_eval_step
from tfod_sweep.training.model_setup import TrainingSetup

# Called after every evaluation with (step, result); may raise to stop training
# (the Optuna reporter raises optuna.TrialPruned).
EvalCallback = Callable[[int, EvalResult], None]


@dataclass
class LoopSettings:
    num_steps: int
    batch_size: int
    eval_every: int
    checkpoint_every: int
    max_eval_images: int | None = None
    show_progress: bool = True
    summary_every: int = 10
    #: Train steps per tf.function call; losses are read back once per call.
    steps_per_call: int = 1


@dataclass
class LoopOutcome:
    """What the loop did in this process (a resumed run counts only its own steps)."""

    start_step: int
    end_step: int
    train_seconds: float
    images_per_second: float | None
    last_losses: dict[str, float] = field(default_factory=dict)
    final_eval: EvalResult | None = None
    #: Seconds per phase: first_step (the first call, tracing included), train_steps,
    #: checkpoint, eval_detect, eval_score (the first eval also traces), and logging.
    phase_seconds: dict[str, float] = field(default_factory=dict)


def make_train_step(setup: TrainingSetup, autograph: bool = False) -> Callable:
    """model_lib_v2's train step as one tf.function that also advances the global step.

    Without AutoGraph the step traces in less than half the time (benchmarks/README.md)
    and gives the same losses bit for bit: the OD API's step has no Python control flow on
    tensors to convert, and if it had, tracing would raise rather than differ.
    """
    train_config = setup.configs["train_config"]
    clip = train_config.gradient_clipping_by_norm or None

    @tf.function(autograph=autograph)
    def train_step(iterator: tf.data.Iterator) -> dict[str, tf.Tensor]:
        features, labels = next(iterator)
        losses = model_lib_v2.eager_train_step(
            setup.model, features, labels, train_config.unpad_groundtruth_tensors,
            setup.optimizer, training_step=setup.global_step,
            add_regularization_loss=train_config.add_regularization_loss,
            clip_gradients_value=clip)
        setup.global_step.assign_add(1)
        return losses

    return train_step


def make_train_steps(setup: TrainingSetup) -> Callable[[tf.data.Iterator, int],
                                                       dict[str, tf.Tensor]]:
    """`count` train steps in one call, in a `tf.while_loop`, as model_main_tf2 runs them.

    The losses of the call's last step come back; reading them is the call's only host
    sync. The body is the one-step function's own Python, so each step computes what a
    one-step call computes (tests/training/test_steps_per_call.py checks the losses).
    """
    one_step = make_train_step(setup)
    keys: list[str] = []  # the loss names, in the order the body stacks them

    @tf.function(autograph=False)
    def stacked_steps(iterator: tf.data.Iterator, count: tf.Tensor) -> tf.Tensor:
        def body(i: tf.Tensor, _: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            losses = one_step.python_function(iterator)
            keys[:] = sorted(losses)
            return i + 1, tf.stack([losses[key] for key in keys])

        _, last = tf.while_loop(lambda i, _: i < count, body, (tf.constant(0), tf.zeros([0])),
                                shape_invariants=(tf.TensorShape([]), tf.TensorShape([None])))
        return last

    def train_steps(iterator: tf.data.Iterator, count: int) -> dict[str, tf.Tensor]:
        values = stacked_steps(iterator, tf.constant(count))
        return dict(zip(keys, tf.unstack(values), strict=True))

    return train_steps


def _steps_in_next_call(step: int, last_saved: int, settings: LoopSettings) -> int:
    """Up to steps_per_call, ending no later than the next eval, checkpoint or the end.

    Calls end on multiples of steps_per_call, so TensorBoard rows land where they would
    with one step per call.
    """
    ends = (
        step + settings.steps_per_call - step % settings.steps_per_call,
        step + settings.eval_every - step % settings.eval_every,
        last_saved + settings.checkpoint_every,
        settings.num_steps,
    )
    return min(ends) - step


def _check_finite(step: int, losses: dict[str, float]) -> None:
    if not all(math.isfinite(v) for v in losses.values()):
        shown = ", ".join(f"{k}={v:.4g}" for k, v in sorted(losses.items()))
        raise TrainingError(
            f"loss diverged at step {step}: {shown} (lower train.learning_rate or check the data)"
        )


def _write_scalars(writer: tf.summary.SummaryWriter, values: dict[str, float], step: int) -> None:
    with writer.as_default():
        for key, value in values.items():
            tf.summary.scalar(key, value, step=step)
    writer.flush()


def run_loop(setup: TrainingSetup, settings: LoopSettings, model_dir: Path,
             on_eval: EvalCallback) -> LoopOutcome:
    """Train from the current global step to `num_steps`, evaluating every `eval_every` steps.

    Checkpoints (`ckpt-N`) and TensorBoard events (`train/`, `eval/`) follow the OD API's
    layout, so `model_main_tf2`, `exporter_main_v2` and TensorBoard read them as is.
    """
    train_writer = tf.summary.create_file_writer(str(model_dir / "train"))
    eval_writer = tf.summary.create_file_writer(str(model_dir / "eval"))
    train_steps = make_train_steps(setup)
    eval_step = make_eval_step(setup.model)
    iterator = iter(setup.train_dataset)
    times = PhaseTimes()
    loop_started = time.perf_counter()
    start = int(setup.global_step.numpy())
    if start == 0:
        with times.phase("checkpoint"):
            setup.manager.save(checkpoint_number=0)
    learning_rate = setup.learning_rate
    step, last_saved, losses = start, start, {}
    first_call_end = start  # the first call traces; its steps are timed apart
    final_eval: EvalResult | None = None
    bar = tqdm(total=settings.num_steps, initial=start, desc="train", unit="step",
               disable=not settings.show_progress, dynamic_ncols=True)

    def images_per_second() -> float | None:
        timed = times.seconds.get("train_steps")
        return settings.batch_size * (step - first_call_end) / timed if timed else None

    try:
        while step < settings.num_steps:
            tic = time.perf_counter()
            count = _steps_in_next_call(step, last_saved, settings)
            losses = {k: float(v) for k, v in train_steps(iterator, count).items()}
            step = int(setup.global_step.numpy())
            # The first call of a process includes tracing the tf.function.
            first_call = first_call_end == start
            if first_call:
                first_call_end = step
            times.add("first_step" if first_call else "train_steps", time.perf_counter() - tic)
            # A NaN stays NaN through the weights, so the call's last losses show it.
            _check_finite(step, losses)
            with times.phase("logging"):
                if step % settings.summary_every == 0 or step == settings.num_steps:
                    lr = float(learning_rate() if callable(learning_rate) else learning_rate)
                    _write_scalars(train_writer, {**losses, "learning_rate": lr}, step)
                rate = images_per_second()
                bar.update(count)
                bar.set_postfix(loss=f"{losses['Loss/total_loss']:.3f}",
                                img_s=f"{rate:.1f}" if rate else "-")
            evaluate_here = step % settings.eval_every == 0 or step == settings.num_steps
            # Never evaluate what a crash could lose: save first.
            if (step - last_saved >= settings.checkpoint_every or step == settings.num_steps
                    or (evaluate_here and last_saved != step)):
                with times.phase("checkpoint"):
                    setup.manager.save(checkpoint_number=step)
                last_saved = step
            if evaluate_here:
                result = evaluate(setup.model, eval_step, setup.eval_dataset,
                                  settings.max_eval_images, settings.show_progress)
                for phase, seconds in result.seconds.items():
                    times.add(f"eval_{phase}", seconds)
                _write_scalars(eval_writer, result.metrics, step)
                final_eval = result
                on_eval(step, result)
    finally:
        bar.close()
    return LoopOutcome(
        start_step=start, end_step=step,
        train_seconds=time.perf_counter() - loop_started,
        images_per_second=images_per_second(),
        last_losses=losses, final_eval=final_eval, phase_seconds=times.rounded(),
    )


def evaluate_now(setup: TrainingSetup, settings: LoopSettings) -> EvalResult:
    """Evaluate the restored model without training (a run that already finished)."""
    return evaluate(setup.model, make_eval_step(setup.model), setup.eval_dataset,
                    settings.max_eval_images, settings.show_progress)
