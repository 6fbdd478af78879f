"""Model lifecycle: transfer between network domains combined with active learning.

A model trained where data is plentiful (a source domain) is moved to where it is
scarce (the target) and asks only for the labels it needs there (paper: "Active ML
for 6G", section VII, "Transfer and multi-task active learning").
"""
