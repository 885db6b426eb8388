"""Listening rows for the synthetic Last.fm 360K data set: who plays which artist, how much.

The model is a fixed "world" of artists ranked by popularity, and users drawn from it. Each
user has a primary and a secondary genre; each of their rows picks an artist either from the
whole catalogue or from one of those genres, always in proportion to popularity, so artists of
one genre share listeners and cosine neighbours mean something. ``scale`` draws fewer users from
the same world, which is what a random sample of real users would look like.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)

FULL_USERS = 359_347
FULL_ROWS = 17_559_530
WORLD_ARTISTS = 500_000
N_GENRES = 40

# Expected listeners at full scale by popularity rank, interpolated log-log between knots.
_RANK_KNOTS = np.array([1, 10, 100, 1e3, 3.3e3, 1e4, 3.3e4, 1e5, 2e5, 3e5, 5e5])
_LISTENER_KNOTS = np.array([105e3, 64e3, 25e3, 4.4e3, 1e3, 260, 42, 5, 1.7, 0.85, 0.15])

# Where a row's artist comes from: the whole catalogue, the primary or the secondary genre.
_SOURCES = np.array([0.40, 0.40, 0.20])
_PLAYS_BASE = 42.0
_PLAYS_EXPONENT = 0.12
_DUPLICATE_RATE = 2e-5
_MISSING_NAME_RATE = 1.2e-5


@dataclass(frozen=True, slots=True)
class World:
    """The artists every user draws from, ranked by popularity (row 0 the most popular)."""

    popularity: np.ndarray  # probability that one draw picks each artist
    genre: np.ndarray  # genre of each artist
    plays_factor: np.ndarray  # popular artists are played a little more per listener


@dataclass(frozen=True, slots=True)
class Listens:
    """Rows grouped by user, each user's rows ordered by plays, most played first."""

    user: np.ndarray  # int32 user index, non-decreasing
    artist: np.ndarray  # int32 artist index into the world, -1 where the name is missing
    plays: np.ndarray  # int32
    duplicate: np.ndarray  # bool, the row repeats an earlier (user, artist) pair


def world_size(scale: float) -> int:
    """Number of artists worth drawing at ``scale``: the rest would almost never appear."""
    ranks = np.arange(1, WORLD_ARTISTS + 1)
    listeners = expected_listeners(ranks) * scale
    return int(max(np.searchsorted(-listeners, -0.01), min(WORLD_ARTISTS, 1_000)))


def expected_listeners(ranks: np.ndarray) -> np.ndarray:
    """Expected listeners at full scale of the artists at these popularity ranks (1-based)."""
    log_listeners = np.interp(np.log(ranks), np.log(_RANK_KNOTS), np.log(_LISTENER_KNOTS))
    return np.exp(log_listeners)


