"""Search-space strings in Hydra's grammar map to the right Optuna distributions."""

from __future__ import annotations

from typing import Any

import optuna
import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from hydra_plugins.tfod_optuna_sweeper._errors import SweeperError
from hydra_plugins.tfod_optuna_sweeper._search_space import (
    build_search_space,
    normalize_point,
    render_override,
    suggest_overrides,
)

PARSER = OverridesParser.create()

DISTRIBUTIONS: list[tuple[str, BaseDistribution]] = [
    ("interval(0.5, 4.0)", FloatDistribution(0.5, 4.0)),
    ("interval(1, 4)", FloatDistribution(1.0, 4.0)),
    ("int(interval(8, 64))", IntDistribution(8, 64)),
    ("tag(log, interval(1e-4, 1e-1))", FloatDistribution(1e-4, 1e-1, log=True)),
    ("tag(log, int(interval(1, 100)))", IntDistribution(1, 100, log=True)),
    ("range(8, 33, 8)", IntDistribution(8, 32, step=8)),
    ("range(1, 10, 2)", IntDistribution(1, 9, step=2)),
    ("range(5)", IntDistribution(0, 4, step=1)),
    ("range(0.1, 1.0, 0.1)", FloatDistribution(0.1, 0.9, step=0.1)),
    ("range(1.0, 0.0, -0.25)", FloatDistribution(0.25, 1.0, step=0.25)),
    ("float(range(1, 4))", FloatDistribution(1.0, 3.0, step=1.0)),
    ("shuffle(range(1, 4))", CategoricalDistribution([1, 2, 3])),
    ("choice(8, 16, 32)", CategoricalDistribution([8, 16, 32])),
    ("8,16,32", CategoricalDistribution([8, 16, 32])),
    ("choice(0.5, 0.75, 1.0)", CategoricalDistribution([0.5, 0.75, 1.0])),
    ("choice(ssd320, centernet512)", CategoricalDistribution(["ssd320", "centernet512"])),
    ("str(choice(1, 2))", CategoricalDistribution(["1", "2"])),
    ("choice(true, false)", CategoricalDistribution([True, False])),
]


@pytest.mark.parametrize(("text", "expected"), DISTRIBUTIONS, ids=[d[0] for d in DISTRIBUTIONS])
def test_override_maps_to_distribution(text: str, expected: BaseDistribution) -> None:
    space = build_search_space({"key": text}, [], PARSER)
    assert space.distributions == {"key": expected}
    assert space.fixed == []


BAD = [
    ("interval(1)", "missing a required argument"),
    ("interval(4.0, 1.0)", "low <= high"),
    ("tag(log, interval(0.0, 1.0))", "low > 0"),
    ("tag(cube, interval(0.0, 1.0))", "unknown tag"),
    ("choice([1, 2], 3)", "must be scalars"),
    ("choice(1, 1)", "duplicate"),
    ("range(3, 3)", "empty range"),
    ("interval(0.5, ", "bad search-space override"),
]


@pytest.mark.parametrize(("text", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_search_space_is_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(SweeperError) as info:
        build_search_space({"loss.gamma": text}, [], PARSER)
    assert message in str(info.value)
    assert "loss.gamma" in str(info.value)
    assert "\n" not in str(info.value)


def test_command_line_overrides_win_and_plain_values_pass_through() -> None:
    space = build_search_space(
        {
            "loss.gamma": "interval(0.5, 4.0)",
            "loss.alpha": "interval(0.1, 0.9)",
            "train.num_steps": 100,
            "model": "choice(ssd320, ssd640)",
        },
        ["hparams_search=focal_depth", "loss.alpha=0.25", "backbone.min_depth=8,16"],
        PARSER,
    )
    assert space.distributions == {
        "loss.gamma": FloatDistribution(0.5, 4.0),
        "model": CategoricalDistribution(["ssd320", "ssd640"]),
        "backbone.min_depth": CategoricalDistribution([8, 16]),
    }
    assert space.fixed == ["hparams_search=focal_depth", "loss.alpha=0.25", "train.num_steps=100"]


@pytest.mark.parametrize(
    "value", ["ssd320", "1", "a b", "it's", "x,y", "${oc.env:HOME}", "", True, None, 3, 1e-5, 0.1]
)
def test_rendered_override_parses_back_to_the_same_value(value: Any) -> None:
    line = render_override("k", value, PARSER)
    parsed = PARSER.parse_override(line).value()
    assert type(parsed) is type(value)
    assert parsed == value


def test_suggested_overrides_cover_every_parameter() -> None:
    space = build_search_space(
        {"x": "interval(0.0, 1.0)", "y": "int(interval(1, 3))", "opt": "choice(a, b)"},
        ["num_steps=4"],
        PARSER,
    )
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    trial = study.ask()
    lines = suggest_overrides(trial, space, PARSER)
    assert lines[0] == "num_steps=4"
    assert sorted(line.split("=")[0] for line in lines[1:]) == ["opt", "x", "y"]
    for line in lines[1:]:
        key = line.split("=")[0]
        assert PARSER.parse_override(line).value() == trial.params[key]


def test_enqueue_points_get_the_types_of_their_distribution() -> None:
    space = build_search_space(
        {"g": "interval(0.5, 4.0)", "d": "choice(8, 16, 32)", "n": "int(interval(1, 9))"},
        [],
        PARSER,
    )
    point = normalize_point({"g": 2, "d": "16", "n": 3.0}, space)
    assert point == {"g": 2.0, "d": 16, "n": 3}
    assert [type(v) for v in point.values()] == [float, int, int]


@pytest.mark.parametrize(
    ("point", "message"),
    [
        ({"zz": 1}, "not a searched parameter"),
        ({"g": 9.0}, "outside"),
        ({"d": 12}, "not one of"),
        ({"n": 2.5}, "must be an integer"),
        ({"g": "high"}, "not a number"),
    ],
)
def test_bad_enqueue_points_are_rejected(point: dict[str, Any], message: str) -> None:
    space = build_search_space(
        {"g": "interval(0.5, 4.0)", "d": "choice(8, 16, 32)", "n": "int(interval(1, 9))"},
        [],
        PARSER,
    )
    with pytest.raises(SweeperError, match=message):
        normalize_point(point, space)
