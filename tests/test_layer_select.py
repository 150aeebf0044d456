"""The layer choice trades the probe's gradient signal against the forward cost of the lowest tuned layer."""

import pytest

from app.engine.tuning.layer_select import pick_layers


def test_equal_signal_picks_the_top_layers_because_they_are_cheapest():
    sens = {layer: 1.0 for layer in range(22, 30)}
    chosen, options = pick_layers(sens, n_layers=30, max_layers=4)
    assert chosen == [26, 27, 28, 29]
    assert min(o["cost_layers"] for o in options) == 4


def test_deeper_layers_win_only_when_their_signal_pays_for_the_extra_layers():
    # {22,23,24,26} has 4 units of energy for 8 layers per forward; {26..29} has 1 + 3 * 0.25 = 1.75 for 4.
    # 4/8 = 0.5 > 1.75/4 = 0.4375, so the deeper set is worth its cost ...
    sens = {22: 1.0, 23: 1.0, 24: 1.0, 25: 0.1, 26: 1.0, 27: 0.5, 28: 0.5, 29: 0.5}
    chosen, _ = pick_layers(sens, n_layers=30, max_layers=4)
    assert chosen == [22, 23, 24, 26]
    # ... and with a bit more signal on top it is not (1 + 3 * 0.36 = 2.08 over 4 = 0.52 > 0.5).
    sens.update({27: 0.6, 28: 0.6, 29: 0.6})
    chosen, _ = pick_layers(sens, n_layers=30, max_layers=4)
    assert chosen == [26, 27, 28, 29]


def test_every_option_is_reported_with_its_score():
    # Worked by hand. Lowest layer 4 or 5: the two strongest above it are 5 and 7, forward cost 8 - 5 = 3
    # layers, energy 0.9² + 0.3² = 0.9, score 0.3. Lowest layer 6: 6 and 7, cost 2, energy 0.1² + 0.3² = 0.1,
    # score 0.05. Lowest layer 7 leaves one layer, fewer than 2: not an option.
    chosen, options = pick_layers({4: 0.2, 5: 0.9, 6: 0.1, 7: 0.3}, n_layers=8, max_layers=2)
    assert [(o["layers"], o["cost_layers"]) for o in options] == [([5, 7], 3), ([6, 7], 2)]
    assert [o["energy"] for o in options] == pytest.approx([0.9, 0.1])
    assert [o["score"] for o in options] == pytest.approx([0.3, 0.05])
    assert chosen == [5, 7]


def test_fewer_candidates_than_asked_tunes_them_all():
    chosen, _ = pick_layers({0: 0.5, 1: 0.1}, n_layers=2, max_layers=4)
    assert chosen == [0, 1]
