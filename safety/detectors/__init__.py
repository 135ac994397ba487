"""One detector per module; each takes plain inputs and returns Findings."""
