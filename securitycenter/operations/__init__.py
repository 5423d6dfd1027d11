"""Running the service: heartbeats of the worker and beat, health (live, ready), metrics for operators."""
