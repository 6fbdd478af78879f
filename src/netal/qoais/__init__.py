"""Quality of AI service (QoAIS): a scorecard of a model's indicators checked against per-tier SLAs."""
