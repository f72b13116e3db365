"""Children: places (townships, villages, schools), the child record and register search."""
