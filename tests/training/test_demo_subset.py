"""The default model's data: faces, hands and hearts selected from the bundled emoji set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import zoo
from training.data import open_dataset
from training.demo_data import SUBSET_CATEGORIES, SUBSET_NAME, build_subset, subset_category


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("1F600", "face"),  # grinning face
        ("1F431", "face"),  # cat face
        ("1F44D", "hand"),  # thumbs up
        ("1F44D-1F3FD", "hand"),  # thumbs up, medium skin tone
        ("261D-1F3FF", "hand"),  # index pointing up, dark skin tone
        ("1F499", "heart"),  # blue heart
        ("1F595", None),  # middle finger: left out
        ("1F645", None),  # person gesturing no ("FACE WITH NO GOOD GESTURE"): a person, left out
        ("25B6", None),  # play button ("BLACK RIGHT-POINTING TRIANGLE")
        ("1F45C", None),  # handbag
        ("1F1EB-1F1F7", None),  # a flag
        ("1F697", None),  # a car
    ],
)
def test_subset_category(name: str, category: str | None) -> None:
    assert subset_category(name) == category


def test_subset_category_refuses_a_non_code_point() -> None:
    with pytest.raises(ValueError, match="not an emoji code-point name"):
        subset_category("smile")


def test_bundled_subset_is_what_the_builder_makes(tmp_path: Path) -> None:
    out = tmp_path / "fhh.npz"
    counts = build_subset(zoo.data_path("emoji64.npz"), out)
    assert set(counts) == set(SUBSET_CATEGORIES) and all(n > 10 for n in counts.values())
    with np.load(out) as made, np.load(zoo.data_path("emoji-fhh64.npz")) as bundled:
        assert np.array_equal(made["names"], bundled["names"])
        assert np.array_equal(made["images"], bundled["images"])
    ds = open_dataset(f"demo:{SUBSET_NAME}", 64, 3)
    assert len(ds) == sum(counts.values())
