"""tfod-sweep: compose, train and sweep TF Object Detection API experiments.

Importing the package prepares the environment TensorFlow reads when it is first imported
(`compat.prepare_tensorflow`): `sweep`, its CLIs, the sweeper's workers and the tests
all import it before TensorFlow.
"""

from tfod_sweep.compat import prepare_tensorflow

__version__ = "0.1.0"

prepare_tensorflow()
