"""The model families behind embed-params' configs and presets."""

from __future__ import annotations

from nncalc.core.model_configs import families


def test_family_data_is_well_formed() -> None:
    kinds = {"learned", "rope", "alibi", "relative"}
    for name, family in families().items():
        assert family.positions in kinds, name
        assert isinstance(family.tie_word_embeddings, bool), name
        assert family.width_keys and family.context_keys, name
        assert family.position_offset >= 0 and family.type_vocab_size >= 0, name
    assert all(family.tie_word_embeddings for family in families().values())
