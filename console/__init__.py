"""A web console over the platform: schemas, the flow of events, dead letters, the lake."""
