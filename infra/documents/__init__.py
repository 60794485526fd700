"""Official documents (公文): what each kind says, and its layout as Word and PDF (ADR 034)."""
