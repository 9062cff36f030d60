"""``tenkai.utils.data``: datasets, samplers and the ``DataLoader``, with PyTorch's names.

>>> import tenkai as torch
>>> from tenkai.utils.data import DataLoader, TensorDataset
>>> loader = DataLoader(TensorDataset(torch.arange(4)), batch_size=2)
>>> [batch[0].tolist() for batch in loader]
[[0, 1], [2, 3]]
"""

from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .distributed import DistributedSampler
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset,
                      TensorDataset, random_split)
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                      SubsetRandomSampler, WeightedRandomSampler)
from .worker import WorkerInfo, get_worker_info

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset",
           "DistributedSampler", "IterableDataset", "RandomSampler", "Sampler",
           "SequentialSampler", "StackDataset", "Subset", "SubsetRandomSampler", "TensorDataset",
           "WeightedRandomSampler", "WorkerInfo", "default_collate", "default_convert",
           "get_worker_info", "random_split"]
