"""``python -m sweep.data``: convert, inspect and pre-generate datasets from the shell."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence

from tfod_sweep.errors import BAD_INPUT, SweepError

_EPILOG = """\
examples:
  python -m sweep.data convert coco --train ann/train.json --train-images img/train \\
      --val ann/val.json --val-images img/val --out data/mine
  python -m sweep.data convert voc --train labels/ --val-fraction 0.2 --out data/mine
  python -m sweep.data convert yolo --data roboflow_export/data.yaml --out data/mine
  python -m sweep.data convert csv --train train_labels.csv --train-images images/train \
      --val test_labels.csv --val-images images/test --out data/mine
  python -m sweep.data inspect 'data/mine/val-*.tfrecord' --label-map data/mine/label_map.pbtxt
  python -m sweep.data generate --num-classes 42 --data-dir outputs/data
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, separate from ``main`` so tests and docs can render it."""
    parser = argparse.ArgumentParser(
        prog="python -m sweep.data",
        description="Prepare and check object-detection datasets in TF OD API format.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    conv = sub.add_parser(
        "convert",
        help="COCO, Pascal VOC, YOLO or CSV + images -> sharded TFRecords + label map",
        description="Convert annotations + images into <out>/{train,val}-NNNNN-of-NNNNN.tfrecord, "
        "label_map.pbtxt and val_coco_gt.json. The folder appears only when complete.",
    )
    conv.add_argument("format", choices=["coco", "voc", "yolo", "csv"], help="annotation format")
    conv.add_argument(
        "--train", metavar="PATH",
        help="COCO: the JSON file; VOC: a folder of .xml files, a glob, or one .xml; "
        "CSV: the .csv file (filename,width,height,class,xmin,ymin,xmax,ymax)",
    )  # fmt: skip
    conv.add_argument(
        "--data", metavar="YAML",
        help="YOLO only, instead of --train/--val: the Ultralytics/Roboflow data.yaml "
        "(its train and val folders; without val, --val-fraction is held out)",
    )  # fmt: skip
    conv.add_argument(
        "--train-images", metavar="DIR",
        help="folder the annotations' file names are relative to "
        "(default: the JSON's or CSV's folder / each XML's folder)",
    )  # fmt: skip
    conv.add_argument("--val", metavar="PATH", help="val annotations, same kinds as --train")
    conv.add_argument("--val-images", metavar="DIR", help="like --train-images, for --val")
    conv.add_argument(
        "--val-fraction", type=float, default=0.2, metavar="F",
        help="without --val: share of --train images held out for val (default 0.2)",
    )  # fmt: skip
    conv.add_argument(
        "--label-map", metavar="PATH",
        help="use this label_map.pbtxt's ids (default: COCO category order, YOLO class "
        "order, sorted VOC/CSV names)",
    )  # fmt: skip
    conv.add_argument("--out", required=True, metavar="DIR", help="output folder (must not exist)")
    conv.add_argument("--train-shards", type=int, metavar="N", help="default: 1 per 1000 images")
    conv.add_argument("--val-shards", type=int, metavar="N", help="default: 1 per 1000 images")
    conv.add_argument(
        "--on-error", choices=["stop", "skip"], default="stop",
        help="stop at the first bad image, or skip bad images and list them (default: stop)",
    )  # fmt: skip
    conv.add_argument("--seed", type=int, default=0, help="seed of the --val-fraction split")
    conv.add_argument("--overwrite", action="store_true", help="replace an existing --out")

    insp = sub.add_parser(
        "inspect",
        help="validate TFRecords and print a summary",
        description="Read every record, decode every image, and report images, boxes, classes, "
        "COCO size buckets and problems. Exits 2 with a one-line error if any problem is found.",
    )
    insp.add_argument("paths", nargs="+", metavar="PATH", help="TFRecord files or quoted globs")
    insp.add_argument("--label-map", metavar="PATH", help="check class ids against this map")
    insp.add_argument("--no-decode", action="store_true", help="skip decoding images (faster)")

    gen = sub.add_parser(
        "generate",
        help="generate (or find cached) the embedded synthetic shapes dataset",
        description="Generate the shapes dataset the way dataset=shapes21/shapes42 does, "
        "and print where it is.",
    )
    defaults = _synthetic_defaults()
    for name, value in defaults.items():
        gen.add_argument(f"--{name.replace('_', '-')}", type=int, default=value,
                         help=f"default: {value}")  # fmt: skip
    gen.add_argument("--data-dir", default=os.path.join("outputs", "data"),
                     help="cache folder (default: outputs/data)")  # fmt: skip
    return parser


def _synthetic_defaults() -> dict[str, int]:
    import dataclasses

    from tfod_sweep.data.synthetic import SyntheticParams

    return dataclasses.asdict(SyntheticParams())


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; SweepErrors become one ``error:`` line and exit code 2.

    So do OSErrors (a path the user gave that cannot be read or written); any other
    exception is our bug and keeps its traceback.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    warnings.filterwarnings("ignore", category=FutureWarning)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "convert":
        _check_convert_sources(parser, args)
    try:
        return {"convert": _convert, "inspect": _inspect, "generate": _generate}[args.command](args)
    except SweepError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_INPUT
    except OSError as exc:  # a folder or file the user named cannot be read or written
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return BAD_INPUT


def _check_convert_sources(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """YOLO takes --data (its yaml names the splits); the others take --train (usage errors)."""
    if args.format == "yolo":
        given = [f"--{name.replace('_', '-')}" for name in
                 ("train", "val", "train_images", "val_images") if getattr(args, name)]
        if not args.data or given:
            parser.error("convert yolo: give --data data.yaml"
                         + (f" instead of {', '.join(given)}" if given else ""))
    elif not args.train or args.data:
        parser.error(f"convert {args.format}: give --train"
                     + (" (--data is for yolo)" if args.data else ""))


def _convert(args: argparse.Namespace) -> int:
    from tfod_sweep.data.convert import convert_dataset

    result = convert_dataset(
        args.format, args.data if args.format == "yolo" else args.train, args.out,
        train_images=args.train_images, val=args.val, val_images=args.val_images,
        val_fraction=args.val_fraction, label_map=args.label_map,
        train_shards=args.train_shards, val_shards=args.val_shards,
        on_error=args.on_error, seed=args.seed, overwrite=args.overwrite, progress=True,
    )  # fmt: skip
    print(
        f"wrote {result.out_dir}: {result.num_train} train + {result.num_val} val images, "
        f"{len(result.class_names)} classes"
    )
    if result.skipped:
        print(f"skipped {len(result.skipped)} image(s) (all listed in skipped.txt):")
        for line in result.skipped[:20]:
            print(f"  {line}")
    print("use it with these overrides:")
    print(
        f"  dataset=custom dataset.train='{result.train}' dataset.val='{result.val}' "
        f"dataset.label_map='{result.label_map}' dataset.val_coco_gt='{result.val_coco_gt}'"
    )
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from tfod_sweep.data.inspection import format_report, inspect_tfrecords

    report = inspect_tfrecords(
        args.paths, args.label_map, decode_images=not args.no_decode, progress=True
    )
    print(format_report(report))
    report.raise_for_problems()
    return 0


def _generate(args: argparse.Namespace) -> int:
    from tfod_sweep.data.synthetic import SyntheticParams, ensure_synthetic

    params = SyntheticParams(**{k: getattr(args, k) for k in _synthetic_defaults()})
    ds = ensure_synthetic(params, args.data_dir, progress=True)
    print(ds.root)
    return 0
