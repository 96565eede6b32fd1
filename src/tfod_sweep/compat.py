"""One compatibility fix between tf-slim 1.1.0 and TensorFlow 2.15.

The OD API's `TfExampleDecoder` decodes `image/encoded` through tf-slim's `Image`
handler, which calls `control_flow_ops.case` and `control_flow_ops.cond`. TensorFlow
2.13 moved those (and `while_loop`) into their own modules, so every image decode
fails with an AttributeError. We put the functions back under their old names;
nothing else changes.
"""

from __future__ import annotations


def patch_tf_slim_control_flow() -> None:
    """Make `control_flow_ops.{case,cond,while_loop}` available again (idempotent)."""
    from tensorflow.python.ops import cond, control_flow_case, control_flow_ops, while_loop

    moved = {"case": control_flow_case.case, "cond": cond.cond,
             "while_loop": while_loop.while_loop}
    for name, function in moved.items():
        if not hasattr(control_flow_ops, name):
            setattr(control_flow_ops, name, function)
