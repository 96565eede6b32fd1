"""`python -m sweep`: the Hydra app that trains and evaluates one experiment per job."""

from __future__ import annotations

import re
import sys

# Hydra rejects a config-group choice that parses as an int ("Got int"), but our
# resolution options are named by their size. Quote them: resolution=256 -> resolution='256'.
_NUMERIC_GROUP_CHOICE = re.compile(r"^(?P<key>[+~]?resolution)=(?P<values>\d+(?:,\d+)*)$")
# Hydra flags whose next argument is their value, not an override.
_FLAGS_WITH_VALUE = frozenset({
    "-c", "--cfg", "-p", "--package", "-cp", "--config-path", "-cn", "--config-name",
    "-cd", "--config-dir", "--experimental-rerun", "-i", "--info",
})


def quote_numeric_group_choices(argv: list[str]) -> list[str]:
    """Return argv with numeric `resolution=` choices quoted as strings."""
    quoted = []
    for arg in argv:
        match = _NUMERIC_GROUP_CHOICE.match(arg)
        if match:
            values = ",".join(f"'{v}'" for v in match["values"].split(","))
            arg = f"{match['key']}={values}"
        quoted.append(arg)
    return quoted


def unknown_key_message(args: list[str]) -> str | None:
    """The one-line error for the first dotted override key outside the schema, else None.

    Hydra would reject `train.bach_size=4` with a multi-line message and exit code 1;
    this gives it our `error:` line and exit code 2 before anything is composed. Keys
    added with `+` without a dot may name a config group, so the composed config is
    checked again by `validate_config`.
    """
    overrides = [arg for previous, arg in zip(["", *args], args, strict=False)
                 if "=" in arg and not arg.startswith("-") and previous not in _FLAGS_WITH_VALUE]
    if not overrides:
        return None
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    from tfod_sweep.config.validate import unknown_key_error

    parser = OverridesParser.create()
    for arg in overrides:
        try:
            override = parser.parse_override(arg)
        except HydraException:
            continue  # Hydra reports its own syntax errors
        key = override.key_or_group
        if override.is_delete() or "." not in key or key.startswith("hydra."):
            continue
        error = unknown_key_error(key)
        if error is not None:
            return f"error: {error}"
    return None


if __name__ == "__main__":
    sys.argv = quote_numeric_group_choices(sys.argv)
    message = unknown_key_message(sys.argv[1:])
    if message is not None:
        print(message, file=sys.stderr)
        from tfod_sweep.errors import BAD_INPUT

        sys.exit(BAD_INPUT)
    from sweep.app import main

    main()
