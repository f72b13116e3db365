"""限期复学通知书 and what follows: notices, their numbering, scans and the penalty chain."""
