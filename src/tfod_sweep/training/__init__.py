"""TensorFlow-side code: training, evaluation and checkpoints on the OD API's own pieces.

Most modules here import TensorFlow on import, the rest when called. Outside this
package only `export/`'s format modules and `measure.val_images` do so on import;
docs/ARCHITECTURE.md lists every place TensorFlow loads.
"""
