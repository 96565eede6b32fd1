"""Tests of the tfod_optuna sweeper and the job-side trial reporter."""
