"""Running a backend over many documents: the loop, resuming, shards, the output file."""

from .output import JsonlWriter, OutputBusy, OutputError, read_predictions, usage_totals
from .runner import RunSummary, count_inputs, extract_one, predict, run_documents, run_to_handle, write_results
from .shard import Shard

__all__ = ["JsonlWriter", "OutputBusy", "OutputError", "RunSummary", "Shard", "count_inputs", "extract_one", "read_predictions",
           "predict", "run_documents", "run_to_handle", "usage_totals", "write_results"]
