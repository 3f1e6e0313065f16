"""A job's command line, read as Glue reads it, and its logging."""

from __future__ import annotations

import difflib
import logging
import re
import sys
from collections.abc import Mapping, Sequence

from awsglue.utils import GlueArgumentError, getResolvedOptions

from cafe_etl.errors import UsageError

# Our own arguments are snake_case; Glue's special parameters use dashes or capitals
# (--enable-metrics, --TempDir, --JOB_RUN_ID), so only snake_case names are checked.
_OWN_ARG_STYLE = re.compile(r"^--([a-z][a-z0-9_]*)$")
# Glue's special parameters that happen to be spelt like ours ("Using job parameters in
# AWS Glue jobs"): --conf sets Spark configuration; Glue itself applies it.
GLUE_SNAKE_CASE_ARGS = frozenset({"conf"})


def setup_logging(level: int = logging.INFO) -> None:
    """Progress goes to stderr so the last stdout line stays the run summary."""
    root = logging.getLogger("cafe_etl")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)


def parse_job_args(
    argv: Sequence[str], required: Sequence[str], optional: Mapping[str, str | None]
) -> dict[str, str | None]:
    """Read job arguments with awsglue's getResolvedOptions, as Glue itself does.

    getResolvedOptions only knows required arguments, so the optional ones present on the
    command line are added to its list and the others take their defaults.
    """
    known = set(required) | set(optional)
    for token in argv[1:]:
        match = _OWN_ARG_STYLE.match(token.split("=", 1)[0])
        if match and match.group(1) not in known and match.group(1) not in GLUE_SNAKE_CASE_ARGS:
            name = match.group(1)
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f" (did you mean --{close[0]}?)" if close else ""
            raise UsageError(f"unknown argument --{name}{hint}; known: " + _arg_list(known))
    present = [name for name in optional if f"--{name}" in argv]
    try:
        resolved = getResolvedOptions(list(argv), list(required) + present)
    except GlueArgumentError as exc:
        raise UsageError(f"{exc}; required: {_arg_list(required)}") from None
    args: dict[str, str | None] = {name: resolved[name] for name in required}
    for name, default in optional.items():
        args[name] = resolved.get(name, default) if name in present else default
    return args


def spark_conf_args(argv: Sequence[str]) -> dict[str, str]:
    """The Spark settings of Glue's --conf arguments, for a local run.

    Glue documents one --conf whose value chains the others
    (`--conf spark.a=1 --conf spark.b=2` as the value of the first); a command line may
    also repeat it. Both spellings give {"spark.a": "1", "spark.b": "2"}.
    """
    values = [v for flag, v in zip(argv, argv[1:], strict=False) if flag == "--conf"]
    values += [t.split("=", 1)[1] for t in argv if t.startswith("--conf=")]
    conf: dict[str, str] = {}
    for value in values:
        for part in re.split(r"\s+--conf\s+", value.strip()):
            key, sep, setting = part.partition("=")
            if not sep or not key.strip():
                raise UsageError(f"--conf {part!r}: expected KEY=VALUE")
            conf[key.strip()] = setting.strip()
    return conf


def _arg_list(names) -> str:
    return " ".join(f"--{n}" for n in sorted(names))
