"""Files as the domain sees them: stored names, sniffed types, uploads and thumbnail sizes."""
