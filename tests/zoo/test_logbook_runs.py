"""Every logbook run trains 2 steps at a reduced size and keeps the logbook run's fields; a
mixed SSD + CenterNet report of two of those runs gives each row its own loss columns.

The test overrides only size (test_families' TINY: batch, steps, images; and a 128 side,
a multiple of 32 that both FPN extractors accept). Every other field of the run's
pipeline.config must equal the full-size render of `experiment=logbook/run_N`, whose
fields tests/config/test_compose.py checks against the logbook. 40-90 s of
build and tracing per run on a 2-core CPU, hence `-m zoo`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import text_format

from tests.config.test_compose import LOGBOOK
from tests.conftest import REPO, run_dir_of, run_sweep
from tests.zoo.test_families import TINY
from tfod_sweep.pipeline import Pipeline, build_pipeline
from tfod_sweep.registry import loss_components, model_message, of_pipeline
from tfod_sweep.review.logbook import loss_header

pytestmark = [pytest.mark.slow, pytest.mark.zoo]

RUNS = tuple(range(1, 9))
SIDE = 128
SIZE = (*TINY, f"resolution.height={SIDE}", f"resolution.width={SIDE}")
OVERRIDES = dict(override.split("=", 1) for override in SIZE)
#: Run 8 (CenterNet ResNet101 FPN 512) as the logbook ran it: classes, alpha, beta.
RUN_8 = (21, 2.0, 4.0)
#: The resizer fields `resolution` writes, whichever resizer the zoo config uses.
SIDE_FIELDS = ("height", "width", "min_dimension", "max_dimension")


@pytest.fixture(scope="module")
def logbook_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Path]:
    """Train a logbook run at most once per module (the report test reuses two of them)."""
    data_dir = tmp_path_factory.mktemp("data")  # shapes21 and shapes42 generated once each
    trained: dict[int, Path] = {}

    def train(run: int) -> Path:
        if run not in trained:
            outputs = tmp_path_factory.mktemp(f"logbook_run_{run}")
            result = run_sweep(f"experiment=logbook/run_{run}", *SIZE,
                               f"paths.outputs={outputs}", f"paths.data_dir={data_dir}",
                               cwd=REPO)
            assert result.returncode == 0, result.stderr[-3000:]
            trained[run] = run_dir_of(outputs)
        return trained[run]

    return train


def _split(pipeline: Pipeline) -> tuple[dict[str, Any], str]:
    """(the fields the size overrides decide, every other field as text), so the rest can
    be compared whole. Input paths and the label map's path are the run's own and dropped."""
    rest = Pipeline()
    rest.CopyFrom(pipeline)
    resizer_oneof = model_message(rest).image_resizer
    resizer = getattr(resizer_oneof, resizer_oneof.WhichOneof("image_resizer_oneof"))
    sides = [f.name for f in resizer.DESCRIPTOR.fields if f.name in SIDE_FIELDS]
    train = rest.train_config
    optimizer = getattr(train.optimizer, train.optimizer.WhichOneof("optimizer"))
    cosine = optimizer.learning_rate.cosine_decay_learning_rate
    decided = {"sides": tuple(getattr(resizer, name) for name in sides),
               "batch_size": train.batch_size, "num_steps": train.num_steps,
               "total_steps": cosine.total_steps, "warmup_steps": cosine.warmup_steps}
    for message, names in ((resizer, sides), (train, ("batch_size", "num_steps")),
                           (cosine, ("total_steps", "warmup_steps"))):
        for name in names:
            message.ClearField(name)
    for reader in (rest.train_input_reader, *rest.eval_input_reader):
        reader.ClearField("label_map_path")
        reader.tf_record_input_reader.ClearField("input_path")
    return decided, text_format.MessageToString(rest)


def _logbook_fields(pipeline: Pipeline) -> tuple[Any, ...]:
    """What the logbook says a run set: classes and loss, and SSD's min_depth."""
    model = model_message(pipeline)
    if of_pipeline(pipeline).name == "center_net":
        focal = model.object_center_params.classification_loss.penalty_reduced_logistic_focal_loss
        return model.num_classes, focal.alpha, focal.beta
    focal = model.loss.classification_loss.weighted_sigmoid_focal
    return (model.num_classes, pytest.approx(focal.gamma), pytest.approx(focal.alpha),
            model.feature_extractor.min_depth)


@pytest.mark.parametrize("run", RUNS)
def test_logbook_run_trains_small_and_keeps_the_logbook_runs_fields(logbook_run, compose_cfg,
                                                                    run):
    run_dir = logbook_run(run)
    rendered = text_format.Parse((run_dir / "pipeline.config").read_text(), Pipeline())
    cfg = compose_cfg(f"experiment=logbook/run_{run}")  # the logbook run at full size
    full = build_pipeline(cfg, "train.tfrecord", "val.tfrecord", "label_map.pbtxt")

    decided, rest = _split(rendered)
    full_decided, full_rest = _split(full)
    assert rest == full_rest  # every field the test did not override, as the logbook has it
    steps = int(OVERRIDES["train.num_steps"])
    assert decided == {"sides": (SIDE, SIDE), "batch_size": int(OVERRIDES["train.batch_size"]),
                       "num_steps": steps, "total_steps": steps,
                       "warmup_steps": round(cfg.train.warmup_fraction * steps)}
    assert full_decided["num_steps"] == cfg.train.num_steps != steps  # really reduced

    if run in LOGBOOK:
        _, classes, _, gamma, alpha, min_depth, _, _ = LOGBOOK[run]
        assert _logbook_fields(rendered) == (classes, gamma, alpha, min_depth)
    else:
        assert _logbook_fields(rendered) == RUN_8
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert (metrics["name"], metrics["arch"], metrics["steps"]) == (
        cfg.model.name, of_pipeline(full).name, steps)
    for name in loss_components(metrics["arch"]):
        assert isinstance(metrics["final"][name], float), name


def _loss_table(paths: list[Path], out: Path) -> dict[str, list[str]]:
    """`python -m sweep.report PATHS`' loss table from stdout: header and rows by name."""
    result = subprocess.run([sys.executable, "-m", "sweep.report", *map(str, paths),
                             "--out", str(out)], cwd=REPO, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stdout.split("**loss**", 1)[1].splitlines()
             if line.startswith("| ")]
    header, _, *rows = (line.removeprefix("| ").removesuffix(" |").split(" | ")
                        for line in lines)
    return {"No": header, **{row[0]: row for row in rows}}


def test_a_mixed_ssd_and_centernet_report_gives_each_row_its_own_losses(logbook_run,
                                                                       tmp_path):
    runs = {"ssd": logbook_run(3), "center_net": logbook_run(8)}
    finals = {arch: json.loads((run_dir / "metrics.json").read_text())["final"]
              for arch, run_dir in runs.items()}
    for first, other in (("ssd", "center_net"), ("center_net", "ssd")):
        table = _loss_table([runs[first], runs[other]], tmp_path / f"{first}_first")
        first_losses, other_losses = loss_components(first), loss_components(other)
        # The first run's architecture names the columns, as in the logbook.
        assert table["No"] == ["No", *map(loss_header, first_losses), "steps",
                               "total_classes", "training time"]
        first_row, other_row = table[runs[first].name], table[runs[other].name]
        assert first_row[1:5] == [f"{finals[first][k]:.3f}" for k in first_losses]
        # The other row names its own losses in those columns: `loss_box_offset = 0.506`.
        assert other_row[1:5] == [f"{loss_header(k)} = {finals[other][k]:.3f}"
                                  for k in other_losses]
        assert [first_row[5], other_row[5]] == ["2", "2"]
