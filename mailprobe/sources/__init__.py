"""Discovery sources, one module each; every one returns a `SourceOutcome`, never raises."""