def make_world(rng: np.random.Generator, n_artists: int) -> World:
    """Rank ``n_artists`` artists by popularity and give each a genre."""
    listeners = expected_listeners(np.arange(1, n_artists + 1))
    genre = rng.integers(0, N_GENRES, size=n_artists).astype(np.int16)
    plays_factor = (listeners / listeners[n_artists // 2]) ** _PLAYS_EXPONENT
    popularity = _draw_probabilities(listeners / FULL_USERS, genre, FULL_ROWS / FULL_USERS)
    return World(popularity, genre, plays_factor)


def _listen_chance(p: np.ndarray, mass: np.ndarray, share: np.ndarray, draws: float):
    """Chance that a user lists an artist, and its derivative in ``p``.

    ``p`` is the artist's share of catalogue draws, ``mass`` its genre's share of all draws
    and ``share`` the chance that a user has that genre as primary (or as secondary) taste.
    """
    rate = draws * _SOURCES[:, None] * np.stack([p, p / mass, p / mass])
    chance = np.zeros_like(p)
    slope = np.zeros_like(p)
    for primary in (False, True):
        for secondary in (False, True):
            weight = (share if primary else 1 - share) * (share if secondary else 1 - share)
            mean = rate[0] + primary * rate[1] + secondary * rate[2]
            missed = np.exp(-mean)
            chance += weight * (1 - missed)
            slope += weight * missed * mean / p
    return chance, slope


def _draw_probabilities(target: np.ndarray, genre: np.ndarray, draws: float) -> np.ndarray:
    """Draw probabilities whose expected listener shares are proportional to ``target``.

    Fixed-point iteration: Newton steps per artist on a concave increasing function, the
    genre masses they imply, and one common factor on the targets so that the draw
    probabilities sum to one (every row is one draw).
    """
    factor = 1.0 / target.sum() / draws
    p = target * factor
    for _ in range(20):
        mass = np.bincount(genre, weights=p, minlength=N_GENRES)
        mass_of = mass[genre] / mass.sum()
        wanted = np.minimum(target * factor, 0.9)
        for _ in range(2):
            chance, slope = _listen_chance(p, mass_of, mass_of, draws)
            p = np.maximum(p - (chance - wanted) / slope, 1e-15)
        factor /= p.sum()
    return p / p.sum()


def rows_per_user(rng: np.random.Generator, n_users: int, n_rows: int) -> np.ndarray:
    """Return how many artists each user lists, summing exactly to ``n_rows``."""
    counts = np.where(
        rng.random(n_users) < 0.86,
        rng.integers(46, 56, size=n_users),
        rng.integers(1, 46, size=n_users),
    )
    while (gap := n_rows - int(counts.sum())) != 0:
        step = np.sign(gap)
        movable = np.flatnonzero((counts + step >= 1) & (counts + step <= 80))
        chosen = rng.choice(movable, size=min(abs(gap), movable.size), replace=False)
        counts[chosen] += step
    return counts


class _Sampler:
    """Draws artists in proportion to popularity, from everyone or from one genre."""

    def __init__(self, world: World) -> None:
        self._order = np.argsort(world.genre, kind="stable").astype(np.int32)
        weights = world.popularity[self._order]
        self._cumulative = np.cumsum(weights)
        bounds = np.searchsorted(world.genre[self._order], np.arange(N_GENRES + 1))
        edges = np.concatenate([[0.0], self._cumulative])
        self._start = edges[bounds[:-1]]
        self._mass = edges[bounds[1:]] - self._start
        self.genre_mass = self._mass / self._mass.sum()

    def draw(self, rng: np.random.Generator, genre: np.ndarray) -> np.ndarray:
        """Draw one artist per entry; ``genre == -1`` draws from the whole catalogue."""
        u = rng.random(genre.size)
        everyone = genre < 0
        g = np.where(everyone, 0, genre)
        target = np.where(everyone, u * self._cumulative[-1], self._start[g] + u * self._mass[g])
        index = np.searchsorted(self._cumulative, target, side="right")
        return self._order[np.minimum(index, self._order.size - 1)]


def _first_draw(
    rng: np.random.Generator, sampler: _Sampler, user: np.ndarray, n_users: int
) -> np.ndarray:
    tastes = rng.choice(N_GENRES, size=(n_users, 2), p=sampler.genre_mass).astype(np.int16)
    source = rng.choice(3, size=user.size, p=_SOURCES)
    genre = np.where(source == 0, -1, tastes[user, np.maximum(source - 1, 0)])
    return sampler.draw(rng, genre)


def _repeated(user: np.ndarray, artist: np.ndarray) -> np.ndarray:
    """Mark every row whose (user, artist) pair occurred in an earlier row."""
    key = user.astype(np.int64) << 32 | artist.astype(np.int64)
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    repeat = np.zeros(key.size, dtype=bool)
    repeat[order[1:]] = ordered[1:] == ordered[:-1]
    return repeat


def _resolve_repeats(
    rng: np.random.Generator, sampler: _Sampler, user: np.ndarray, artist: np.ndarray
) -> np.ndarray:
    """Redraw repeated pairs from the whole catalogue until (almost) none are left."""
    for _ in range(8):
        repeat = np.flatnonzero(_repeated(user, artist))
        if repeat.size == 0:
            break
        artist[repeat] = sampler.draw(rng, np.full(repeat.size, -1, dtype=np.int16))
    return artist


def _inject_duplicates(rng: np.random.Generator, user: np.ndarray, artist: np.ndarray) -> None:
    """Copy a few rows' artist from the previous row of the same user, as in the real file."""
    wanted = max(2, round(user.size * _DUPLICATE_RATE))
    candidates = np.flatnonzero(user[1:] == user[:-1]) + 1
    chosen = rng.choice(candidates, size=min(wanted, candidates.size), replace=False)
    artist[chosen] = artist[chosen - 1]


def _plays(rng: np.random.Generator, world: World, user: np.ndarray, artist: np.ndarray):
    activity = rng.lognormal(0.0, 0.75, size=int(user[-1]) + 1)
    noise = rng.lognormal(0.0, 1.05, size=user.size)
    plays = _PLAYS_BASE * activity[user] * world.plays_factor[artist] * noise
    return np.clip(np.ceil(plays), 1, 400_000).astype(np.int32)


def generate_listens(rng: np.random.Generator, world: World, n_users: int, n_rows: int) -> Listens:
    """Draw ``n_rows`` listening rows for ``n_users`` users from ``world``."""
    counts = rows_per_user(rng, n_users, n_rows)
    user = np.repeat(np.arange(n_users, dtype=np.int32), counts)
    sampler = _Sampler(world)

    artist = _first_draw(rng, sampler, user, n_users)
    artist = _resolve_repeats(rng, sampler, user, artist)
    _inject_duplicates(rng, user, artist)
    plays = _plays(rng, world, user, artist)

    # Within each user the real file lists the most played artist first.
    order = np.lexsort((-plays, user))
    user, artist, plays = user[order], artist[order], plays[order]
    duplicate = _repeated(user, artist)
    missing = rng.choice(n_rows, size=max(1, round(n_rows * _MISSING_NAME_RATE)), replace=False)
    artist[missing] = -1
    logger.info(
        "drew %d rows, %d repeated pairs, %d missing names",
        n_rows,
        int(duplicate.sum()),
        missing.size,
    )
    return Listens(user, artist, plays, duplicate)
