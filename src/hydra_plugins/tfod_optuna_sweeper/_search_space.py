"""Search spaces written in Hydra's override grammar, mapped to Optuna distributions.

Hydra's own ``OverridesParser`` reads the strings, so the grammar (quoting, casts,
``tag(log, …)``) is exactly the one users type on the command line:

===================================  ============================================
``interval(0.5, 4.0)``               ``FloatDistribution(0.5, 4.0)``
``int(interval(8, 64))``             ``IntDistribution(8, 64)``
``tag(log, interval(1e-4, 1e-1))``   ``FloatDistribution(1e-4, 1e-1, log=True)``
``tag(log, int(interval(1, 100)))``  ``IntDistribution(1, 100, log=True)``
``range(8, 33, 8)``                  ``IntDistribution(8, 32, step=8)`` (stop excluded)
``range(0.1, 1.0, 0.1)``             ``FloatDistribution(0.1, 0.9, step=0.1)``
``shuffle(range(1, 4))``             ``CategoricalDistribution((1, 2, 3))``
``choice(8, 16, 32)`` / ``8,16,32``  ``CategoricalDistribution((8, 16, 32))``
``choice(ssd320, centernet512)``     categorical over config-group options
anything that is not a sweep         passed unchanged to every trial
===================================  ============================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import (
    ChoiceSweep,
    IntervalSweep,
    Override,
    Quote,
    QuotedString,
    RangeSweep,
    Transformer,
)
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.trial import Trial

from hydra_plugins.tfod_optuna_sweeper._errors import SweeperError
from tfod_sweep.errors import squeeze

_SCALARS = (type(None), bool, int, float, str)


@dataclass(frozen=True)
class Param:
    """One searched parameter: its Optuna name, override key and distribution."""

    name: str
    key: str
    distribution: BaseDistribution


@dataclass
class SearchSpace:
    """Searched parameters plus the overrides every trial gets unchanged."""

    params: dict[str, Param] = field(default_factory=dict)
    fixed: list[str] = field(default_factory=list)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        """Optuna name -> distribution."""
        return {name: p.distribution for name, p in self.params.items()}


def _param_name(override: Override) -> str:
    package = f"@{override.package}" if override.package else ""
    return f"{override.key_or_group}{package}"


def _categorical(key: str, values: Sequence[Any]) -> CategoricalDistribution:
    values = list(values)
    if not values:
        raise SweeperError(f"search space for {key}: choice() needs at least one value")
    for value in values:
        if not isinstance(value, _SCALARS):
            raise SweeperError(f"search space for {key}: choices must be scalars, got {value!r}")
    if len({(type(v), v) for v in values}) != len(values):
        raise SweeperError(f"search space for {key}: duplicate choices in {values}")
    return CategoricalDistribution(values)


def _from_range(key: str, sweep: RangeSweep) -> BaseDistribution:
    values = list(sweep.range())
    if not values:
        raise SweeperError(f"search space for {key}: empty range")
    if sweep.shuffle:
        return _categorical(key, values)
    step = abs(sweep.step)
    if all(isinstance(v, int) for v in values) and isinstance(step, int):
        return IntDistribution(min(values), max(values), step=step)
    low = float(min(values))
    # Recompute the top in decimal so 0.1 + 8 * 0.1 is 0.9, not 0.9000000000000001.
    high = float(Decimal(str(low)) + Decimal(str(step)) * (len(values) - 1))
    return FloatDistribution(low, high, step=float(step))


def _from_interval(key: str, sweep: IntervalSweep) -> BaseDistribution:
    unknown = set(sweep.tags) - {"log"}
    if unknown:
        raise SweeperError(f"search space for {key}: unknown tag(s) {sorted(unknown)}")
    log = "log" in sweep.tags
    assert sweep.start is not None and sweep.end is not None
    if isinstance(sweep.start, int) and isinstance(sweep.end, int):
        return IntDistribution(sweep.start, sweep.end, log=log)
    return FloatDistribution(float(sweep.start), float(sweep.end), log=log)


def distribution_of(override: Override) -> BaseDistribution | None:
    """Optuna distribution of a sweep override, or None for a plain value."""
    key = override.get_key_element()
    if not override.is_sweep_override():
        return None
    value = override.value()
    try:
        if isinstance(value, IntervalSweep):
            return _from_interval(key, value)
        if isinstance(value, RangeSweep):
            return _from_range(key, value)
        if isinstance(value, ChoiceSweep):
            return _categorical(key, value.list)
        if override.is_choice_sweep():  # glob(...) over config-group options
            return _categorical(key, sorted(override.sweep_iterator(Transformer.encode)))
    except ValueError as exc:  # Optuna's own checks: low > high, log with low <= 0, ...
        raise SweeperError(f"search space for {key}: {exc}") from None
    raise SweeperError(f"search space for {key}: {override.input_line} is not supported")


def _parse(parser: OverridesParser, line: str) -> Override:
    try:
        return parser.parse_override(line)
    except Exception as exc:
        message = squeeze(str(exc))
        raise SweeperError(f"bad search-space override {line!r}: {message}") from None


def _as_override_text(value: Any) -> str:
    return value if isinstance(value, str) else Transformer.str(value)


def build_search_space(
    params: Mapping[str, Any], arguments: Sequence[str], parser: OverridesParser
) -> SearchSpace:
    """Merge ``hydra.sweeper.params`` with command-line overrides (which win)."""
    space = SearchSpace()
    entries = [(f"{k}={_as_override_text(v)}", False) for k, v in params.items()]
    entries += [(line, True) for line in arguments]
    fixed: dict[str, tuple[str, bool]] = {}
    for line, from_cli in entries:
        override = _parse(parser, line)
        name = _param_name(override)
        distribution = distribution_of(override)
        if distribution is None:
            fixed[name] = (line, from_cli)
            space.params.pop(name, None)
        else:
            space.params[name] = Param(name, override.get_key_element(), distribution)
            fixed.pop(name, None)
    # Command-line overrides first, in their order (group choices before values).
    space.fixed = [line for line, cli in fixed.values() if cli]
    space.fixed += [line for line, cli in fixed.values() if not cli]
    return space


def render_override(key: str, value: Any, parser: OverridesParser) -> str:
    """``key=value`` that Hydra parses back to exactly ``value`` (quoting when needed)."""
    line = f"{key}={Transformer.str(value)}"
    try:
        parsed = parser.parse_override(line).value()
        if type(parsed) is type(value) and parsed == value:
            return line
    except Exception:  # the unquoted form does not parse: quote it below
        pass
    if isinstance(value, str):
        return f"{key}={QuotedString(text=value, quote=Quote.single).with_quotes()}"
    raise SweeperError(f"cannot write {key}={value!r} as a Hydra override")


def suggest_overrides(trial: Trial, space: SearchSpace, parser: OverridesParser) -> list[str]:
    """Sample every parameter on ``trial`` and return the trial's full override list."""
    lines = list(space.fixed)
    for param in space.params.values():
        dist = param.distribution
        if isinstance(dist, FloatDistribution):
            value: Any = trial.suggest_float(
                param.name, dist.low, dist.high, step=dist.step, log=dist.log
            )
        elif isinstance(dist, IntDistribution):
            value = trial.suggest_int(param.name, dist.low, dist.high, step=dist.step, log=dist.log)
        else:
            assert isinstance(dist, CategoricalDistribution)
            value = trial.suggest_categorical(param.name, dist.choices)
        lines.append(render_override(param.key, value, parser))
    return lines


