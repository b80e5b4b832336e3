"""The typer CLI: one module per command group; commands are thin and call the library."""
