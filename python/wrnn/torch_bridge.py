"""A run as a PyTorch module."""
from .runs import load_run, load_weights
from .torch_models import build


def torch_module(run_dir, checkpoint="last"):
    """The run's model as an nn.Module with its trained weights (load_state_dict(strict=True)):
    module(xs [L, B, d]) -> raw outputs [R, B, out], the numbers `wrnn eval --outputs` writes."""
    import torch
    from torch import nn

    config = load_run(run_dir, as_frame=False).config
    net = build(torch, nn, config["model"])
    weights = load_weights(run_dir, checkpoint)
    net.load_state_dict({name: torch.from_numpy(array) for name, array in weights.items()}, strict=True)
    return net.eval()