def _fixed_keys(space: SearchSpace) -> set[str]:
    return {line.split("=", 1)[0].lstrip("+~") for line in space.fixed}


def normalize_point(point: Mapping[str, Any], space: SearchSpace) -> dict[str, Any]:
    """Check an ``enqueue`` entry against the space and give values their exact types.

    A key the command line fixed (``loss.gamma=2.5`` next to the study) is dropped from
    the point: the user's fixed value wins over the study's suggestion.
    """
    out: dict[str, Any] = {}
    fixed = _fixed_keys(space)
    for name, value in point.items():
        param = space.params.get(name)
        if param is None and name in fixed:
            continue
        if param is None:
            raise SweeperError(
                f"enqueue: {name!r} is not a searched parameter (searched: "
                f"{', '.join(space.params) or 'none'})"
            )
        out[name] = _coerce(name, value, param.distribution)
    return out


def _coerce(name: str, value: Any, dist: BaseDistribution) -> Any:
    if isinstance(dist, CategoricalDistribution):
        for choice in dist.choices:
            if type(choice) is type(value) and choice == value:
                return choice
        for choice in dist.choices:
            if str(choice) == str(value):
                return choice
        raise SweeperError(f"enqueue: {name}={value!r} is not one of {list(dist.choices)}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SweeperError(f"enqueue: {name}={value!r} is not a number") from None
    assert isinstance(dist, (FloatDistribution, IntDistribution))
    if not dist.low <= number <= dist.high:
        raise SweeperError(f"enqueue: {name}={value!r} is outside [{dist.low}, {dist.high}]")
    if isinstance(dist, IntDistribution):
        if not number.is_integer():
            raise SweeperError(f"enqueue: {name}={value!r} must be an integer")
        return int(number)
    return number
