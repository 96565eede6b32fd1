"""Train and evaluate one composed experiment; write metrics.json, detections.json, a table.

After the final evaluation the trained model is timed and sized (`inference_cost`):
metrics.json's `inference`, and user attributes of a study trial.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from tfod_sweep.data.label_map import read_label_map
from tfod_sweep.errors import ConfigError, DataError
from tfod_sweep.fileio import atomic_write_text
from tfod_sweep.memory import memory_snapshot
from tfod_sweep.metric_names import (
    COCO_METRICS,
    FLOPS,
    LATENCY_MEDIAN,
    LATENCY_P90,
    PARAMETERS,
)
from tfod_sweep.objectives import (
    Objective,
    curve_metric,
    is_multi_objective,
    objective_metrics,
    objective_value,
)
from tfod_sweep.phase_times import PhaseTimes
from tfod_sweep.preview import draw_preview, read_preview_images
from tfod_sweep.registry import loss_components, of_zoo_config
from tfod_sweep.review.logbook import logbook_tables
from tfod_sweep.run_metrics import RunMetrics
from tfod_sweep.trial_handle import TrialHandle

#: The picture of the final model's detections on the first val images, in every run dir.
PREVIEW = "preview.png"


def write_preview(path: Path, val_paths: list[str], detections: list[dict[str, Any]],
                  names: dict[int, str]) -> None:
    """Draw the preview; a failure costs only the picture, never the finished run."""
    try:
        draw_preview(read_preview_images(val_paths), detections, names, path)
    except (OSError, ValueError, DataError) as error:
        print(f"warning: no {path.name}: {error}")


def _start_record(cfg: DictConfig, run_dir: Path, pipeline_path: Path,
                  reporter: TrialHandle | None) -> RunMetrics:
    """This run's metrics.json record; a resumed run keeps its evaluations and train time."""
    from tfod_sweep.thread_pools import pool_sizes

    metrics = objective_metrics(cfg.optimized_metric)
    record = RunMetrics(
        name=cfg.model.name, arch=of_zoo_config(cfg.model.zoo_config).name,
        num_classes=cfg.dataset.num_classes,
        batch_size=cfg.train.batch_size,
        resolution=[cfg.resolution.height, cfg.resolution.width],
        optimized_metric=metrics[0], seed=cfg.train.seed,
        objectives=metrics if is_multi_objective(cfg.optimized_metric) else None,
        config=experiment_config(cfg), trial=trial_info(reporter),
        pipeline_config=str(pipeline_path), run_dir=str(run_dir), threads=pool_sizes(),
    )
    try:
        previous = RunMetrics.load(run_dir)
    except (OSError, ValueError):  # no file yet, or one cut short by a crash
        return record
    record.evaluations = previous.evaluations
    record.train_seconds = previous.train_seconds
    record.images_per_second = previous.images_per_second
    record.final_train_losses = previous.final_train_losses
    return record


def _trial_metrics(metrics: dict[str, float], arch: str) -> dict[str, float | None]:
    """The COCO metrics and loss components a trial shows in optuna-dashboard."""
    return {key: metrics.get(key) for key in (*COCO_METRICS, *loss_components(arch))}


def experiment_config(cfg: DictConfig) -> dict[str, Any]:
    """The resolved experiment without machine paths: what makes two runs comparable."""
    config = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(config, dict)
    config.pop("paths", None)
    config.get("dataset", {}).pop("data_dir", None)
    return config


def trial_info(reporter: TrialHandle | None) -> dict[str, Any] | None:
    """Which study trial this run belongs to, so reports can group seeds and find the baseline."""
    if reporter is None:
        return None
    return {"study": reporter.study_name, "number": reporter.number,
            "enqueued": reporter.enqueued, "params": reporter.params}


