"""The local explorer (`probation-corpus serve`): a read-only web app over ``pipeline.api``."""
