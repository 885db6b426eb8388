"""User profiles for the synthetic Last.fm 360K data set: gender, age, country, signup date."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Country names as the real file spells them, with rough shares of users (in percent).
_COUNTRIES = {
    "United States": 19.9,
    "Germany": 8.6,
    "United Kingdom": 8.3,
    "Poland": 5.1,
    "Russian Federation": 5.0,
    "Brazil": 4.7,
    "Sweden": 4.3,
    "Spain": 3.8,
    "Finland": 3.5,
    "Netherlands": 2.6,
    "Canada": 2.4,
    "France": 2.3,
    "Italy": 2.2,
    "Australia": 2.1,
    "Japan": 1.7,
    "Turkey": 1.7,
    "Norway": 1.6,
    "Mexico": 1.5,
    "Czech Republic": 1.4,
    "Ukraine": 1.3,
    "Belgium": 1.2,
    "Portugal": 1.1,
    "Switzerland": 1.0,
    "Austria": 0.9,
    "Chile": 0.9,
    "Argentina": 0.9,
    "Denmark": 0.9,
    "Romania": 0.8,
    "Bulgaria": 0.7,
    "Hungary": 0.6,
    "Latvia": 0.5,
    "Lithuania": 0.5,
    "Greece": 0.5,
    "Croatia": 0.4,
    "Estonia": 0.4,
    "Colombia": 0.4,
    "Slovakia": 0.4,
    "Israel": 0.4,
    "Ireland": 0.4,
    "New Zealand": 0.3,
    "India": 0.3,
    "Serbia": 0.3,
    "Belarus": 0.3,
    "Slovenia": 0.3,
    "Venezuela": 0.2,
    "Peru": 0.2,
    "Singapore": 0.2,
    "China": 0.2,
    "Philippines": 0.2,
    "Indonesia": 0.2,
    "South Africa": 0.2,
    "Malaysia": 0.2,
    "Korea, Republic of": 0.1,
    "Iran, Islamic Republic of": 0.1,
    "Macedonia": 0.1,
    "Iceland": 0.1,
    "Costa Rica": 0.1,
    "Egypt": 0.1,
    "Thailand": 0.1,
    "Puerto Rico": 0.1,
    "Côte d'Ivoire": 0.02,
    "Åland Islands": 0.01,
}
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_JUNK_AGES = np.array([-1337, -10, 0, 1, 2, 3, 101, 109, 120, 220])
_FIRST_SIGNUP = np.datetime64("2002-10-29")
_LAST_SIGNUP = np.datetime64("2009-11-01")


def _countries(rng: np.random.Generator, n: int) -> pa.Array:
    names = pa.array(list(_COUNTRIES))
    shares = np.fromiter(_COUNTRIES.values(), dtype=float)
    index = rng.choice(shares.size, size=n, p=shares / shares.sum())
    return names.take(pa.array(index))


def _genders(rng: np.random.Generator, n: int) -> pa.Array:
    index = rng.choice(3, size=n, p=[0.67, 0.24, 0.09])
    return pa.array(["m", "f", None]).take(pa.array(index))


def _ages(rng: np.random.Generator, n: int) -> pa.Array:
    age = np.clip(np.round(rng.gamma(9.0, 2.8, size=n) + 3), 12, 90).astype(np.int32)
    junk = rng.random(n) < 0.004
    age[junk] = _JUNK_AGES[rng.integers(0, _JUNK_AGES.size, size=int(junk.sum()))]
    missing = rng.random(n) < 0.21
    return pa.array(age, mask=missing).cast(pa.string())


def _signups(rng: np.random.Generator, n: int) -> pa.Array:
    span = int((_LAST_SIGNUP - _FIRST_SIGNUP).astype(int))
    # More sign-ups in later years, as the service grew.
    days = _FIRST_SIGNUP + np.floor(span * rng.random(n) ** 0.7).astype("timedelta64[D]")
    months = days.astype("datetime64[M]")
    years = days.astype("datetime64[Y]")
    month_name = pa.array(_MONTHS).take(pa.array((months - years).astype(int)))
    day = pa.array((days - months).astype(int) + 1).cast(pa.string())
    year = pa.array(years.astype(int) + 1970).cast(pa.string())
    return pc.binary_join_element_wise(
        pc.binary_join_element_wise(month_name, day, " "), year, ", "
    )


def profile_table(rng: np.random.Generator, users: pa.Array) -> pa.Table:
    """Return the profile rows, one per user, in the order of ``users``."""
    n = len(users)
    return pa.table(
        {
            "user": users,
            "gender": _genders(rng, n),
            "age": _ages(rng, n),
            "country": _countries(rng, n),
            "signup": _signups(rng, n),
        }
    )
