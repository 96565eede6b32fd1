"""Reading results back: the logbook tables, seed statistics and the report folder (TF-free).

Everything `python -m sweep.report` shows, and the pieces the sweeper's trial notes and
the run's printed table reuse. One module per idea:

* `logbook`: the AP / AR / loss tables in the layout of the user's logbook, and runs that
  differ only in their random seed folded into one `mean ± std (n)` row;
* `seed_stats`: statistics over random seeds and the noise floor (best vs baseline);
* `document`: a report as blocks, written once as report.md and once as index.html;
* `source`: which study a path or the options name, and where its storage is;
* `loading`: opening that storage read-only and loading the study (both CLIs use it);
* `trials`: one row per trial of a study; `study`: the study's document;
* `pareto`: a multi-objective study's front; `race`: a racing study's verdict;
* `runs`: the document of plain runs; `evidence`: the best run's preview and AP chart;
* `plots`, `study_plots`: our matplotlib charts and Optuna's plots as PNG files.

The package itself imports nothing, so `objectives` can use `seed_stats` cheaply.
"""