def seed_everything(seed: int, deterministic: bool) -> None:
    """Seed Python, NumPy and TensorFlow; with `deterministic`, make TF's ops repeatable too.

    Op determinism also makes tf.data deterministic: the OD API's input pipeline
    interleaves its shards with `sloppy=True` and runs augmentation in a parallel
    `map`, both of which otherwise reorder data between runs. Op determinism does not
    cover the order of `AddN`'s sums, so those are built as ordered chains (ordered_sums).
    """
    import tensorflow as tf

    from tfod_sweep.training.ordered_sums import use_ordered_sums

    tf.keras.utils.set_random_seed(seed)  # Python's random, NumPy and TensorFlow
    if deterministic:
        tf.config.experimental.enable_op_determinism()
        use_ordered_sums()


def measure_inference(cfg: DictConfig, setup: Any) -> dict[str, Any]:
    """The trained model's latency on `eval.latency_images` val images, parameters, FLOPs."""
    from tfod_sweep.training.inference_cost import measure

    pixels = []
    if cfg.eval.latency_images:
        from tfod_sweep.measure.val_images import read_images

        reader = setup.configs["eval_input_configs"][0]
        pixels = [image.pixels for image in read_images(reader, cfg.eval.latency_images)]
    size = (int(cfg.resolution.height), int(cfg.resolution.width))
    return measure(setup.model, pixels, size).to_dict()


def train_and_evaluate(cfg: DictConfig, run_dir: Path, pipeline_path: Path,
                       reporter: TrialHandle | None = None) -> Objective:
    """Train `cfg` in `run_dir` (resuming from its latest checkpoint) and return the metric.

    With a list `optimized_metric` (a multi-objective study) it returns the tuple of those
    metrics, any of which may be a latency or size measured after the final evaluation.

    Args:
        cfg: the composed, validated experiment.
        run_dir: the run's output dir; also the OD API model_dir.
        pipeline_path: the rendered pipeline.config.
        reporter: the study trial this run reports to, if any.
    """
    times = PhaseTimes()
    with times.phase("tf_import"):  # the OD API import is the slow part
        import tensorflow as tf

        import tfod_sweep.training.loop
        import tfod_sweep.training.model_setup  # noqa: F401 (imported here to be timed)
        from tfod_sweep.training.custom_gradients import released_custom_gradients

    tf.keras.backend.clear_session()  # several trials may run in one process
    # ... and TensorFlow's gradient registry would keep each one's graphs and model.
    with released_custom_gradients():
        return _train(cfg, run_dir, pipeline_path, reporter, times)


