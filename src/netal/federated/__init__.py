"""Federated active learning: clients that keep their data, built on Flower (``flwr``).

Each client (a cell, an edge site, an operator) holds a local pool, a local label
budget and a netal engine; per round it selects and labels locally, trains, and
sends only model updates (paper: "Active ML for 6G", section VII, "Distributed
learning integration").
"""
