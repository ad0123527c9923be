"""Exponential moving average of a module's trained weights (issue 39's
recipe: train.py --ema, lite.py train --ema)."""
import contextlib

import torch


class EMA:
    """fp32 averages of module's trainable parameters, by name: after each
    optimiser step, avg = decay avg + (1 - decay) p.  `avg` is what the
    trainers checkpoint; state (such a dict) resumes it, skipping names the
    module lacks."""

    def __init__(self, module, decay, state=None):
        self.decay = decay
        self.avg = {n: p.detach().float().clone() for n, p in module.named_parameters()
                    if p.requires_grad}
        for n, v in (state or {}).items():
            if n in self.avg:
                self.avg[n].copy_(v)

    @torch.no_grad()
    def update(self, module):
        for n, p in module.named_parameters():
            if n in self.avg:
                self.avg[n].mul_(self.decay).add_(p.detach().float(), alpha=1 - self.decay)

    def state_dict(self, module):
        """module's state dict with the averages in place of the weights."""
        return dict(module.state_dict(), **self.avg)

    @contextlib.contextmanager
    def applied(self, module):
        """module with the averages in place of its weights (validation, the
        log), the trained weights restored exactly on leaving."""
        params = dict(module.named_parameters())
        saved = {n: params[n].detach().clone() for n in self.avg}
        with torch.no_grad():
            for n, v in self.avg.items():
                params[n].copy_(v)
        try:
            yield module
        finally:
            with torch.no_grad():
                for n, v in saved.items():
                    params[n].copy_(v)
