"""The string column that keeps names as one buffer: same answers as a list."""

from __future__ import annotations

import bisect

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recommender.strings import StringColumn


@given(st.lists(st.text(max_size=12), max_size=30))
def test_behaves_like_the_list_it_was_made_from(strings):
    column = StringColumn.from_strings(strings)
    assert len(column) == len(strings)
    assert list(column) == strings
    assert [column[i] for i in range(len(strings))] == strings
    assert column[1:4] == strings[1:4]
    assert column == strings
    assert StringColumn.from_state(column.to_state()) == column


def test_bisect_works_on_sorted_keys():
    keys = sorted(["björk", "beatles", "東方神起", "abba", "blur"])
    column = StringColumn.from_strings(keys)
    for probe in ["b", "beatles", "c", "zzz", ""]:
        assert bisect.bisect_left(column, probe) == bisect.bisect_left(keys, probe)


def test_negative_and_out_of_range_indices():
    column = StringColumn.from_strings(["a", "b"])
    assert column[-1] == "b"
    with pytest.raises(IndexError, match="out of range for 2 strings"):
        column[2]
