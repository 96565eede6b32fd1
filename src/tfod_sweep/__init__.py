"""tfod-sweep: compose, train and sweep TF Object Detection API experiments."""

__version__ = "0.1.0"
