"""The plain-Python measures behind drift (py_udfs/drift.py) and the Feast
online-store decoding (py_udfs/feature_values.py), outside the server."""
import struct

import numpy as np
import pytest

from py_udfs import drift, feature_values


def test_psi_and_kl_are_zero_for_equal_shares_and_grow_with_the_shift():
    a = [0.25, 0.25, 0.25, 0.25]
    assert drift.psi(a, a) == pytest.approx(0) and drift.kl(a, a) == pytest.approx(0)
    small, large = [0.3, 0.25, 0.25, 0.2], [0.7, 0.1, 0.1, 0.1]
    assert 0 < drift.psi(a, small) < 0.1 < 0.25 < drift.psi(a, large)
    # PSI is symmetric, KL is not
    assert drift.psi(a, large) == pytest.approx(drift.psi(large, a))
    assert drift.kl(a, large) != pytest.approx(drift.kl(large, a))
    # an empty bin stays finite
    assert np.isfinite(drift.psi([0.5, 0.5, 0.0], [0.0, 0.5, 0.5]))


def test_kmeans_finds_separated_clusters_and_shares_follow_them():
    rng = np.random.default_rng(7)
    centres = np.eye(3, 8)
    points = np.vstack([c + 0.05 * rng.standard_normal((40, 8)) for c in centres])
    centroids, sizes = drift.kmeans(points, 3)
    assert sorted(sizes) == [40, 40, 40]
    shares = drift.topic_shares(centres[[0, 0, 1]] + 0.01, centroids)
    assert sorted(shares) == pytest.approx([0, 1 / 3, 2 / 3])


def test_score_and_rate_shares():
    assert drift.score_shares([0.5, 0.95, 0.95, 1.0]).sum() == pytest.approx(1)
    assert list(drift.rate_shares([True, False, False, False])) == [0.75, 0.25]


@pytest.mark.parametrize("blob, value", [
    (b"\x29" + struct.pack("<d", 1234.5), 1234.5),                 # double_val
    (b"\x12\x05Queso", "Queso"),                                   # string_val
    (b"\x20\x96\x01", 150),                                        # int64_val (varint)
    (b"\x20" + b"\xff" * 9 + b"\x01", -1),                         # a negative int64
    (b"\x38\x01", True),                                           # bool_val
    (b"", None),                                                   # unset
])
def test_value_protos_decode_like_feast_writes_them(blob, value):
    assert feature_values.decode_value(blob) == value


def test_the_entity_key_is_feasts_version_3_layout():
    key = feature_values.entity_key("sucursal_id", 2)
    assert key == (b"\x01\x00\x00\x00" b"\x02\x00\x00\x00" b"\x0b\x00\x00\x00" b"sucursal_id"
                   b"\x04\x00\x00\x00" b"\x08\x00\x00\x00" + struct.pack("<q", 2))
