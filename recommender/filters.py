"""Filters between reading and the matrix: popularity threshold and country."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from rapidfuzz import process

from recommender.errors import EmptyResultError, InputError
from recommender.table import ListeningTable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FilterOptions:
    """Which rows to keep.

    Attributes
    ----------
    min_artist_plays : int
        Keep artists whose total plays over all users (before the country filter, as in the
        classic analysis) reach this number; 0 keeps every artist.
    countries : tuple of str
        Keep users from these countries (case-insensitive); empty keeps everyone.
    """

    min_artist_plays: int = 0
    countries: tuple[str, ...] = ()


def apply_filters(table: ListeningTable, options: FilterOptions) -> ListeningTable:
    """Apply the popularity threshold, then the country filter; count what each drops.

    Raises
    ------
    InputError
        A country filter on data without user profiles, or a country the data never names.
    EmptyResultError
        Nothing is left after filtering.
    """
    keep = np.ones(table.n_rows, dtype=bool)
    if options.min_artist_plays > 0:
        keep &= _popular_rows(table, options.min_artist_plays)
    if options.countries:
        in_country = _country_rows(table, options.countries)
        table.dropped.add(
            "user not in the chosen countries", int(np.count_nonzero(keep & ~in_country))
        )
        keep &= in_country
    if not keep.any():
        raise EmptyResultError(
            f"The filters left nothing to build from: {table.n_rows:,} rows were read and "
            f"none has an artist with at least {options.min_artist_plays:,} total plays"
            + (f" and a user from {', '.join(options.countries)}" if options.countries else "")
            + ". Lower --min-artist-plays or choose other --country values."
        )
    if keep.all():
        return table
    filtered = table.take(keep)
    logger.info(
        "filters kept %d of %d rows, %d artists, %d users",
        filtered.n_rows,
        table.n_rows,
        filtered.n_artists,
        filtered.n_users,
    )
    return filtered


def _popular_rows(table: ListeningTable, min_artist_plays: int) -> np.ndarray:
    keep = (table.artist_plays() >= min_artist_plays)[table.artist_codes]
    table.dropped.add(
        f"artist below {min_artist_plays:,} total plays", int(np.count_nonzero(~keep))
    )
    return keep


def _country_rows(table: ListeningTable, countries: tuple[str, ...]) -> np.ndarray:
    if table.user_countries is None:
        raise InputError(
            "--country needs user profiles, and this input has none (a 360K plays file alone, "
            "HetRec or a plain plays file). Point --input at the 360K archive or at the folder "
            "holding usersha1-profile.tsv too, or drop --country."
        )
    named = set(table.user_countries) - {None}
    known = {str(c).casefold(): str(c) for c in sorted(named, key=str)}
    wanted = set()
    for country in countries:
        key = country.casefold()
        if key not in known:
            close = process.extract(country, list(known.values()), limit=3, score_cutoff=60)
            hint = f" Did you mean {', '.join(repr(c[0]) for c in close)}?" if close else ""
            raise InputError(
                f"--country {country!r}: no user in this data is from there.{hint} "
                "Countries are spelled as in the profile file, e.g. 'United States'."
            )
        wanted.add(known[key])
    user_ok = np.isin(table.user_countries, np.array(sorted(wanted), dtype=object))
    return user_ok[table.user_codes]
