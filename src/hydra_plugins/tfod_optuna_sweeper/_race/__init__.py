"""A racing study: adaptive seeds, multi-fidelity rungs and a confirmation on fresh seeds.

``_plan`` decides each trial's run from the runs before it; ``_claims`` applies that to
Optuna trials; ``_verdict`` builds the study's answer from its confirmation runs only.
Module names start with ``_`` because Hydra's plugin scanner executes every public
module under ``hydra_plugins`` at start-up.
"""
