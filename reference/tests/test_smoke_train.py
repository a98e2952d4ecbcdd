"""Smoke test of the training loop (reference/ovseg_reference/train.py).

Trains a tiny random SGSeg (EVA02 tiny, tiny head, 3 memory rows) on synthetic
scenes — three classes, each a colour with noise, laid out as random
rectangles, 5 % of the pixels ignored (255) — for a few dozen steps with the
release's loss (BCE over all classes + 0.1 · compensation distance to a frozen
copy), trainable set and optimiser (AdamW, CLIP lr × 0.01, gradient clip 0.01;
lr raised to 2e-3 so a few dozen steps show progress). Asserts that

* the mean loss of the last 8 steps is below the mean of the first 8,
* every memory row changed from its first-visit value (EMA update ran),
* the frozen teacher did not change, the tuned CLIP's trainable projections did,
  and its frozen parameters did not,
* loss_rc is 0 at step 0 (tuned = teacher) and positive later.

Run: pytest reference/tests/test_smoke_train.py -s (-s shows the numbers).
"""
import torch

from ovseg_reference.tiny import build_tiny, tiny_aggregator, tiny_ids, tiny_sgseg_config
from ovseg_reference.train import TrainConfig, Trainer

STEPS = 40
COLOURS = torch.tensor([[200.0, 60.0, 50.0], [40.0, 170.0, 60.0], [70.0, 80.0, 210.0]])


def synthetic_batch(g: torch.Generator, batch: int = 2, size: int = 32):
    labels = torch.zeros(batch, size, size, dtype=torch.long)
    for b in range(batch):
        labels[b] = int(torch.randint(0, 3, (1,), generator=g))
        for _ in range(3):
            y0, x0 = (int(v) for v in torch.randint(0, size - 8, (2,), generator=g))
            h, w = (int(v) for v in torch.randint(6, 16, (2,), generator=g))
            labels[b, y0:y0 + h, x0:x0 + w] = int(torch.randint(0, 3, (1,), generator=g))
    images = COLOURS[labels].permute(0, 3, 1, 2) + 20 * torch.randn(batch, 3, size, size, generator=g)
    ignore = torch.rand(labels.shape, generator=g) < 0.05
    labels = labels.masked_fill(ignore, 255)
    return images.clamp(0, 255), labels


def test_training_smoke():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    cfg = tiny_sgseg_config(aggregator=tiny_aggregator(memory_rows=3))
    model = build_tiny(cfg, seed=7)
    trainer = Trainer(model, TrainConfig(lr=2e-3, steps=STEPS))
    teacher_before = {k: v.clone() for k, v in model.teacher_clip.state_dict().items()}
    tuned_before = {k: v.clone() for k, v in model.clip.state_dict().items()}
    text_ids = tiny_ids([[5, 9], [11, 3, 7], [20]])      # three training classes
    g = torch.Generator().manual_seed(1)
    history, first_memory = [], None
    for step in range(STEPS):
        images, labels = synthetic_batch(g)
        losses = trainer.step(images, labels, text_ids)
        history.append(losses)
        if first_memory is None:
            first_memory = model.aggregator.memory.memory.detach().clone()
    memory = model.aggregator.memory.memory.detach()

    first = sum(h["loss"] for h in history[:8]) / 8
    last = sum(h["loss"] for h in history[-8:]) / 8
    row_change = (memory - first_memory).norm(dim=-1).flatten()
    prefix = "sem_seg_head.predictor.clip_model."
    trained = [n for n in trainer.trainable if n.startswith(prefix)]
    trained_tails = {n[len(prefix):] for n in trained}
    now = model.clip.state_dict()
    teacher_now = model.teacher_clip.state_dict()

    print(f"steps {STEPS}; loss first-8 mean {first:.4f}, last-8 mean {last:.4f}")
    print("step 0: " + ", ".join(f"{k} {v:.4e}" for k, v in history[0].items()))
    print(f"step {STEPS - 1}: " + ", ".join(f"{k} {v:.4e}" for k, v in history[-1].items()))
    print(f"memory row change since first visit: {[round(float(x), 4) for x in row_change]}")

    assert last < first, f"loss did not fall: first-8 mean {first:.4f}, last-8 mean {last:.4f}"
    assert bool((row_change > 0).all()), f"memory rows not updated: {row_change.tolist()}"
    assert [k for k, v in teacher_before.items() if not torch.equal(v, teacher_now[k])] == [], \
        "frozen teacher changed"
    assert trained, "no trainable CLIP tensors"
    assert [t for t in trained_tails if torch.equal(tuned_before[t], now[t])] == [], \
        "trainable CLIP tensors unchanged"
    assert [k for k, v in tuned_before.items() if k not in trained_tails and not torch.equal(v, now[k])] == [], \
        "frozen CLIP tensors changed"
    assert history[0]["loss_rc"] == 0.0, "loss_rc is not 0 at step 0 (tuned = teacher)"
    assert history[-1]["loss_rc"] > 0.0, "loss_rc is not positive after training"
