"""An unchanged PyTorch script that uses torch.distributions the way RL and VAE tutorials do:
a REINFORCE policy (Categorical sample, log_prob * advantage, entropy bonus) and a small VAE
(Normal rsample, kl_divergence to a standard normal). Runs under PyTorch, and under tenkai:

    python -m tenkai.as_torch examples/distributions_rl_vae.py
    tenkai bench --script examples/distributions_rl_vae.py
"""

import torch
import torch.nn as nn
from torch.distributions import Categorical, Independent, Normal, kl_divergence

torch.manual_seed(0)
policy = nn.Sequential(nn.Linear(4, 32), nn.Tanh(), nn.Linear(32, 3))
policy_opt = torch.optim.Adam(policy.parameters(), lr=1e-2)
encoder, decoder = nn.Linear(8, 4), nn.Linear(2, 8)
vae_opt = torch.optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=1e-2)
states = torch.randn(64, 4)
best_action = (states[:, 0] > 0).long() + (states[:, 1] > 0.5).long()
data = torch.randn(64, 8)

for _step in range(60):
    dist = Categorical(logits=policy(states))
    action = dist.sample()
    reward = (action == best_action).float()
    advantage = reward - reward.mean()
    loss = -(dist.log_prob(action) * advantage).mean() - 0.01 * dist.entropy().mean()
    policy_opt.zero_grad()
    loss.backward()
    policy_opt.step()

    stats = encoder(data)
    posterior = Independent(Normal(stats[:, :2], stats[:, 2:].exp()), 1)
    prior = Independent(Normal(torch.zeros(2), torch.ones(2)), 1)
    z = posterior.rsample()
    vae_loss = (decoder(z) - data).pow(2).sum(-1).mean() + kl_divergence(posterior, prior).mean()
    vae_opt.zero_grad()
    vae_loss.backward()
    vae_opt.step()

with torch.no_grad():
    greedy = Categorical(logits=policy(states)).probs.argmax(-1)
print(f"policy accuracy {(greedy == best_action).float().mean().item():.2f}, "
      f"vae loss {vae_loss.item():.3f}")
