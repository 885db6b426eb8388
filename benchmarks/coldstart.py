"""Cold start of a model in a fresh process: ``python -m benchmarks.coldstart MODEL [QUERY]``.

Prints one JSON object: seconds to import the package, to load the model, and to answer the
first exact and the first misspelt query (lazy structures would show up there).
"""

from __future__ import annotations

import json
import sys
import time


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    path, query = args[0], (args[1] if len(args) > 1 else "")

    started = time.perf_counter()
    from recommender import Recommender

    imported = time.perf_counter()
    rec = Recommender.load(path)
    loaded = time.perf_counter()
    rec.similar(query or rec.artist_name(0), k=10)
    answered = time.perf_counter()
    rec.matches((query or rec.artist_name(0))[:-1] + "x", limit=5)
    matched = time.perf_counter()

    print(
        json.dumps(
            {
                "import_seconds": imported - started,
                "load_seconds": loaded - imported,
                "first_similar_seconds": answered - loaded,
                "first_matches_seconds": matched - answered,
                "artists": rec.n_artists,
            }
        )
    )


if __name__ == "__main__":
    main()
