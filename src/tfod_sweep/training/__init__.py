"""TensorFlow-side code: training, evaluation and checkpoints on the OD API's own pieces.

Everything here imports TensorFlow; nothing outside this package does at import time.
"""
