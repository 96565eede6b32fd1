"""``tfod_optuna``: a Hydra sweeper that runs an Optuna 5 study.

Why our own: the released hydra-optuna-sweeper pins optuna<3, cannot prune (the trial
never reaches the job), runs trials in blocking batches and cannot resume.

Select it with ``hydra/sweeper=tfod_optuna`` (``conf/hparams_search/focal_depth.yaml``
does). Plain ``-m a=1,2`` multiruns keep Hydra's basic sweeper. Keys of
``hydra.sweeper`` (defaults in brackets):

* ``study_name`` [tfod_sweep], ``direction`` [maximize];
* ``directions`` [null]: a list such as ``[maximize, minimize]`` for a multi-objective
  study, instead of ``direction`` (not both). The task then returns a tuple of as many
  floats (a wrong length is a FAIL trial), and ``optimized_metric`` lists as many
  metrics, which name the objectives in optuna-dashboard's Pareto-front plot. Optuna
  cannot prune such a study: any pruner but null/nop is refused before the first trial,
  and the job's intermediate values go to the user attr ``intermediate_values``. The
  summary lists the Pareto-optimal trials instead of a best one;
* ``storage`` [outputs/studies/journal.log]: a journal file, or an ``sqlite:///`` /
  ``postgresql://`` / ``mysql://`` / ``redis://`` URL (see ``_storages/_location.py``);
* ``artifact_dir`` [null]: the artifact store of the trials' evidence; null puts it
  beside a journal/SQLite file (``outputs/studies/artifacts`` by default) and, for a
  server database, in ``outputs/studies/artifacts`` of the working dir (on several
  machines, give every worker one shared folder); see ``_evidence.py``;
* ``n_trials`` [20]: the study's total; re-running the command resumes and runs only
  the missing trials, extra workers share the same total;
* ``n_jobs`` [1]: local worker processes, each taking the next trial when free, each
  with ``cores // n_jobs`` TensorFlow threads unless ``TF_NUM_INTRAOP_THREADS`` /
  ``TF_NUM_INTEROP_THREADS`` say otherwise;
* ``history_lag`` [null = n_jobs - 1]: trial k's sampler and pruner see only trials
  numbered below k - history_lag, once they have finished, so a parallel study is as
  repeatable as a sequential one (see ``_history.py``); 0 with several workers: faster
  when trial lengths differ a lot, but which points are searched depends on timing;
* ``max_failure_rate`` [0.25]: stop once FAIL trials exceed this fraction of
  ``n_trials`` (in a race: of its trials so far, when more; trials stopped by Ctrl-C do
  not count);
* ``sampler`` [tpe, seed 42] and ``pruner`` [median]: config groups
  ``hydra/sweeper/sampler`` (tpe, random, cmaes, qmc, nsga2; all but cmaes also take
  several objectives) and ``hydra/sweeper/pruner``
  (median, percentile, hyperband, successive_halving, nop), or any ``_target_``;
  ``hydra.sweeper.pruner=null`` turns pruning off;
* ``params`` [{}]: search space in Hydra's override grammar (``interval``,
  ``int(interval)``, ``tag(log, ...)``, ``range``, ``choice``, config groups); a sweep
  given on the command line (``loss.gamma='interval(1,3)'``) joins or replaces it;
* ``enqueue`` [[]]: ``{param: value}`` points tried first, once per study;
* ``heartbeat_interval`` [60], ``grace_period`` [180], ``max_retry`` [1]: a trial whose
  worker died (SIGKILL, OOM, power) is failed after the grace period and retried with
  the same parameters; null interval turns this off;
* ``seeds_per_trial`` [1]: train every sampled point with seeds ``train.seed``,
  ``train.seed + 1``, ...; the objective is their mean, and the per-seed values, mean,
  std and n are user attributes (with several objectives: the per-objective mean, and
  ``values_per_seed``, ``values_mean``, ``values_std``). Only the first seed reports
  intermediate values, so the pruner compares every trial on the same seed, and the
  later seeds run only for points that survive it. The study summary compares the best
  trial with the first enqueued point (the baseline) against the seed-to-seed noise.
* ``race`` [null]: race the candidates instead (``_race/_plan.py``): each trial is one
  run (a point, a seed, a rung); the best points continue to later rungs and earn paired
  seeds against the incumbent, the significantly worse are dropped, and the study ends
  with a confirmation of the best and the baseline on fresh seeds, whose runs alone give
  the verdict. Keys: ``full_steps``, ``rungs``, ``eta``, ``max_seeds``, ``first_seed``,
  ``alpha``, ``promising``, ``objective`` (mean or lcb), ``lcb_z``, ``confirm_top_k``,
  ``confirm_seeds``, ``confirm_seed_offset``, and the task's ``seed_key``, ``stop_key``,
  ``resume_key`` (``_conf.RaceConf``);
* ``budget`` [null]: a race's budget, ``90m``/``1.5h``, ``40000 steps`` or ``12 runs``,
  confirmation included; null: ``n_trials`` selection runs, then the confirmation.

Each trial is a Hydra job with ``hydra.job.num`` = trial number, so set
``hydra.sweep.dir: outputs/studies/${hydra.sweeper.study_name}`` and
``hydra.sweep.subdir: trial_${hydra.job.num}`` for stable, never-reused run dirs.
The job reports through ``reporter.open_trial_reporter()`` of this package; it returns a
float, or one per direction (COMPLETE), raises ``optuna.TrialPruned`` (PRUNED) or
anything else (FAIL, with ``fail_reason``). Ctrl-C/SIGTERM marks the running trial FAIL
and exits 1; bad settings exit 2, like every tfod-sweep CLI.

optuna-dashboard shows each trial's evidence: before its result is stored, the sweeper
uploads the run's ``pipeline.config``, ``preview.png`` and a per-class AP@.50 chart as
Optuna artifacts and saves a note with its row of the logbook tables; the objective is
named after the task's ``optimized_metric`` (``mAP@.50``). The summary printed at the
end gives the dashboard command (storage, ``--artifact-dir``, ``--host 127.0.0.1``).
"""
