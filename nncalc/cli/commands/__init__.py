"""One module per command: its options and the step it hands to the pipeline."""
