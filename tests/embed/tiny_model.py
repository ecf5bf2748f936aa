"""A tiny sentence-transformers model built by the tests themselves (random weights,
a small WordPiece vocabulary), saved to a folder: the shape of a user-supplied local model."""

from __future__ import annotations

from pathlib import Path

WORDS = (
    "the a of and to in is was for on that with by it as be this are at from probation officer officers "
    "service inspection inspector report union napo strike pay workload caseload prison prisons blame sfo "
    "serious further offence manager managers target targets private company companies contract court "
    "offender offenders risk staff team office work time year new old good bad said people"
).split()


def build_tiny_model(folder: Path, max_seq_length: int = 32, seed: int = 0) -> Path:
    """Write a 2-layer BERT (hidden 32) with mean pooling to ``folder``; return it."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    raw = folder / "_hf"
    raw.mkdir(exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list(dict.fromkeys(WORDS))
    vocab += [f"##{c}" for c in "abcdefghijklmnopqrstuvwxyz"] + list("abcdefghijklmnopqrstuvwxyz.,!?'")
    (raw / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64)
    BertModel(config).save_pretrained(raw)
    BertTokenizerFast(vocab_file=str(raw / "vocab.txt"), do_lower_case=True).save_pretrained(raw)
    word = Transformer(str(raw), max_seq_length=max_seq_length)
    pooling = Pooling(word.get_embedding_dimension(), pooling_mode="mean")
    SentenceTransformer(modules=[word, pooling], device="cpu").save(str(folder / "model"))
    return folder / "model"
