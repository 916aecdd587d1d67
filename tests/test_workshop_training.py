"""The simulated workshop of notebook 09: seeded, and each way of revising does what it says."""

from pathlib import Path

import pytest

from decide.workshop.training import lesson_sentence, rounds_figure, simulate_rounds, spread_sentence

CASE = Path(__file__).resolve().parent.parent / "data" / "cases" / "return_home.yaml"
QUANTITY = "foster_placement_moves"
TRUE = 0.2


@pytest.fixture(scope="module")
def summaries(tmp_path_factory):
    folder = tmp_path_factory.mktemp("training")
    out = {}
    for way in ("information", "social"):
        w = simulate_rounds(CASE, QUANTITY, folder / way, way, people=6, true_value=TRUE, seed=3)
        out[way] = (w.summary(QUANTITY, 1), w.summary(QUANTITY, 2))
    return out


def test_information_brings_everyone_nearer_the_value_and_social_nearer_the_pool(summaries):
    """Each person moves halfway to the target in their answer, so their fitted middle moves a good
    part of the way there (not exactly half: a Beta fitted to three percentiles is least squares)."""
    for way, target in (("information", lambda one: TRUE), ("social", lambda one: one.pool.middle)):
        one, two = summaries[way]
        before = {p.role: p.middle for p in one.people}
        for p in two.people:
            gap_before, gap_after = abs(before[p.role] - target(one)), abs(p.middle - target(one))
            assert gap_after <= 0.6 * gap_before + 0.01, (way, p.role, before[p.role], p.middle)
    one, two = summaries["social"]
    assert two.pool.high - two.pool.low < one.pool.high - one.pool.low
    one, two = summaries["information"]
    assert abs(two.pool.middle - TRUE) < abs(one.pool.middle - TRUE)


def test_same_seed_same_workshop(tmp_path, summaries):
    w = simulate_rounds(CASE, QUANTITY, tmp_path / "again", "social", people=6, true_value=TRUE, seed=3)
    assert [p.middle for p in w.summary(QUANTITY, 2).people] == [p.middle for p in summaries["social"][1].people]


def test_sentences_and_figure_come_from_the_numbers(summaries):
    one, two = summaries["information"]
    text = spread_sentence("information", one, two, TRUE)
    assert f"{one.pool.middle:.0%} to {two.pool.middle:.0%}" in text and "closer to the 20%" in text
    assert "only the group that heard new information" in lesson_sentence(summaries, TRUE)
    fig = rounds_figure(summaries, TRUE, what="chance of two or more moves")
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["Discussion brings information", "People only move towards each other"]
    assert all(ax.get_xlabel() == "round of the workshop" for ax in fig.axes)


def test_an_unknown_way_is_refused(tmp_path):
    with pytest.raises(ValueError, match="way must be one of"):
        simulate_rounds(CASE, QUANTITY, tmp_path / "x", "magic")
