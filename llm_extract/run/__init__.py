"""Running a backend over many documents: the loop, resuming, shards, the output file."""

from .output import JsonlWriter, OutputBusy, OutputError
from .runner import (RunSummary, count_inputs, extract_documents, extract_one, run_documents, run_to_handle,
                     write_results)
from .shard import Shard

__all__ = ["JsonlWriter", "OutputBusy", "OutputError", "RunSummary", "Shard", "count_inputs", "extract_documents",
           "extract_one", "run_documents", "run_to_handle", "write_results"]
