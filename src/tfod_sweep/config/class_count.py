"""A custom dataset's class count is its label map's, so `dataset.num_classes` may be left out.

The label map is read with protobuf alone, so this keeps validation TensorFlow-free.
"""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf

from tfod_sweep.errors import ConfigError


def _given(node: DictConfig, key: str) -> object | None:
    """The node's value, None when left out (``???`` or null)."""
    return None if OmegaConf.is_missing(node, key) else node.get(key)


def complete_num_classes(dataset: DictConfig) -> None:
    """Set a custom dataset's missing ``num_classes`` from its label map, in place.

    A given count that disagrees with the label map is one line (DataError). Synthetic
    datasets take theirs from the generator, checked by ``validate_config``.
    """
    if dataset.get("synthetic") is not None:
        return
    given = _given(dataset, "num_classes")
    label_map = _given(dataset, "label_map")
    if not label_map:
        if given is None:
            raise ConfigError(
                f"dataset.label_map must be set for dataset '{dataset.get('name', 'custom')}' "
                "(e.g. dataset.label_map=data/label_map.pbtxt): the class count is read from it"
            )
        return  # resolve_dataset names the missing label map with the other paths
    from tfod_sweep.data.resolve import check_num_classes, label_map_classes

    path, names = label_map_classes(str(label_map))
    if given is None:
        dataset.num_classes = len(names)
    else:
        check_num_classes(given, len(names), path)
