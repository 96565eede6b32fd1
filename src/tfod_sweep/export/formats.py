"""The export formats and `--formats` parsing (TF-free)."""

from __future__ import annotations

from tfod_sweep.errors import SweepError

#: Every format, in the order of the table.
FORMATS: tuple[str, ...] = ("saved_model", "tflite_fp32", "tflite_fp16", "tflite_int8")
#: The TFLite ones share one intermediate SavedModel (the OD API's TFLite-friendly graph).
TFLITE_FORMATS: tuple[str, ...] = FORMATS[1:]


def parse_formats(text: str) -> list[str]:
    """`saved_model,tflite_int8` -> the formats in table order, each once.

    Raises:
        SweepError: an empty list or a name that is not a format (the message lists them).
    """
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in FORMATS]
    if unknown:
        raise SweepError(f"unknown format {', '.join(map(repr, unknown))}; "
                         f"choose from {', '.join(FORMATS)}")
    if not names:
        raise SweepError(f"--formats is empty; choose from {', '.join(FORMATS)}")
    return [name for name in FORMATS if name in names]
