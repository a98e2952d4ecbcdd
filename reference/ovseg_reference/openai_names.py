"""Hugging Face CLIPModel tensor names → OpenAI / CAT-Seg names.

The inverse of the renaming in docs/checkpoint-format.md §5, written out
independently of `export.convert` so tests can build OpenAI-named checkpoints
and check that the converter maps them back (reference/tests/test_convert.py,
reference/tests/test_against_authors.py).
"""
import torch


def openai_names(hf: dict, packed: bool) -> dict:
    """HF CLIPModel tensors → OpenAI/CAT-Seg names (the inverse of §9.4, written out here)."""
    out = {}
    ren = {"layer_norm1": "ln_1", "layer_norm2": "ln_2", "mlp.fc1": "mlp.c_fc", "mlp.fc2": "mlp.c_proj",
           "self_attn.out_proj": "attn.out_proj"}
    for tower, base, depth in (("vision_model.encoder.layers.", "visual.transformer.resblocks.", 3),
                               ("text_model.encoder.layers.", "transformer.resblocks.", 2)):
        for n in range(depth):
            src = f"{tower}{n}."
            qkv_w = [hf[f"{src}self_attn.{x}_proj.weight"] for x in "qkv"]
            qkv_b = [hf[f"{src}self_attn.{x}_proj.bias"] for x in "qkv"]
            if packed:
                out[f"{base}{n}.attn.in_proj_weight"] = torch.cat(qkv_w)
            else:
                for x, w in zip("qkv", qkv_w):
                    out[f"{base}{n}.attn.{x}_proj_weight"] = w
            out[f"{base}{n}.attn.in_proj_bias"] = torch.cat(qkv_b)
            for k, v in hf.items():
                if k.startswith(src) and "self_attn.q_proj" not in k and "self_attn.k_proj" not in k \
                        and "self_attn.v_proj" not in k:
                    tail = k[len(src):]
                    for a, b in ren.items():
                        if tail.startswith(a):
                            tail = b + tail[len(a):]
                    out[f"{base}{n}.{tail}"] = v
    simple = {"vision_model.embeddings.patch_embedding.weight": "visual.conv1.weight",
              "vision_model.embeddings.class_embedding": "visual.class_embedding",
              "vision_model.embeddings.position_embedding.weight": "visual.positional_embedding",
              "vision_model.pre_layrnorm.weight": "visual.ln_pre.weight",
              "vision_model.pre_layrnorm.bias": "visual.ln_pre.bias",
              "vision_model.post_layernorm.weight": "visual.ln_post.weight",
              "vision_model.post_layernorm.bias": "visual.ln_post.bias",
              "text_model.embeddings.token_embedding.weight": "token_embedding.weight",
              "text_model.embeddings.position_embedding.weight": "positional_embedding",
              "text_model.final_layer_norm.weight": "ln_final.weight",
              "text_model.final_layer_norm.bias": "ln_final.bias", "logit_scale": "logit_scale"}
    for a, b in simple.items():
        out[b] = hf[a]
    out["visual.proj"] = hf["visual_projection.weight"].t().contiguous()
    out["text_projection"] = hf["text_projection.weight"].t().contiguous()
    return out
