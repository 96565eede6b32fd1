"""Tests of optuna-dashboard pages in headless Chromium."""
