"""settle(episode, scheme, year_to_date) -> Settlement: the whole computation, line by line.

An admission goes through `inpatient.settle_admission`, a visit through `outpatient.settle_visit`. Every
step appends an explanation line with its numbers; the year-to-date totals after the episode are part of
the result, so a sequence of episodes is settled by feeding each result's `ytd_after` to the next."""

from __future__ import annotations

from .errors import Refusal
from .inpatient import settle_admission
from .outpatient import settle_visit
from .result import refused
from .scheme import Scheme, SchemeFile
from .types import INPATIENT, Episode, PersonCategories, Settlement, YearToDate

NO_PERSON = PersonCategories()
NO_YTD = YearToDate()


def scheme_for(scheme_file: SchemeFile, episode: Episode) -> Scheme | None:
    """The version that settles the episode: the one in force on its discharge date (a visit: its date),
    or on its admission date if the file says `version_date: admission`."""
    return scheme_file.for_episode(episode)


def settle(episode: Episode, scheme: Scheme | SchemeFile, year_to_date: YearToDate = NO_YTD, *,
           person: PersonCategories = NO_PERSON) -> Settlement:
    """Settle one episode. `scheme` is one version, or a whole file whose version is picked by date.
    Never raises for a claim the scheme does not pay: the result then carries `refused` codes."""
    if isinstance(scheme, SchemeFile):
        chosen = scheme.for_episode(episode)
        if chosen is None:
            return refused(episode, scheme.versions[0], year_to_date, [Refusal.NO_SCHEME])
        scheme = chosen
    if year_to_date.year is not None and year_to_date.year != episode.admission_date.year:
        return refused(episode, scheme, year_to_date, [Refusal.YTD_OTHER_YEAR])
    if not episode.charges:
        return refused(episode, scheme, year_to_date, [Refusal.NO_CHARGES])
    if episode.kind == INPATIENT:
        return settle_admission(episode, scheme, year_to_date, person.categories)
    return settle_visit(episode, scheme, year_to_date)
