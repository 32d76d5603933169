"""The contract model: customers, licenses, ME&S contracts, money and calendar dates; knows nothing of rule files."""
