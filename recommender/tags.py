"""Artist tags: top tags for display, and tag similarity where listening is too thin.

Some datasets carry the tags users gave artists (HetRec 2011: ``user_taggedartists.dat`` with
``tags.dat``). Each artist becomes a vector of tag counts (how many users gave it each tag),
weighted by TF-IDF (``1 + log(count)`` times ``log(tagged artists / artists with the tag)``)
and L2-normalised, so two artists are close when they share tags that few others have.

Collaborative filtering needs listeners: an artist with one or two of them is "similar" to
whatever those few people also played. For such artists (fewer than
:data:`TAG_FALLBACK_LISTENERS` listeners, or no co-listened artist at all) that have tags, the
build replaces their neighbours with the nearest artists by tag cosine, and marks the row's
evidence as ``"tags"``. Artists without tags keep their listener-based neighbours.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from recommender.matrix import normalise_rows
from recommender.neighbors import EVIDENCE, NeighborTable
from recommender.topk import top_k

logger = logging.getLogger(__name__)

#: Artists with fewer listeners than this get tag neighbours where they have tags.
TAG_FALLBACK_LISTENERS = 3


@dataclass(frozen=True)
class ArtistTags:
    """Tag counts per artist.

    Attributes
    ----------
    counts : scipy.sparse.csr_matrix
        Artist x tag ``int32`` matrix: how many users gave each tag to each artist.
    names : np.ndarray
        Each tag's text (``object`` array of ``str``), by tag column.
    """

    counts: sp.csr_matrix
    names: np.ndarray

    @property
    def n_tagged(self) -> int:
        """Artists with at least one tag."""
        return int(np.count_nonzero(np.diff(self.counts.indptr)))

    def top(self, artist_id: int, limit: int = 5) -> list[str]:
        """The artist's most given tags, most users first (ties by tag text)."""
        start, stop = self.counts.indptr[artist_id], self.counts.indptr[artist_id + 1]
        columns = self.counts.indices[start:stop]
        texts = self.names[columns]
        order = np.lexsort((texts.astype(str), -self.counts.data[start:stop]))
        return [str(texts[i]) for i in order[:limit]]

    def take(self, artist_keep: np.ndarray) -> ArtistTags:
        """Rows of the kept artists, in that order."""
        return ArtistTags(self.counts[artist_keep], self.names)

    def fold(self, artist_of: np.ndarray, n_artists: int) -> ArtistTags:
        """Sum the rows of artists folded together (``artist_of`` maps old ids to new)."""
        n_old = artist_of.size
        folding = sp.csr_matrix(
            (np.ones(n_old, dtype=np.int32), (artist_of, np.arange(n_old))),
            shape=(n_artists, n_old),
        )
        return ArtistTags((folding @ self.counts).tocsr(), self.names)

    def vectors(self) -> sp.csr_matrix:
        """TF-IDF tag vectors, L2-normalised (see the module docstring)."""
        counts = self.counts.tocsr().astype(np.float64)
        document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
        idf = np.log(max(self.n_tagged, 1) / np.maximum(document_frequency, 1))
        weighted = counts.copy()
        weighted.data = (1.0 + np.log(counts.data)) * idf[counts.indices]
        weighted.eliminate_zeros()  # a tag every tagged artist has tells nothing apart
        return normalise_rows(weighted)


def tag_neighbors(
    vectors: sp.csr_matrix, artist_ids: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest artists by tag cosine, for some artists, with the number of tags shared.

    Runs the compiled top-k kernel (:mod:`recommender.topk`) over the span of the asked
    artists with every other row emptied, so only the asked rows cost anything; ties go to
    the smaller artist id, as everywhere.

    Parameters
    ----------
    vectors : scipy.sparse.csr_matrix
        :meth:`ArtistTags.vectors` of every artist.
    artist_ids : np.ndarray
        The artists to rank neighbours for.
    k : int
        Neighbours per artist.

    Returns
    -------
    tuple of np.ndarray
        ``int32`` ids, ``float32`` distances (1 - tag cosine) and ``int32`` shared tags, shape
        (len(artist_ids), k), padded with -1, inf and 0.
    """
    artist_ids = np.asarray(artist_ids, dtype=np.int64)
    if artist_ids.size == 0:
        empty = np.zeros((0, k))
        return empty.astype(np.int32), empty.astype(np.float32), empty.astype(np.int32)
    vectors = sp.csr_matrix(vectors, dtype=np.float64)
    asked = np.zeros(vectors.shape[0], dtype=np.float64)
    asked[artist_ids] = 1.0
    rows = (sp.diags(asked) @ vectors).tocsr()
    rows.eliminate_zeros()
    first, stop = int(artist_ids.min()), int(artist_ids.max()) + 1
    ids, similarities, shared = top_k(rows, vectors.T.tocsr(), first, stop, k)
    ids, similarities, shared = (a[artist_ids - first] for a in (ids, similarities, shared))
    distances = np.where(ids >= 0, np.clip(1.0 - similarities, 0.0, 2.0), np.inf)
    return ids, distances.astype(np.float32), shared


def with_tag_fallback(
    table: NeighborTable,
    tags: ArtistTags,
    listeners: np.ndarray,
    min_listeners: int = TAG_FALLBACK_LISTENERS,
) -> NeighborTable:
    """Give artists with too few listeners (or no neighbour) their nearest artists by tags.

    Only artists that have tags, and for which tags find at least one neighbour, change;
    their row's evidence becomes ``"tags"`` and ``shared`` (where counted) holds shared tags.
    """
    vectors = tags.vectors()
    has_tags = np.diff(vectors.indptr) > 0
    thin = (listeners < min_listeners) | (table.ids[:, 0] < 0)
    chosen = np.flatnonzero(thin & has_tags)
    evidence = np.zeros(table.ids.shape[0], dtype=np.uint8)
    if chosen.size == 0:
        return replace(table, evidence=evidence)

    ids, distances, shared = tag_neighbors(vectors, chosen, table.k)
    found = ids[:, 0] >= 0
    chosen, ids, distances, shared = chosen[found], ids[found], distances[found], shared[found]

    new_ids, new_distances = table.ids.copy(), table.distances.copy()
    new_ids[chosen], new_distances[chosen] = ids, distances
    new_shared = None
    if table.shared is not None:  # else listeners were not counted, and nothing is shown
        new_shared = table.shared.copy()
        new_shared[chosen] = shared
    evidence[chosen] = EVIDENCE.index("tags")
    logger.info(
        "tags: %d artists with fewer than %d listeners (or no neighbour) use tag neighbours",
        chosen.size,
        min_listeners,
    )
    return NeighborTable(new_ids, new_distances, new_shared, evidence)
