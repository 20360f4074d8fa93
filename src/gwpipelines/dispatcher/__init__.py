"""The dispatcher: fires each batch of jobs into the pipelines repo, follows the runs, reports on GitHub.

Its one door is `Dispatcher.run()`."""

from gwpipelines.dispatcher.loop import Dispatcher, DispatchOptions, Granularity, Progress, Target

__all__ = ["DispatchOptions", "Dispatcher", "Granularity", "Progress", "Target"]
