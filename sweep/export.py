"""`python -m sweep.export PATH [--trial N] [--formats ...] [--out DIR]`: ship a trained run.

PATH is a run dir (`outputs/runs/<overrides>/`, a study's `trial_<n>/` or its
`seed_<s>/`) or a study dir (`outputs/studies/<name>`): a study exports its best trial
(a race: its confirmed winner's best full-length run, or the baseline's when no setting
won), or `--trial N` (required when the study has several objectives; the error then lists
the Pareto-optimal trials). A trial with several seeds exports its best seed.

Formats: `saved_model` (the OD API's exporter_lib_v2, image_tensor input), and
`tflite_fp32`, `tflite_fp16`, `tflite_int8` (the OD API's TF2 TFLite graph, then
tf.lite.TFLiteConverter; int8 is full-integer, calibrated on train images). Each
exported artifact is run itself on the val images (the SavedModel's signature, the
TFLite interpreter) and scored with the same pycocotools code as the run's eval:
mAP@.50 and mAP, median and p90 latency in ms per image at batch 1 after warm-up with
--threads threads, and the file size. A format the model cannot be exported to is a
row with its reason.

Writes DIR (default `<run dir>/export/`): the artifacts, label_map.pbtxt, and
export.json (every number above, the run, and the trial: number, params, study,
storage with any password masked). The folder is built beside DIR and renamed into
place at the end: a failed export leaves nothing half-written.
Bad input (no checkpoint, an unknown format, a FAILED trial, a corrupt checkpoint, an
existing DIR without --overwrite) is one `error:` line on stderr and exit code 2. A
format that failed to convert or run is a row with its reason and exit code 1 (the
other formats are written); an unsupported one exits 0.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tfod_sweep.errors import BAD_INPUT, SweepError
from tfod_sweep.export.formats import FORMATS, parse_formats
from tfod_sweep.export.locate import RunArtifacts, choose_trial, find_run, trial_run_dir
from tfod_sweep.export.staging import check_out
from tfod_sweep.review.loading import load_study
from tfod_sweep.review.race import race_choice, race_record
from tfod_sweep.review.source import locate_study

DEFAULT_OUT = "export"


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _from_study(path: Path, number: int | None, storage: str | None,
                study_name: str | None) -> tuple[RunArtifacts, dict[str, Any]] | None:
    """The trial's run and its link back to the study; None if PATH is not a study."""
    source = locate_study([path], storage, study_name)
    if source is None:
        return None
    from hydra_plugins.tfod_optuna_sweeper import storage  # the plugin owns storage strings

    loaded = load_study(source, storage)
    if loaded is None:  # a guessed journal that does not hold this study
        return None
    study, display = loaded
    maximize = study.directions[0].name == "MAXIMIZE"
    chosen = "--trial" if number is not None else "best trial"
    record = race_record(study.user_attrs) if number is None else None
    if record is not None:  # a race ships its verdict, not its luckiest run
        number, chosen = race_choice(record, maximize)
    trial = choose_trial(study, number)
    run = find_run(trial_run_dir(trial, source.study_dir), maximize=maximize)
    link = {
        "study": study.study_name, "storage": display, "number": trial.number,
        "state": trial.state.name, "params": dict(trial.params), "values": trial.values,
        "directions": [d.name.lower() for d in study.directions],
        "chosen": chosen,
    }
    return run, link


def locate(path: Path, number: int | None, storage: str | None,
           study_name: str | None) -> tuple[RunArtifacts, dict[str, Any] | None]:
    """PATH (+ --trial) -> the run to export and, for a study, the trial it came from."""
    if not path.exists():
        raise SweepError(f"{path}: no such file or directory")
    found = _from_study(path, number, storage, study_name) if path.is_dir() else None
    if found is not None:
        return found
    if number is not None:
        raise SweepError(f"--trial needs a study dir; {path} is not one")
    return find_run(path), None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sweep.export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path, help="a run dir or a study dir")
    parser.add_argument("--trial", type=int, help="the study's trial number (default: best)")
    parser.add_argument("--formats", default=",".join(FORMATS),
                        help=f"comma-separated, from {', '.join(FORMATS)} (default: all)")
    parser.add_argument("--out", type=Path, help=f"the export folder (default <run dir>/"
                        f"{DEFAULT_OUT})")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    parser.add_argument("--threads", type=_positive, default=1,
                        help="threads for TensorFlow and the TFLite interpreter (default 1)")
    parser.add_argument("--max-images", type=_positive,
                        help="val images to score (default: as many as the run's eval)")
    parser.add_argument("--calibration-images", type=_positive, default=100,
                        help="train images calibrating int8 (default 100)")
    parser.add_argument("--tflite-nms", choices=("regular", "fast"), default="regular",
                        help="TFLite NMS: per class as the eval (regular), or the OD API "
                        "script's class-agnostic default (fast)")
    parser.add_argument("--storage", help="the study's storage (default: as the sweep had)")
    parser.add_argument("--study", help="the study's name in the storage")
    parser.add_argument("--verbose", action="store_true", help="keep TensorFlow's logs")
    args = parser.parse_args(argv)
    try:
        formats = parse_formats(args.formats)
        run, trial = locate(args.path, args.trial, args.storage, args.study)
        out = args.out or run.run_dir / DEFAULT_OUT
        check_out(out, args.overwrite)
        from tfod_sweep.export.record import FAILED, table
        from tfod_sweep.export.run import ExportOptions, export_run

        options = ExportOptions(
            formats=formats, out=out, overwrite=args.overwrite, threads=args.threads,
            max_images=args.max_images, calibration_images=args.calibration_images,
            tflite_nms=args.tflite_nms, verbose=args.verbose)
        print(f"exporting {run.run_dir} ({run.checkpoint.name}"
              + (f", {run.chosen_because}" if run.chosen_because else "")
              + (f"; trial {trial['number']} of study {trial['study']}, {trial['chosen']}"
                 if trial else "")
              + ")", flush=True)
        record = export_run(run, options, trial,
                            progress=lambda line: print(f"  {line}", flush=True))
    except SweepError as error:
        print(f"error: {error}", file=sys.stderr)
        return BAD_INPUT
    except OSError as error:  # the folder cannot be written
        print(f"error: cannot write the export: {error}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt:  # the staged folder is already removed
        print("error: interrupted; nothing was written", file=sys.stderr)
        return 130
    print()
    print(table(record), end="")
    print(f"\nexport: {out}/export.json")
    return 1 if any(result.status == FAILED for result in record.formats) else 0


if __name__ == "__main__":
    sys.exit(main())
