"""The `nrcms` command.

    nrcms calc --scheme FILE --episode FILE [--ytd FILE] [--json]   settle one episode (no database)
    nrcms scheme check FILE                                         validate and summarise a scheme file
    nrcms scheme upload FILE --region CODE --year Y --user U        keep it as the county's version (checked)
    nrcms scheme approve ID --user DIRECTOR [--simulate-as CLERK]   simulate against last year, approve
    nrcms audit verify | demo load | token create USER --name N     two words name one task
    nrcms ledger check | year close --year Y                        (the command ledger_check, year_close)
    nrcms token list | token revoke ID --reason R | regions load FILE
    nrcms family-doctors pay --month YYYY-MM --user U               the fund's share of the contract fees, once
    nrcms conditions export chronic|serious|sickbed --user U --out F.xlsx [--township C] [--status S] [--disease D]
                                                                    a register's Excel export, as on its page
    nrcms conditions certify FILE.xlsx --user U [--dry-run]         chronic-disease certificates from a hospital's
                                                                    sheet: every row or none
    nrcms stats rebuild-summaries [--check]                         the kept summaries (ledger days, settlement
                                                                    facts, enrolled persons by region), from the rows
    nrcms migrate | runserver | ...                                 any Django management command
"""

from __future__ import annotations

import os
import sys

PURE = {"calc": "calc_main", "scheme": "scheme_main"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in PURE and not (argv[0] == "scheme" and argv[1:2] in (["upload"], ["approve"])):
        from nrcms.policy import cli as policy_cli

        return getattr(policy_cli, PURE[argv[0]])(argv[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    argv = _take_database_url(argv)
    import django
    from django.core.management import execute_from_command_line, get_commands

    django.setup()
    if len(argv) >= 2 and f"{argv[0].replace('-', '_')}_{argv[1].replace('-', '_')}" in get_commands():
        argv = [f"{argv[0].replace('-', '_')}_{argv[1].replace('-', '_')}", *argv[2:]]
    if not argv:
        print(__doc__)
        argv = ["help"]
    execute_from_command_line(["nrcms", *argv])
    return 0


def _take_database_url(argv: list[str]) -> list[str]:
    """`--database-url URL` (or `--database-url=URL`) anywhere on the line: the database for this run, as if
    DATABASE_URL were set (settings read it once, when Django starts)."""
    out, it = [], iter(argv)
    for arg in it:
        if arg == "--database-url":
            os.environ["DATABASE_URL"] = next(it, "")
        elif arg.startswith("--database-url="):
            os.environ["DATABASE_URL"] = arg.split("=", 1)[1]
        else:
            out.append(arg)
    return out


if __name__ == "__main__":
    sys.exit(main())
