"""Plain-text rendering of results, shared by the command-line tools."""

from __future__ import annotations

from recommender.results import Candidate, DiscoverResult, MatchStatus, Resolution, SimilarResult


def resolution_text(resolution: Resolution) -> list[str]:
    """How the query was understood, and the alternatives when it was not exact."""
    if resolution.status is MatchStatus.EXACT:
        return [f"{resolution.artist}"]
    if resolution.status is MatchStatus.FUZZY:
        others = [c.artist for c in resolution.candidates[1:4]]
        also = f" (did you mean: {'; '.join(others)}?)" if others else ""
        return [f"{resolution.artist}  [matched {resolution.query!r}]{also}"]
    if resolution.status is MatchStatus.AMBIGUOUS:
        lines = [f"{resolution.query!r} is ambiguous. Did you mean:"]
        lines += [f"  {c.artist}  ({c.score:.0f})" for c in resolution.candidates]
        return lines
    return [
        f"No artist matches {resolution.query!r}. Try `python -m recommender.matches "
        f"{resolution.query!r}` to see what the model knows."
    ]


def similar_text(result: SimilarResult) -> str:
    """The classic printout: the resolved artist, then ranked neighbours with distances."""
    lines = resolution_text(result.resolution)
    if not result.resolution.resolved:
        return "\n".join(lines)
    lines[0] = f"Recommendations for {lines[0]}:"
    if result.tags:
        lines.append(f"  tags: {', '.join(result.tags)}")
    if result.evidence == "tags":
        lines.append("  (too few listeners to compare listening: these share its tags)")
    if not result.neighbors:
        lines.append("  (no other artist shares a listener with this one)")
    width = max((len(n.artist) for n in result.neighbors), default=0)
    for rank, neighbor in enumerate(result.neighbors, start=1):
        lines.append(f"{rank:>3}: {neighbor.artist:<{width}}  distance {neighbor.distance:.3f}")
    return "\n".join(lines)


def discover_text(result: DiscoverResult) -> str:
    """Less-known artists like the query, each with its listeners, similarity and score."""
    lines = resolution_text(result.resolution)
    if not result.resolution.resolved:
        return "\n".join(lines)
    heading = "Discoveries like" if result.more_popular else "Less known than"
    lines[0] = f"{heading} {lines[0]} ({_listeners(result.listeners)}):"
    if result.tags:
        lines.append(f"  tags: {', '.join(result.tags)}")
    if not result.discoveries:
        lines.append("  (no less-known artist shares a listener with this one)")
    width = max((len(d.artist) for d in result.discoveries), default=0)
    counts = [_listeners(d.listeners) for d in result.discoveries]
    count_width = max((len(c) for c in counts), default=0)
    for rank, (found, count) in enumerate(zip(result.discoveries, counts, strict=True), 1):
        by = "  (tags)" if found.evidence == "tags" else ""
        lines.append(
            f"{rank:>3}: {found.artist:<{width}}  {count:>{count_width}}  "
            f"similarity {1 - found.distance:.3f}  score {found.score:.3f}{by}"
        )
    lines.append(
        f"  score = similarity x (listeners of the query / listeners) ^ {result.novelty:g}"
    )
    return "\n".join(lines)


def _listeners(count: int) -> str:
    return f"{count:,} listener{'' if count == 1 else 's'}"


def matches_text(query: str, candidates: list[Candidate]) -> str:
    """Name candidates with their scores and listener counts."""
    if not candidates:
        return f"No artist name is close to {query!r}."
    width = max(len(c.artist) for c in candidates)
    lines = [f"Names close to {query!r}:"]
    lines += [
        f"{c.score:>5.1f}  {c.artist:<{width}}  {c.listeners:,} listeners" for c in candidates
    ]
    return "\n".join(lines)
