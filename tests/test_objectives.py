"""What a run returns to the sweeper: one float, or a tuple in the order of the metrics."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from tfod_sweep.errors import ConfigError
from tfod_sweep.objectives import curve_metric, objective_value, seed_summary

AP50 = "DetectionBoxes_Precision/mAP@.50IOU"
MEASURED = {AP50: 0.5, "DetectionBoxes_Precision/mAP": 0.25, "Latency/median_ms": 31.5,
            "Model/flops": None}


def test_one_metric_is_a_float_and_a_list_is_a_tuple_in_its_order() -> None:
    assert objective_value(AP50, MEASURED) == 0.5
    listed = OmegaConf.create({"m": ["Latency/median_ms", AP50]}).m  # as Hydra hands it over
    assert objective_value(listed, MEASURED) == (31.5, 0.5)


def test_an_unmeasured_objective_is_one_clear_line() -> None:
    with pytest.raises(ConfigError, match="optimized_metric 'Model/flops' was not measured "
                                          r"by this run \(got None\)"):
        objective_value([AP50, "Model/flops"], MEASURED)


def test_the_curve_follows_the_first_evaluated_objective() -> None:
    assert curve_metric(["Latency/median_ms", "DetectionBoxes_Precision/mAP"]) == \
        "DetectionBoxes_Precision/mAP"
    assert curve_metric(["Latency/median_ms"]) == AP50  # nothing evaluated: mAP@.50


def test_seeds_of_one_objective_keep_the_single_value_attrs() -> None:
    mean, attrs = seed_summary([0, 1], [0.4, 0.6])
    assert mean == pytest.approx(0.5)
    assert attrs["value_per_seed"] == [0.4, 0.6] and attrs["n_seeds"] == 2
    assert attrs["value_std"] == pytest.approx(0.1414, abs=1e-4)
    assert "values_per_seed" not in attrs


def test_seeds_of_several_objectives_are_averaged_per_objective() -> None:
    mean, attrs = seed_summary([3, 4, 5], [(0.4, 30.0), (0.6, 34.0), (0.5, 29.0)])
    assert mean == pytest.approx((0.5, 31.0))
    assert attrs["values_per_seed"] == [[0.4, 30.0], [0.6, 34.0], [0.5, 29.0]]
    assert attrs["values_mean"] == pytest.approx([0.5, 31.0])
    assert attrs["values_std"] == pytest.approx([0.1, 2.6458], abs=1e-4)
    assert attrs["seeds"] == [3, 4, 5] and "value_per_seed" not in attrs
