"""Whole portfolios: every core (`--jobs`), Arrow batches and Parquet files, and (in `mespolicy.spark`) Spark.

Each path decides every request by the same `Policy.decide` and writes the same
answers as `mespolicy decide --jsonl`; the tests compare them byte for byte.
pyarrow is needed only by the Arrow and Parquet parts (`mespolicy[arrow]`).
"""
