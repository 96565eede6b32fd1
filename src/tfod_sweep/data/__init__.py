"""Datasets in OD API format: the embedded shapes sets, user data conversion, checks.

Importing this package does not import TensorFlow (only the functions that
write or read records do), so composing a config stays fast.
"""

from __future__ import annotations

from tfod_sweep.data.convert import ConvertResult, convert_dataset
from tfod_sweep.data.inspection import InspectionReport, format_report, inspect_tfrecords
from tfod_sweep.data.label_map import read_label_map, write_label_map
from tfod_sweep.data.resolve import ResolvedDataset, resolve_dataset
from tfod_sweep.data.shapes import class_names as synthetic_class_names
from tfod_sweep.data.synthetic import SyntheticDataset, SyntheticParams, ensure_synthetic

__all__ = [
    "ConvertResult",
    "InspectionReport",
    "ResolvedDataset",
    "SyntheticDataset",
    "SyntheticParams",
    "convert_dataset",
    "ensure_synthetic",
    "format_report",
    "inspect_tfrecords",
    "read_label_map",
    "resolve_dataset",
    "synthetic_class_names",
    "write_label_map",
]
