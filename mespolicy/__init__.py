"""mespolicy: software maintenance (ME&S) policy as code, from rule files to decisions."""
