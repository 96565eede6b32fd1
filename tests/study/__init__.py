"""Tests of the tfod_optuna sweeper and the job-side study API (tfod_sweep.study)."""