def _train(cfg: DictConfig, run_dir: Path, pipeline_path: Path,
           reporter: TrialHandle | None, times: PhaseTimes) -> Objective:
    """`train_and_evaluate` once TensorFlow is imported."""
    from tfod_sweep.training.loop import LoopSettings, evaluate_now, run_loop
    from tfod_sweep.training.model_setup import build_setup, restore_fine_tune_checkpoint

    seed_everything(cfg.train.seed, cfg.train.deterministic)
    metric = curve_metric(objective_metrics(cfg.optimized_metric))
    arch = of_zoo_config(cfg.model.zoo_config).name
    record = _start_record(cfg, run_dir, pipeline_path, reporter)

    if reporter is not None:  # so PRUNED and FAIL trials still point at their run
        reporter.set_user_attrs({"run_dir": str(run_dir), "pipeline_config": str(pipeline_path)})
    with times.phase("build"):
        setup = build_setup(pipeline_path, run_dir, input_autotune=cfg.train.input_autotune)
        latest = setup.manager.latest_checkpoint
        if latest:
            setup.checkpoint.restore(latest).expect_partial()
            print(f"resuming from {latest} (step {int(setup.global_step.numpy())})")
        elif cfg.train.fine_tune_checkpoint:
            restore_fine_tune_checkpoint(setup)

    # The schedule (in pipeline.config) runs to num_steps; the loop may stop earlier.
    last_step = cfg.train.get("stop_at") or cfg.train.num_steps
    settings = LoopSettings(
        num_steps=last_step, batch_size=cfg.train.batch_size,
        eval_every=cfg.train.eval_every, checkpoint_every=cfg.train.checkpoint_every,
        max_eval_images=cfg.eval.max_images, steps_per_call=cfg.train.steps_per_call,
    )

    trained_before = record.train_seconds  # a resumed run adds to what it had
    loop_started = time.perf_counter()

    def on_eval(step: int, result: Any) -> None:
        if metric not in result.metrics:
            raise ConfigError(f"optimized_metric={metric!r} was not computed by the evaluation")
        record.evaluations[:] = [e for e in record.evaluations if e["step"] < step]
        record.evaluations.append({"step": step, **result.metrics})
        record.steps = step
        # Written before the pruner is asked: a pruned trial keeps the time it trained.
        record.train_seconds = trained_before + time.perf_counter() - loop_started
        record.write(run_dir)
        print(f"step {step}: {metric} = {result.metrics[metric]:.4f}")
        if reporter is not None:
            reporter.set_user_attrs({**_trial_metrics(result.metrics, arch), "steps": step,
                                     "train_seconds": record.train_seconds})
            reporter.report(value=result.metrics[metric], step=step,
                            may_prune=step < last_step)

    if int(setup.global_step.numpy()) >= settings.num_steps:
        outcome = None
        final = evaluate_now(setup, settings)
    else:
        outcome = run_loop(setup, settings, run_dir, on_eval)
        final = outcome.final_eval
    assert final is not None  # the loop always evaluates at its last step

    record.steps = int(setup.global_step.numpy())
    record.final = final.metrics
    names = read_label_map(run_dir / "label_map.pbtxt")
    record.per_class = {names.get(cat, str(cat)): ap for cat, ap in final.per_class.items()}
    record.eval_images = final.num_images
    if outcome is not None:  # this process trained (a finished run is only re-evaluated)
        record.train_seconds = trained_before + outcome.train_seconds
        record.images_per_second = outcome.images_per_second
        record.final_train_losses = outcome.last_losses
        for phase, seconds in outcome.phase_seconds.items():
            times.add(phase, seconds)
    record.phase_seconds = times.rounded()
    record.write(run_dir)  # the result is safe before the picture is drawn
    atomic_write_text(run_dir / "detections.json", json.dumps(final.detections))
    with times.phase("preview"):
        val_paths = list(setup.configs["eval_input_configs"][0].tf_record_input_reader.input_path)
        write_preview(run_dir / PREVIEW, val_paths, final.detections, names)
    with times.phase("inference"):
        record.inference = measure_inference(cfg, setup)
    record.phase_seconds = times.rounded()
    record.memory = memory_snapshot()
    record.write(run_dir)
    print()
    print(logbook_tables([record.to_dict()]))
    print(_inference_line(record.inference))
    if reporter is not None:
        attrs = _trial_metrics(final.metrics, arch)
        attrs.update({key: getattr(record, key) for key in (
            "steps", "train_seconds", "images_per_second", "run_dir", "pipeline_config")})
        attrs.update(record.inference)
        attrs["peak_rss_mb"] = record.memory["peak_rss_mb"]
        reporter.set_user_attrs(attrs)
    return objective_value(cfg.optimized_metric, {**final.metrics, **record.inference})


def _inference_line(cost: dict[str, Any]) -> str:
    """One line for the log: the trained model's latency, parameters and FLOPs."""
    median = cost.get(LATENCY_MEDIAN)
    timing = ("latency not measured (eval.latency_images=0)" if median is None else
              f"latency {median:.1f} ms median, {cost.get(LATENCY_P90):.1f} ms p90 at batch 1 "
              f"({cost.get('Latency/images')} images, {cost.get('Latency/threads')} threads)")
    flops = cost.get(FLOPS)
    counted = f"{flops / 1e9:.3f} GFLOPs" if flops else f"FLOPs {cost.get('Model/flops_note')}"
    return f"{timing}; {cost.get(PARAMETERS):,} parameters; {counted}"
