"""``train.pretrained=coco``: start from the zoo's COCO checkpoint of the chosen model.

Users fine-tune; few train from scratch. This turns the one key into the
``fine_tune_checkpoint`` (and its type) the OD API needs, fetching it on first use.
"""

from __future__ import annotations

from omegaconf import DictConfig

from tfod_sweep.errors import ConfigError
from tfod_sweep.zoo.checkpoints import KNOWN_SHA256, archive_name, archive_url
from tfod_sweep.zoo.fetch import checkpoint_prefix, ensure_checkpoint


def apply_pretrained(cfg: DictConfig, download: bool = True) -> None:
    """Set ``train.fine_tune_checkpoint`` to the cached zoo checkpoint, in place.

    ``download=False`` (a dry run) only names where the checkpoint will be.
    """
    choice = cfg.train.get("pretrained")
    if not choice:
        return
    if cfg.train.fine_tune_checkpoint:
        raise ConfigError(
            f"train.pretrained={choice} and train.fine_tune_checkpoint="
            f"{cfg.train.fine_tune_checkpoint!r} both name a starting checkpoint: allowed one"
        )
    name = archive_name(cfg.model.zoo_config, cfg.model.name)
    if download:
        url = archive_url(cfg.model.zoo_config, cfg.model.name)
        prefix = ensure_checkpoint(name, url, KNOWN_SHA256.get(name))
    else:
        prefix = checkpoint_prefix(name)
    cfg.train.fine_tune_checkpoint = prefix
    cfg.train.fine_tune_checkpoint_type = "detection"
