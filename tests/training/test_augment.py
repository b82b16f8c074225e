"""DiffAugment (training/augment.py): the transforms, the policy string, pairs transformed alike."""

from __future__ import annotations

import pytest
import torch

from training.augment import cutout, diff_augment, diff_augment_pair, parse_policy, translation


def test_translation_shifts_whole_images_with_zero_fill():
    torch.manual_seed(0)
    x = torch.arange(1, 4 * 16 * 16 + 1, dtype=torch.float32).reshape(4, 1, 16, 16)
    y = translation(x)
    for i in range(4):
        nz = y[i, 0].nonzero()
        src = [(int(v) - 1 - i * 256) for v in y[i, 0][y[i, 0] != 0]]
        shifts = {(sy - int(p[0]), sx - int(p[1])) for (sy, sx), p in zip((divmod(s, 16) for s in src), nz)}
        assert len(shifts) == 1  # one shift per image
        (dy, dx) = shifts.pop()
        assert abs(dy) <= 2 and abs(dx) <= 2
        assert len(nz) == (16 - abs(dy)) * (16 - abs(dx))


def test_cutout_zeroes_at_most_a_half_size_square():
    torch.manual_seed(1)
    y = cutout(torch.ones(64, 3, 16, 16))
    zeros = (y[:, 0] == 0).flatten(1).sum(1)
    assert zeros.max() <= 64 and zeros.min() > 0 and (zeros == 64).any()
    assert torch.equal(y[:, 0], y[:, 2])  # the same square in every channel


def test_diff_augment_policy_grad_and_determinism():
    x = torch.rand(4, 3, 16, 16, requires_grad=True)
    torch.manual_seed(3)
    a = diff_augment(x * 2 - 1, "color,translation,cutout")
    torch.manual_seed(3)
    b = diff_augment(x * 2 - 1, "color,translation,cutout")
    assert a.shape == x.shape and torch.equal(a, b)
    a.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert torch.equal(diff_augment(x, ""), x)
    with pytest.raises(ValueError, match="unknown DiffAugment policy"):
        parse_policy("color,zoom")


def test_diff_augment_pair_transforms_both_images_alike():
    torch.manual_seed(0)
    a = torch.rand(8, 1, 16, 16) * 2 - 1
    b = a.repeat(1, 3, 1, 1)  # the same picture, grey in 1 and in 3 channels
    x, y = diff_augment_pair(a, b, "color,translation,cutout")
    assert x.shape == a.shape and y.shape == b.shape
    torch.testing.assert_close(y, x.repeat(1, 3, 1, 1))
    assert not torch.equal(x, a)
    with pytest.raises(ValueError, match="pairs"):
        diff_augment_pair(a, b[:4], "color")
