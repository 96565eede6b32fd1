"""Build Optuna samplers and pruners from ``_target_`` configs.

Both the sweeper and the job build the pruner from the same ``hydra.sweeper.pruner``
node, so the decision "prune now?" is identical wherever the trial runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig, OmegaConf

from tfod_sweep.errors import ConfigError, squeeze

if TYPE_CHECKING:
    import optuna


def _as_dict(node: Any) -> dict[str, Any] | None:
    if node is None:
        return None
    if isinstance(node, DictConfig):
        return OmegaConf.to_container(node, resolve=True)  # type: ignore[return-value]
    if isinstance(node, Mapping):
        return dict(node)
    raise ConfigError(f"expected a config with _target_, got {node!r}")


def _instantiate(kind: str, cfg: dict[str, Any], base: type) -> Any:
    from hydra.utils import instantiate

    target = cfg.get("_target_")
    if not target:
        raise ConfigError(f"{kind} config has no _target_: {cfg}")
    try:
        obj = instantiate(cfg)
    except Exception as exc:
        cause = exc.__cause__ or exc
        reason = squeeze(str(cause))
        raise ConfigError(f"cannot build {kind} {target}: {reason}") from None
    if not isinstance(obj, base):
        raise ConfigError(f"{kind} {target} is not an optuna {base.__name__}")
    return obj


# Samplers whose seed fixes one sequence shared by all trials (QMC's scrambling): an
# offset per trial would break the sequence, and its index already differs per trial.
_SEQUENCE_SEEDED = {"optuna.samplers.QMCSampler"}


def build_sampler(node: Any, trial_seed_offset: int = 0) -> optuna.samplers.BaseSampler:
    """Sampler from config; a ``seed`` is offset per trial so no two trials share a stream.

    Re-seeding by trial number keeps runs reproducible yet stops a resumed run or a
    second worker from replaying the random start-up points of the first one.
    """
    import optuna

    cfg = _as_dict(node)
    if cfg is None:
        return optuna.samplers.TPESampler()
    if cfg.get("seed") is not None and cfg.get("_target_") not in _SEQUENCE_SEEDED:
        cfg["seed"] = int(cfg["seed"]) + trial_seed_offset
    return _instantiate("sampler", cfg, optuna.samplers.BaseSampler)


def build_pruner(node: Any) -> optuna.pruners.BasePruner:
    """Pruner from config; ``None`` (``pruner: null``) turns pruning off."""
    import optuna

    cfg = _as_dict(node)
    if cfg is None:
        return optuna.pruners.NopPruner()
    return _instantiate("pruner", cfg, optuna.pruners.BasePruner)
