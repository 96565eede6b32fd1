"""`python -m sweep`: the Hydra app that trains and evaluates one experiment per job."""

from __future__ import annotations

import re
import sys

# Hydra rejects a config-group choice that parses as an int ("Got int"), but our
# resolution options are named by their size. Quote them: resolution=256 -> resolution='256'.
_NUMERIC_GROUP_CHOICE = re.compile(r"^(?P<key>[+~]?resolution)=(?P<values>\d+(?:,\d+)*)$")


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


if __name__ == "__main__":
    sys.argv = quote_numeric_group_choices(sys.argv)
    from sweep.app import main

    main()
