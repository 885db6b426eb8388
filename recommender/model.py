"""The model bundle: everything a query needs, as plain arrays plus build metadata."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from recommender.matching import NameIndex
from recommender.neighbors import NeighborTable
from recommender.results import ModelInfo
from recommender.support import SupportOptions
from recommender.tags import ArtistTags

#: Bumped whenever the saved layout changes; older files are refused with a rebuild hint.
#: 2: shared listeners and evidence per neighbour, aliases, support options, tags.
#: 3: the name index's character alphabet. 4: names and name keys as string buffers.
FORMAT_VERSION = 4
FORMAT_NAME = "artist-neighbours-model"


@dataclass
class Model:
    """A built model.

    Attributes
    ----------
    artist_names : sequence of str
        Display name of each artist id (a list when built, a
        :class:`~recommender.strings.StringColumn` when loaded).
    listeners : np.ndarray
        Distinct users per artist (``int64``).
    plays : np.ndarray
        Total plays per artist over the kept rows (``int64``).
    neighbors : NeighborTable
        Precomputed nearest neighbours of every artist.
    matrix : scipy.sparse.csr_matrix
        The L2-normalised artist x user matrix (``float32``), for neighbours beyond the table.
    name_index : NameIndex
        Name and alias lookup.
    info : ModelInfo
        What the model was built from.
    aliases : list of (str, int)
        Other spellings folded into an artist, with its id.
    support : SupportOptions
        The support options the neighbours were ranked with (reused on demand).
    tags : ArtistTags or None
        Tag counts per artist, where the dataset has tags.
    """

    artist_names: Sequence[str]
    listeners: np.ndarray
    plays: np.ndarray
    neighbors: NeighborTable
    matrix: sp.csr_matrix
    name_index: NameIndex
    info: ModelInfo
    aliases: list[tuple[str, int]] = field(default_factory=list)
    support: SupportOptions = field(default_factory=SupportOptions)
    tags: ArtistTags | None = None

    @property
    def n_artists(self) -> int:
        return len(self.artist_names)
