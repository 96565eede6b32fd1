"""Keep a storage password off disk: a literal one in ``hydra.sweeper.storage`` is refused.

Why refuse rather than mask: the storage string is part of the Hydra config, and Hydra,
not this plugin, writes that config to disk. Every trial's ``.hydra/hydra.yaml`` and
``overrides.yaml`` are saved by Hydra's ``run_job``; ``hydra.overrides`` keeps the raw
command line; a launcher such as submitit pickles the whole config into its job folder;
extra workers re-run the command line. Masking would mean patching each of those writers
(and any written later), and missing one leaks the secret. Refusing means the password
never enters the config at all: written as ``${oc.env:PGPASSWORD}``, the saved files
hold that interpolation (Hydra saves configs unresolved) and only the processes that
connect resolve it, in memory. libpq also reads ``PGPASSWORD`` by itself, so
``postgresql://user@host/db`` with the variable exported works too.
"""

from __future__ import annotations

import re

from hydra_plugins.tfod_optuna_sweeper._errors import SweeperError

ENV_FORM = "${oc.env:PGPASSWORD}"
_INTERPOLATION = re.compile(r"\$\{[^{}]*\}")
_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#]*)@")


def _password(raw: str) -> tuple[str, str, str] | None:
    """``(scheme, user, password)`` of a URL that carries a password, else None."""
    match = _USERINFO.match(raw)
    if match is None:
        return None
    # The last "@" of the authority ends the user info (a password may hold a raw "@").
    authority = raw[match.end("scheme"):].split("/", 1)[0]
    userinfo = authority.rsplit("@", 1)[0] if "@" in authority else ""
    # An interpolation such as ${oc.env:PGPASSWORD} holds a ":" of its own.
    masked = _INTERPOLATION.sub(lambda m: "\0" * len(m.group()), userinfo)
    if ":" not in masked:
        return None
    cut = masked.index(":")
    return match.group("scheme"), userinfo[:cut], userinfo[cut + 1:]


def has_literal_password(raw: str) -> bool:
    """True when the unresolved storage string holds a password that is not interpolated.

    ``postgresql://u:${oc.env:PGPASSWORD}@h/db`` is fine; ``postgresql://u:pw@h/db`` and
    ``postgresql://u:pw${oc.env:X}@h/db`` are not (some of the secret is literal).
    """
    found = _password(raw)
    if found is None:
        return False
    leftover = found[2]
    while True:
        stripped = _INTERPOLATION.sub("", leftover)
        if stripped == leftover:
            return bool(stripped)
        leftover = stripped


def env_form(raw: str) -> str:
    """``raw`` with its password replaced by ``${oc.env:PGPASSWORD}`` (nothing else kept)."""
    found = _password(raw)
    if found is None:
        return raw
    scheme, user, _ = found
    authority = raw[len(scheme):].split("/", 1)[0]
    rest = raw[len(scheme) + len(authority):]
    host = authority.rsplit("@", 1)[1]
    return f"{scheme}{user}:{ENV_FORM}@{host}{rest}"


def refuse_literal_password(raw: object) -> None:
    """Raise a one-line SweeperError when the unresolved ``storage`` holds a literal password.

    The message shows the URL to use instead; it never repeats the password.
    """
    if not isinstance(raw, str) or not has_literal_password(raw):
        return
    raise SweeperError(
        "hydra.sweeper.storage holds a literal password, which Hydra would save in "
        f"multirun.yaml and every trial's .hydra/: write hydra.sweeper.storage='{env_form(raw)}' "
        "and export PGPASSWORD"
    )
