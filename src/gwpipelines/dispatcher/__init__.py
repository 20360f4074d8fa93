"""The dispatcher: fires each batch of jobs into the pipelines repo, follows the runs, reports on GitHub.

Its one door is `Dispatcher.run()`."""

from gwpipelines.dispatcher.batches import Granularity, Target
from gwpipelines.dispatcher.loop import Dispatcher, DispatchOptions, Progress

__all__ = ["DispatchOptions", "Dispatcher", "Granularity", "Progress", "Target"]
