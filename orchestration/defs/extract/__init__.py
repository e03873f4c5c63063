"""Extract: the API pulls into the landing folder (Insights, Graph)."""
