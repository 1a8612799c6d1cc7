"""Coverage-guided fuzzing: targets, the Atheris harness, and campaigns."""
