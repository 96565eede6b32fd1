"""Structured configs of the ``tfod_optuna`` sweeper, registered in Hydra's ConfigStore.

Select the sweeper with ``hydra/sweeper=tfod_optuna`` (or ``override /hydra/sweeper:
tfod_optuna`` in a defaults list). Samplers and pruners are config groups of their own,
so ``hydra/sweeper/pruner=hyperband`` swaps the pruner and ``hydra.sweeper.pruner=null``
turns pruning off. Any other Optuna class works as a ``_target_`` node.

Recommended output layout (the sweeper cannot set it: Hydra resolves it before the
sweeper exists), so that run dirs are named by study and trial number and stay put
across resumes::

    hydra:
      sweep:
        dir: outputs/studies/${hydra.sweeper.study_name}
        subdir: trial_${hydra.job.num}

Importing this module must stay cheap: Hydra imports it on every start-up.
"""

from __future__ import annotations

from hydra.core.config_store import ConfigStore

from hydra_plugins.tfod_optuna_sweeper._conf import (
    CmaEsSamplerConf,
    HyperbandPrunerConf,
    MedianPrunerConf,
    NopPrunerConf,
    NSGAIISamplerConf,
    PercentilePrunerConf,
    QMCSamplerConf,
    RandomSamplerConf,
    SuccessiveHalvingPrunerConf,
    TfodOptunaSweeperConf,
    TPESamplerConf,
)

__all__ = [
    "CmaEsSamplerConf",
    "HyperbandPrunerConf",
    "MedianPrunerConf",
    "NSGAIISamplerConf",
    "NopPrunerConf",
    "PercentilePrunerConf",
    "QMCSamplerConf",
    "RandomSamplerConf",
    "SuccessiveHalvingPrunerConf",
    "TPESamplerConf",
    "TfodOptunaSweeperConf",
    "register",
]


def register() -> None:
    """Put the sweeper, sampler and pruner configs in Hydra's ConfigStore."""
    cs = ConfigStore.instance()
    cs.store(group="hydra/sweeper", name="tfod_optuna", node=TfodOptunaSweeperConf)
    samplers = {
        "tpe": TPESamplerConf,
        "random": RandomSamplerConf,
        "cmaes": CmaEsSamplerConf,
        "qmc": QMCSamplerConf,
        "nsga2": NSGAIISamplerConf,
    }
    for name, node in samplers.items():
        cs.store(group="hydra/sweeper/sampler", name=name, node=node)
    pruners = {
        "median": MedianPrunerConf,
        "percentile": PercentilePrunerConf,
        "hyperband": HyperbandPrunerConf,
        "successive_halving": SuccessiveHalvingPrunerConf,
        "nop": NopPrunerConf,
    }
    for name, node in pruners.items():
        cs.store(group="hydra/sweeper/pruner", name=name, node=node)


register()
