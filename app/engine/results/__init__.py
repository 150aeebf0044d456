"""What a run is worth: evaluation, comparisons, the report and payback (ROI)."""
