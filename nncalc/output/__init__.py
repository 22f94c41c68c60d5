"""Results -> text: one output spec, plain/csv/json writers and Rich tables."""
